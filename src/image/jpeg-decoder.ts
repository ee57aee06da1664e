/*
   JPEG decoder with libjpeg-style DCT scaling (1/1, 1/2, 1/4, 1/8).

   Marker parsing, the MCU/block layout and the progressive coefficient decoding follow jpeg-js 0.4.4
   lib/decoder.js (itself from pdf.js), whose licence header is kept here:

   Copyright 2011 notmasteryet

   Licensed under the Apache License, Version 2.0 (the "License");
   you may not use this file except in compliance with the License.
   You may obtain a copy of the License at

       http://www.apache.org/licenses/LICENSE-2.0

   Unless required by applicable law or agreed to in writing, software
   distributed under the License is distributed on an "AS IS" BASIS,
   WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
   See the License for the specific language governing permissions and
   limitations under the License.

   Changed from jpeg-js (why: docs/images.md): blocks are decoded straight into reduced-size sample
   planes (sequential JPEGs keep no coefficients at all; progressive ones keep one Int16Array per
   component, or only DC terms for components decoded at 1×1 per block, whose AC scans are skipped),
   Huffman codes are decoded through a 9-bit lookup table instead of a bit-by-bit tree walk, the AC
   refinement follows libjpeg's decode_mcu_AC_refine, and the IDCTs (full and reduced-size), the
   per-component DCT scaling, upsampling and colour conversion are libjpeg-turbo's (see jpeg-idct.ts,
   jpeg-color.ts), so a decode at every scale gives Pillow's pixels (test/node/decoder-pillow.test.ts).
*/
import { ApiError } from "../errors";
import { cmykToRgb, type Plane, toRgb, upsample } from "./jpeg-color";
import { RANGE_LIMIT, idctScaled } from "./jpeg-idct";
import type { RgbImage } from "./orientation";

export type ScaleDenom = 1 | 2 | 4 | 8;

export interface DecodeOptions {
  /** Decode at 1/scaleDenom of the full size. */
  scaleDenom: ScaleDenom;
  /** What the decoder may allocate for planes, coefficients and output together. */
  maxMemoryBytes: number;
}

// Zigzag position → natural (row-major) index; extra entries absorb corrupt run lengths (libjpeg does the same).
const ZIGZAG = new Int32Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
  35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
  63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
]);

const corrupt = (message: string) => new ApiError(422, "invalid_jpeg", `The JPEG could not be decoded: ${message}.`);
const truncated = () => new ApiError(422, "invalid_jpeg", "The JPEG is truncated: its data ends before the image is complete.");

interface Huffman {
  /** Codes of ≤ 9 bits: (length << 8) | symbol, indexed by the next 9 bits; 0 = longer code. */
  lookup: Uint16Array;
  /** Largest code of each length (-1 if none), and symbol index offset per length (libjpeg's valoffset). */
  maxcode: Int32Array;
  valoff: Int32Array;
  values: Uint8Array;
  /**
   * Sequential AC fast path (the idea of libjpeg-turbo's jdhuff.h lookahead), indexed by the same 9 bits:
   * when code and magnitude bits fit, (bits used) | run << 4 | value << 9; EOB/ZRL set bit 8; 0 = slow path.
   */
  fastAc: Int32Array;
}

function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const lookup = new Uint16Array(512);
  const maxcode = new Int32Array(18).fill(-1);
  const valoff = new Int32Array(18);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1]!;
    valoff[len] = k - code;
    for (let i = 0; i < n; i++, k++, code++) {
      if (len <= 9) {
        const shift = 9 - len;
        for (let j = code << shift, e = (code + 1) << shift; j < e; j++) lookup[j] = (len << 8) | values[k]!;
      }
    }
    if (n > 0) maxcode[len] = code - 1;
    if (code > 1 << len) throw corrupt("bad Huffman table");
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff; // sentinel
  const fastAc = new Int32Array(512);
  for (let i = 0; i < 512; i++) {
    const look = lookup[i]!;
    if (look === 0) continue;
    const len = look >> 8, rs = look & 255, s = rs & 15, run = rs >> 4;
    if (s === 0) fastAc[i] = len | (run << 4) | 0x100;
    else if (len + s <= 9) fastAc[i] = (len + s) | (run << 4) | (extend((i >> (9 - len - s)) & ((1 << s) - 1), s) << 9);
  }
  return { lookup, maxcode, valoff, values, fastAc };
}

