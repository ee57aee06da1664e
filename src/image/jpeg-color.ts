/*
 * Chroma upsampling and colour conversion as libjpeg-turbo does them by default (jdsample.c "fancy"
 * triangle upsampling, jdcolor.c fixed-point YCbCr→RGB tables) and Pillow's CMYK→RGB (Convert.c
 * cmyk2rgb), so that a full-size decode gives the RGB bytes Pillow gives. libjpeg-turbo: IJG License +
 * Modified BSD (Thomas G. Lane, Guido Vollbeding, D. R. Commander); Pillow: MIT-CMU (HPND).
 */

/** One decoded component: `width` × `height` real samples in rows of `stride` bytes. */
export interface Plane {
  data: Uint8Array;
  width: number;
  height: number;
  stride: number;
}

/**
 * Upsamples `p` by integer factors (fx, fy) to a plane of at least outW × outH. Factor 2 uses libjpeg's
 * fancy (triangle) filter when `fancy`; other factors replicate, as libjpeg's int_upsample.
 */
export function upsample(p: Plane, fx: number, fy: number, outW: number, outH: number, fancy: boolean): Plane {
  if (fx === 1 && fy === 1) return p;
  const w = p.width * fx;
  const h = p.height * fy;
  const out = new Uint8Array(w * h);
  const { data, width, height, stride } = p;
  const row = (y: number) => Math.min(Math.max(y, 0), height - 1) * stride; // context rows replicate the edges
  // libjpeg only smooths rows wider than 2 samples (jdsample.c jinit_upsampler).
  const wide = width > 2;
  if (fancy && wide && fx === 2 && fy === 2) {
    for (let y = 0; y < height; y++) {
      for (let v = 0; v < 2; v++) {
        const r0 = row(y);
        const r1 = row(v === 0 ? y - 1 : y + 1);
        const o = (y * 2 + v) * w;
        let last = data[r0]! * 3 + data[r1]!;
        let cur = last;
        for (let x = 0; x < width; x++) {
          const next = x + 1 < width ? data[r0 + x + 1]! * 3 + data[r1 + x + 1]! : cur;
          out[o + 2 * x] = (cur * 3 + last + 8) >> 4;
          out[o + 2 * x + 1] = (cur * 3 + next + 7) >> 4;
          last = cur;
          cur = next;
        }
      }
    }
  } else if (fancy && wide && fx === 2 && fy === 1) {
    for (let y = 0; y < height; y++) {
      const r = y * stride;
      const o = y * w;
      out[o] = data[r]!;
      out[o + 1] = (data[r]! * 3 + data[r + 1]! + 2) >> 2;
      for (let x = 1; x < width - 1; x++) {
        const v = data[r + x]! * 3;
        out[o + 2 * x] = (v + data[r + x - 1]! + 1) >> 2;
        out[o + 2 * x + 1] = (v + data[r + x + 1]! + 2) >> 2;
      }
      const xl = width - 1;
      out[o + 2 * xl] = (data[r + xl]! * 3 + data[r + xl - 1]! + 1) >> 2;
      out[o + 2 * xl + 1] = data[r + xl]!;
    }
  } else if (fancy && fx === 1 && fy === 2) {
    for (let y = 0; y < height; y++) {
      for (let v = 0; v < 2; v++) {
        const r0 = row(y);
        const r1 = row(v === 0 ? y - 1 : y + 1);
        const bias = v === 0 ? 1 : 2;
        const o = (y * 2 + v) * w;
        for (let x = 0; x < width; x++) out[o + x] = (data[r0 + x]! * 3 + data[r1 + x]! + bias) >> 2;
      }
    }
  } else {
    for (let y = 0; y < h; y++) {
      const r = ((y / fy) | 0) * stride;
      for (let x = 0; x < w; x++) out[y * w + x] = data[r + ((x / fx) | 0)]!;
    }
  }
  if (w < outW || h < outH) throw new Error("upsampled plane smaller than the image");
  return { data: out, width: w, height: h, stride: w };
}

// jdcolor.c build_ycc_rgb_table: SCALEBITS 16, FIX(x) = round(x * 65536).
const FIX = (x: number) => Math.round(x * 65536);
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = (FIX(1.402) * x + 32768) >> 16;
  CB_B[i] = (FIX(1.772) * x + 32768) >> 16;
  CR_G[i] = -FIX(0.71414) * x;
  CB_G[i] = -FIX(0.34414) * x + 32768;
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** Interleaves three planes into RGB, converting from YCbCr unless `rgb`. */
export function toRgb(planes: Plane[], w: number, h: number, transform: "ycc" | "rgb"): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  const [p0, p1, p2] = planes as [Plane, Plane, Plane];
  let o = 0;
  for (let y = 0; y < h; y++) {
    const a = y * p0.stride, b = y * p1.stride, c = y * p2.stride;
    for (let x = 0; x < w; x++) {
      const Y = p0.data[a + x]!, cb = p1.data[b + x]!, cr = p2.data[c + x]!;
      if (transform === "rgb") {
        out[o++] = Y;
        out[o++] = cb;
        out[o++] = cr;
      } else {
        out[o++] = clamp(Y + CR_R[cr]!);
        out[o++] = clamp(Y + ((CB_G[cb]! + CR_G[cr]!) >> 16));
        out[o++] = clamp(Y + CB_B[cb]!);
      }
    }
  }
  return out;
}

/**
 * Four planes (Adobe CMYK, or YCCK when `ycck`) to RGB as Pillow shows them: libjpeg hands out the
 * stored (Adobe-inverted) CMYK, Pillow reads it as "CMYK;I" and converts with cmyk2rgb.
 */
export function cmykToRgb(planes: Plane[], w: number, h: number, ycck: boolean): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  const [p0, p1, p2, p3] = planes as [Plane, Plane, Plane, Plane];
  let o = 0;
  for (let y = 0; y < h; y++) {
    const a = y * p0.stride, b = y * p1.stride, c = y * p2.stride, d = y * p3.stride;
    for (let x = 0; x < w; x++) {
      let s0 = p0.data[a + x]!, s1 = p1.data[b + x]!, s2 = p2.data[c + x]!;
      if (ycck) {
        // jdcolor.c ycck_cmyk_convert
        const Y = s0;
        s0 = 255 - clamp(Y + CR_R[s2]!);
        s1 = 255 - clamp(Y + ((CB_G[s1]! + CR_G[s2]!) >> 16));
        s2 = 255 - clamp(Y + CB_B[p1.data[b + x]!]!);
      }
      const nk = p3.data[d + x]!; // 255 - k, where k = 255 - stored
      out[o++] = clamp(nk - muldiv255(255 - s0, nk));
      out[o++] = clamp(nk - muldiv255(255 - s1, nk));
      out[o++] = clamp(nk - muldiv255(255 - s2, nk));
    }
  }
  return out;
}

// Pillow's MULDIV255: a * b / 255, rounded, in integers.
function muldiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}