/** Entropy-coded segment reader: byte unstuffing, markers, and libjpeg's zero fill after a marker. */
class BitReader {
  acc = 0;
  cnt = 0;
  /** The marker byte that stopped reading (-1 while in data); zeros are fed after it. */
  marker = -1;
  /** Zero bytes invented past a marker or the end of the file (more than the lookahead: data missing). */
  overrun = 0;
  constructor(
    readonly data: Uint8Array,
    public pos: number,
  ) {}

  fill(): void {
    const data = this.data;
    while (this.cnt <= 24) {
      let byte = 0;
      if (this.marker >= 0) {
        // Zeros after a marker, as libjpeg feeds them; but needing more than the lookahead means the
        // scan's data is missing (a cut file, or one with EOI glued on): 422 rather than a gray image.
        if (++this.overrun > 4) throw truncated();
      } else {
        if (this.pos >= data.length) {
          if (++this.overrun > 4) throw truncated();
        } else {
          byte = data[this.pos]!;
          if (byte === 0xff) {
            let next = data[this.pos + 1];
            while (next === 0xff) next = data[++this.pos + 1]; // fill bytes before a marker
            if (next === undefined) throw truncated();
            if (next === 0) this.pos += 2;
            else {
              this.marker = next;
              byte = 0;
              this.overrun++;
            }
          } else this.pos++;
        }
      }
      this.acc = (this.acc << 8) | byte;
      this.cnt += 8;
    }
  }

  bits(n: number): number {
    if (n === 0) return 0;
    if (this.cnt < n) this.fill();
    this.cnt -= n;
    return (this.acc >>> this.cnt) & ((1 << n) - 1);
  }

  bit(): number {
    if (this.cnt < 1) this.fill();
    this.cnt -= 1;
    return (this.acc >>> this.cnt) & 1;
  }

  huff(h: Huffman): number {
    if (this.cnt < 16) this.fill();
    const look = h.lookup[(this.acc >>> (this.cnt - 9)) & 511]!;
    if (look !== 0) {
      this.cnt -= look >> 8;
      return look & 255;
    }
    let len = 10;
    let code = (this.acc >>> (this.cnt - 10)) & 1023;
    while (code > h.maxcode[len]!) {
      len++;
      code = (this.acc >>> (this.cnt - len)) & ((1 << len) - 1);
    }
    if (len > 16) throw corrupt("bad Huffman code");
    this.cnt -= len;
    return h.values[h.valoff[len]! + code]!;
  }

  /** Drops buffered bits and moves to the next marker (at `pos`); returns it, or -1 at end of data. */
  toMarker(): number {
    this.acc = 0;
    this.cnt = 0;
    if (this.marker < 0) {
      const d = this.data;
      let p = this.pos;
      while (p + 1 < d.length && !(d[p] === 0xff && d[p + 1] !== 0 && d[p + 1] !== 0xff)) p++;
      this.pos = p;
      this.marker = p + 1 < d.length ? d[p + 1]! : -1;
    }
    return this.marker;
  }

  /**
   * Skips a whole scan's entropy-coded data, restart markers included: to the next marker that is not
   * RSTn (or the end of the data). For AC scans that do not matter at 1×1 per block.
   */
  skipScan(): void {
    const d = this.data;
    let p = this.pos;
    for (; p + 1 < d.length; p++) {
      if (d[p] !== 0xff) continue;
      const m = d[p + 1]!;
      if (m !== 0 && m !== 0xff && (m < 0xd0 || m > 0xd7)) break;
    }
    this.pos = p;
    this.marker = -1;
    this.acc = 0;
    this.cnt = 0;
  }

  /** At a restart interval: expects RSTn, skips it and resumes reading data. */
  restart(): void {
    const m = this.toMarker();
    if (m >= 0xd0 && m <= 0xd7) {
      this.pos += 2;
      this.marker = -1;
      this.overrun = 0;
    }
  }
}

const extend = (v: number, n: number) => (n === 0 ? 0 : v < 1 << (n - 1) ? v - (1 << n) + 1 : v);

interface Component {
  id: number;
  /**
   * Samples per block side for this component: 8 / scaleDenom, doubled for a subsampled chroma component
   * while that spares upsampling (libjpeg-turbo jdmaster.c: a 4:2:0 photo at 1/4 decodes luma with the
   * 2×2 IDCT and chroma with the 4×4 one, then needs no upsampling).
   */
  size: number;
  h: number;
  v: number;
  tq: number;
  qt: Uint16Array | null;
  blocksPerLine: number;
  blocksPerColumn: number;
  /** Blocks allocated per row / column: whole MCUs. */
  bplAlloc: number;
  bpcAlloc: number;
  /** Progressive: coefficients, 64 per block (or one per block when DC-only). */
  coef: Int16Array | null;
  plane: Uint8Array;
  pred: number;
  dc: Huffman | null;
  ac: Huffman | null;
}

interface Frame {
  width: number;
  height: number;
  progressive: boolean;
  components: Component[];
  maxH: number;
  maxV: number;
  mcusPerLine: number;
  mcusPerColumn: number;
}

/** Decodes a JPEG (already checked by readJpegHeader) to RGB or gray at 1/scaleDenom of its size. */
export function decodeJpeg(data: Uint8Array, options: DecodeOptions): RgbImage {
  try {
    return decode(data, options);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    // A RangeError from a typed-array allocation, or a bug: never a 500 for a bad file.
    throw corrupt(err instanceof Error ? err.message : String(err));
  }
}

function decode(data: Uint8Array, { scaleDenom, maxMemoryBytes }: DecodeOptions): RgbImage {
  const size = 8 / scaleDenom; // samples per block side of the largest components (libjpeg's min_DCT_scaled_size)
  const qts: (Uint16Array | undefined)[] = [];
  const dcTables: (Huffman | undefined)[] = [];
  const acTables: (Huffman | undefined)[] = [];
  let frame: Frame | null = null;
  let restartInterval = 0;
  let jfif = false;
  let adobe: number | null = null;
  let pos = 2;
  let memory = 0;
  const allocate = (bytes: number) => {
    memory += bytes;
    if (memory > maxMemoryBytes) {
      throw new ApiError(413, "image_too_large", `Decoding this JPEG needs more than ${Math.round(maxMemoryBytes / 2 ** 20)} MiB.`);
    }
  };
  const block = new Int16Array(64);

  for (;;) {
    if (pos + 2 > data.length) throw truncated();
    if (data[pos] !== 0xff) {
      pos++; // stray bytes between segments: libjpeg skips them with a warning
      continue;
    }
    const marker = data[pos + 1]!;
    if (marker === 0xff) {
      pos++;
      continue;
    }
    if (marker === 0xd9) break;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      continue;
    }
    if (pos + 4 > data.length) throw truncated();
    const len = (data[pos + 2]! << 8) | data[pos + 3]!;
    const start = pos + 4;
    const end = pos + 2 + len;
    if (len < 2 || end > data.length) throw truncated();
    const seg = data.subarray(start, end);
    switch (marker) {
      case 0xdb: {
        let p = 0;
        while (p < seg.length) {
          const pq = seg[p]! >> 4, tq = seg[p]! & 15;
          p++;
          if (tq > 3 || pq > 1 || p + 64 * (pq + 1) > seg.length) throw corrupt("bad quantization table");
          const t = new Uint16Array(64);
          for (let j = 0; j < 64; j++, p += pq + 1) t[ZIGZAG[j]!] = pq ? (seg[p]! << 8) | seg[p + 1]! : seg[p]!;
          qts[tq] = t;
        }
        break;
      }
      case 0xc4: {
        let p = 0;
        while (p < seg.length) {
          const tc = seg[p]! >> 4, th = seg[p]! & 15;
          if (p + 17 > seg.length || th > 3 || tc > 1) throw corrupt("bad Huffman table");
          const counts = seg.subarray(p + 1, p + 17);
          let n = 0;
          for (const c of counts) n += c;
          if (n > 256 || p + 17 + n > seg.length) throw corrupt("bad Huffman table");
          (tc === 0 ? dcTables : acTables)[th] = buildHuffman(counts, seg.subarray(p + 17, p + 17 + n));
          p += 17 + n;
        }
        break;
      }
      case 0xc0:
      case 0xc1:
      case 0xc2: {
        if (frame) throw corrupt("more than one frame");
        frame = readFrame(seg, marker === 0xc2, size, allocate);
        break;
      }
      case 0xdd:
        if (seg.length < 2) throw corrupt("bad restart interval");
        restartInterval = (seg[0]! << 8) | seg[1]!;
        break;
      case 0xe0:
        if (seg.length >= 5 && seg[0] === 0x4a && seg[1] === 0x46 && seg[2] === 0x49 && seg[3] === 0x46 && seg[4] === 0) jfif = true;
        break;
      case 0xee:
        if (seg.length >= 12 && seg[0] === 0x41 && seg[1] === 0x64 && seg[2] === 0x6f && seg[3] === 0x62 && seg[4] === 0x65) adobe = seg[11]!;
        break;
      case 0xda: {
        if (!frame) throw corrupt("scan before frame header");
        const ns = seg[0] ?? 0;
        if (ns < 1 || ns > 4 || seg.length < 1 + ns * 2 + 3) throw corrupt("bad scan header");
        const comps: Component[] = [];
        for (let i = 0; i < ns; i++) {
          const c = frame.components.find((x) => x.id === seg[1 + i * 2]);
          if (!c) throw corrupt("scan names an unknown component");
          const sel = seg[2 + i * 2]!;
          c.dc = dcTables[sel >> 4] ?? null;
          c.ac = acTables[sel & 15] ?? null;
          c.qt ??= qts[c.tq] ?? null; // latched at the component's first scan, as libjpeg does
          if (!c.qt) throw corrupt("missing quantization table");
          comps.push(c);
        }
        const q = 1 + ns * 2;
        const ss = seg[q]!, se = seg[q + 1]!, ah = seg[q + 2]! >> 4, al = seg[q + 2]! & 15;
        const reader = new BitReader(data, end);
        if (frame.progressive && ss > 0 && comps.length === 1 && comps[0]!.size === 1) {
          // An AC scan of a component decoded at 1×1 per block (DC only): nothing in it matters. Skipped
          // past its restart markers too (stopping at the first RSTn made such files "truncated" at 1/8).
          if (se > 63 || ss > se) throw corrupt("bad progressive AC scan");
          reader.skipScan();
          pos = reader.pos;
          continue;
        }
        decodeScan(reader, frame, comps, restartInterval, ss, se, ah, al, block);
        // Bits taken from invented zeros (beyond what is still buffered) mean the scan's data is missing.
        if (reader.overrun * 8 > reader.cnt) throw truncated();
        reader.toMarker();
        pos = reader.pos;
        continue;
      }
      default:
        break; // APPn, COM, DNL...: nothing we need
    }
    pos = end;
  }
  if (!frame) throw corrupt("no frame header");
  return toImage(frame, size, jfif, adobe, allocate);
}

function readFrame(seg: Uint8Array, progressive: boolean, minSize: number, allocate: (n: number) => void): Frame {
  const height = (seg[1]! << 8) | seg[2]!;
  const width = (seg[3]! << 8) | seg[4]!;
  const n = seg[5]!;
  if (seg[0] !== 8 || width === 0 || height === 0 || ![1, 3, 4].includes(n) || seg.length < 6 + n * 3) throw corrupt("unsupported frame header");
  const raw: { id: number; h: number; v: number; tq: number }[] = [];
  for (let i = 0; i < n; i++) {
    const b = 6 + i * 3;
    const h = seg[b + 1]! >> 4, v = seg[b + 1]! & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) throw corrupt("bad sampling factors");
    raw.push({ id: seg[b]!, h, v, tq: seg[b + 2]! & 3 });
  }
  const maxH = Math.max(...raw.map((c) => c.h));
  const maxV = Math.max(...raw.map((c) => c.v));
  const mcusPerLine = Math.ceil(width / (8 * maxH));
  const mcusPerColumn = Math.ceil(height / (8 * maxV));
  const components = raw.map((c): Component => {
    if (maxH % c.h !== 0 || maxV % c.v !== 0) throw new ApiError(422, "unsupported_jpeg", "This JPEG uses fractional chroma sampling, which is not supported.");
    let size = minSize;
    while (size < 8 && (maxH * minSize) % (c.h * size * 2) === 0 && (maxV * minSize) % (c.v * size * 2) === 0) size *= 2;
    const dcOnly = size === 1;
    const bplAlloc = mcusPerLine * c.h;
    const bpcAlloc = mcusPerColumn * c.v;
    const blocks = bplAlloc * bpcAlloc;
    allocate(blocks * size * size);
    let coef: Int16Array | null = null;
    if (progressive) {
      allocate(blocks * (dcOnly ? 2 : 128));
      coef = new Int16Array(dcOnly ? blocks : blocks * 64);
    }
    return {
      ...c,
      size,
      qt: null,
      blocksPerLine: Math.ceil(Math.ceil((width * c.h) / maxH) / 8),
      blocksPerColumn: Math.ceil(Math.ceil((height * c.v) / maxV) / 8),
      bplAlloc,
      bpcAlloc,
      coef,
      plane: new Uint8Array(blocks * size * size),
      pred: 0,
      dc: null,
      ac: null,
    };
  });
  return { width, height, progressive, components, maxH, maxV, mcusPerLine, mcusPerColumn };
}

type BlockFn = (r: BitReader, c: Component, row: number, col: number) => void;

function decodeScan(
  r: BitReader,
  frame: Frame,
  comps: Component[],
  restartInterval: number,
  ss: number,
  se: number,
  ah: number,
  al: number,
  block: Int16Array,
): void {
  let eobrun = 0;
  let fn: BlockFn;
  if (!frame.progressive) {
    // Sequential scans are always 0..63; libjpeg ignores odd Ss/Se/Ah/Al here, and so do we.
    fn = (r, c, row, col) => {
      const dc = c.dc, ac = c.ac;
      if (!dc || !ac) throw corrupt("missing Huffman table");
      const size = c.size, dcOnly = size === 1;
      const t = r.huff(dc);
      c.pred += extend(r.bits(t), t);
      let nonzeroAc = false;
      const fast = ac.fastAc;
      for (let k = 1; k < 64; ) {
        if (r.cnt < 16) r.fill();
        const e = fast[(r.acc >>> (r.cnt - 9)) & 511]!;
        if (e !== 0) {
          r.cnt -= e & 15;
          const run = (e >> 4) & 15;
          if (e & 0x100) {
            if (run !== 15) break; // EOB
            k += 16;
            continue;
          }
          k += run;
          if (!dcOnly) {
            block[ZIGZAG[k]!] = e >> 9;
            nonzeroAc = true;
          }
          k++;
          continue;
        }
        const rs = r.huff(ac);
        const sz = rs & 15;
        if (sz === 0) {
          if (rs >> 4 !== 15) break;
          k += 16;
          continue;
        }
        k += rs >> 4;
        const value = extend(r.bits(sz), sz);
        if (!dcOnly) {
          block[ZIGZAG[k]!] = value;
          nonzeroAc = true;
        }
        k++;
      }
      // A block without AC terms is flat at every scale: libjpeg's islow gives (DC·Q₀ + 4) >> 3 for each
      // sample, exactly its 1×1 value, so the IDCT can be skipped (smooth areas are mostly such blocks).
      const flat = RANGE_LIMIT[((c.pred * c.qt![0]!) + 4 >> 3) & 1023]!;
      if (dcOnly) {
        c.plane[row * c.bplAlloc + col] = flat;
        return;
      }
      const stride = c.bplAlloc * size;
      const at = row * size * stride + col * size;
      if (!nonzeroAc) {
        for (let y = 0; y < size; y++) c.plane.fill(flat, at + y * stride, at + y * stride + size);
        return;
      }
      block[0] = c.pred;
      idctScaled(block, 0, c.qt!, size, c.plane, at, stride);
      block.fill(0);
    };
  } else if (ss === 0) {
    if (se !== 0) throw corrupt("bad progressive DC scan");
    // Components decoded at 1×1 per block keep their DC terms only.
    fn =
      ah === 0
        ? (r, c, row, col) => {
            if (!c.dc) throw corrupt("missing Huffman table");
            const t = r.huff(c.dc);
            c.pred += extend(r.bits(t), t);
            c.coef![(row * c.bplAlloc + col) * (c.size === 1 ? 1 : 64)] = c.pred * (1 << al);
          }
        : (r, c, row, col) => {
            const i = (row * c.bplAlloc + col) * (c.size === 1 ? 1 : 64);
            if (r.bit()) c.coef![i] = c.coef![i]! | (1 << al);
          };
  } else {
    if (comps.length !== 1 || se > 63 || ss > se) throw corrupt("bad progressive AC scan");
    if (ah === 0) {
      fn = (r, c, row, col) => {
        if (eobrun > 0) {
          eobrun--;
          return;
        }
        if (!c.ac) throw corrupt("missing Huffman table");
        const coef = c.coef!;
        const off = (row * c.bplAlloc + col) * 64;
        for (let k = ss; k <= se; k++) {
          const rs = r.huff(c.ac);
          const s = rs & 15, rr = rs >> 4;
          if (s === 0) {
            if (rr < 15) {
              eobrun = (1 << rr) - 1 + r.bits(rr);
              break;
            }
            k += 15;
            continue;
          }
          k += rr;
          coef[off + ZIGZAG[k]!] = extend(r.bits(s), s) * (1 << al);
        }
      };
    } else {
      const p1 = 1 << al, m1 = -1 << al;
      fn = (r, c, row, col) => {
        const coef = c.coef!;
        const off = (row * c.bplAlloc + col) * 64;
        let k = ss;
        if (eobrun === 0) {
          if (!c.ac) throw corrupt("missing Huffman table");
          for (; k <= se; k++) {
            const rs = r.huff(c.ac);
            let rr = rs >> 4;
            let s = rs & 15;
            if (s !== 0) s = r.bit() ? p1 : m1;
            else if (rr !== 15) {
              eobrun = (1 << rr) + r.bits(rr);
              break;
            }
            while (k <= se) {
              const z = off + ZIGZAG[k]!;
              const v = coef[z]!;
              if (v !== 0) {
                if (r.bit() && (v & p1) === 0) coef[z] = v + (v >= 0 ? p1 : m1);
              } else if (--rr < 0) break;
              k++;
            }
            if (s !== 0) coef[off + ZIGZAG[k]!] = s;
          }
        }
        if (eobrun > 0) {
          for (; k <= se; k++) {
            const z = off + ZIGZAG[k]!;
            const v = coef[z]!;
            if (v !== 0 && r.bit() && (v & p1) === 0) coef[z] = v + (v >= 0 ? p1 : m1);
          }
          eobrun--;
        }
      };
    }
  }

  for (const c of comps) c.pred = 0;
  let n = 0;
  const restart = () => {
    r.restart();
    for (const c of comps) c.pred = 0;
    eobrun = 0;
  };
  if (comps.length === 1) {
    // Non-interleaved: the component's own blocks, no MCU padding.
    const c = comps[0]!;
    for (let row = 0; row < c.blocksPerColumn; row++) {
      for (let col = 0; col < c.blocksPerLine; col++) {
        if (restartInterval && n > 0 && n % restartInterval === 0) restart();
        fn(r, c, row, col);
        n++;
      }
    }
  } else {
    for (let my = 0; my < frame.mcusPerColumn; my++) {
      for (let mx = 0; mx < frame.mcusPerLine; mx++) {
        if (restartInterval && n > 0 && n % restartInterval === 0) restart();
        for (const c of comps) {
          for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) fn(r, c, my * c.v + v, mx * c.h + h);
        }
        n++;
      }
    }
  }
}

function toImage(frame: Frame, minSize: number, jfif: boolean, adobe: number | null, allocate: (n: number) => void): RgbImage {
  const outW = Math.ceil((frame.width * minSize) / 8);
  const outH = Math.ceil((frame.height * minSize) / 8);
  const planes: Plane[] = frame.components.map((c) => {
    const size = c.size, dcOnly = size === 1;
    const stride = c.bplAlloc * size;
    if (c.coef) {
      // Progressive: everything is known now; turn the coefficients into samples.
      const qt = c.qt ?? new Uint16Array(64);
      for (let row = 0; row < c.bpcAlloc; row++) {
        for (let col = 0; col < c.bplAlloc; col++) {
          const b = row * c.bplAlloc + col;
          if (dcOnly) c.plane[b] = RANGE_LIMIT[((c.coef[b]! * qt[0]!) + 4 >> 3) & 1023]!;
          else idctScaled(c.coef, b * 64, qt, size, c.plane, row * size * stride + col * size, stride);
        }
      }
      c.coef = null;
    }
    // libjpeg-turbo's downsampled_width / _height: ceil(image size × sampling × size / (max sampling × 8)).
    const plane: Plane = {
      data: c.plane,
      width: Math.ceil((frame.width * c.h * size) / (frame.maxH * 8)),
      height: Math.ceil((frame.height * c.v * size) / (frame.maxV * 8)),
      stride,
    };
    const fx = (frame.maxH * minSize) / (c.h * size), fy = (frame.maxV * minSize) / (c.v * size);
    if (fx === 1 && fy === 1) return plane;
    allocate(plane.width * fx * plane.height * fy);
    return upsample(plane, fx, fy, outW, outH, minSize > 1); // libjpeg: no fancy upsampling at 1/8
  });
  const comps = frame.components;
  if (comps.length === 1) {
    const p = planes[0]!;
    allocate(outW * outH);
    const out = new Uint8Array(outW * outH);
    for (let y = 0; y < outH; y++) out.set(p.data.subarray(y * p.stride, y * p.stride + outW), y * outW);
    return { width: outW, height: outH, data: out, channels: 1 };
  }
  allocate(outW * outH * 3);
  if (comps.length === 3) {
    const rgb =
      !jfif && (adobe === 0 || (adobe === null && comps[0]!.id === 0x52 && comps[1]!.id === 0x47 && comps[2]!.id === 0x42));
    return { width: outW, height: outH, data: toRgb(planes, outW, outH, rgb ? "rgb" : "ycc"), channels: 3 };
  }
  return { width: outW, height: outH, data: cmykToRgb(planes, outW, outH, adobe === 2), channels: 3 };
}
