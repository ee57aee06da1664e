/**
 * Pillow's BOX resampling for mode "F", reproduced operation for operation from Pillow 9.4
 * src/libImaging/Resample.c (precompute_coeffs, ImagingResampleHorizontal/Vertical_32bpc,
 * ImagingResampleInner): float64 weights, a float32 intermediate, horizontal pass first, and the box
 * given as C floats. Any deviation shows up in the resize vectors (models/test-vectors.json).
 */

/** (left, top, right, bottom) in source pixels; may be fractional. */
export type Box = readonly [number, number, number, number];

export interface Coeffs {
  ksize: number;
  /** Per output pixel: first source index and number of taps. */
  bounds: Int32Array;
  /** outSize × ksize weights. */
  kk: Float64Array;
}

const boxFilter = (x: number): number => (x > -0.5 && x <= 0.5 ? 1 : 0);
const BOX_SUPPORT = 0.5;

export function precomputeCoeffs(inSize: number, in0f: number, in1f: number, outSize: number): Coeffs {
  const in0 = Math.fround(in0f);
  const in1 = Math.fround(in1f);
  // C: (double)(in1 - in0) / outSize, where the subtraction is in float.
  const scale = Math.fround(in1 - in0) / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = BOX_SUPPORT * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const kk = new Float64Array(outSize * ksize);
  const bounds = new Int32Array(outSize * 2);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    let ww = 0;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    const k = xx * ksize;
    for (let x = 0; x < xmax; x++) {
      const w = boxFilter((x + xmin - center + 0.5) * ss);
      kk[k + x] = w;
      ww += w;
    }
    if (ww !== 0) for (let x = 0; x < xmax; x++) kk[k + x]! /= ww;
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

/** One channel of an interleaved 8-bit image. */
export interface ChannelSource {
  data: Uint8Array | Float32Array;
  width: number;
  height: number;
  /** Values per pixel in `data`. */
  stride: number;
  /** Which of them. */
  channel: number;
}

/**
 * Resizes one channel of `src` (the part inside `box`) to outW × outH, returning a float32 plane,
 * exactly as Pillow's ImagingResample(imIn "F", outW, outH, BOX, box).
 */
export function resampleBox(src: ChannelSource, box: Box, outW: number, outH: number): Float32Array {
  const b0 = Math.fround(box[0]), b1 = Math.fround(box[1]), b2 = Math.fround(box[2]), b3 = Math.fround(box[3]);
  const needH = outW !== src.width || b0 !== 0 || b2 !== outW;
  const needV = outH !== src.height || b1 !== 0 || b3 !== outH;
  const vert = precomputeCoeffs(src.height, b1, b3, outH);
  const horiz = needH ? precomputeCoeffs(src.width, b0, b2, outW) : null;
  return resampleSeparable(src, horiz, vert, needV);
}

/**
 * The two passes of ImagingResampleInner: horizontal (when `horiz`) into a float32 intermediate holding
 * only the rows the vertical pass reads, then vertical (when `needV`). Without a horizontal pass Pillow
 * reads the source directly, which equals copying those rows verbatim.
 */
export function resampleSeparable(src: ChannelSource, horiz: Coeffs | null, vert: Coeffs, needV = true): Float32Array {
  const { data, width, stride, channel } = src;
  const outH = vert.bounds.length / 2;
  const yFirst = vert.bounds[0]!;
  const yLast = vert.bounds[outH * 2 - 2]! + vert.bounds[outH * 2 - 1]!;
  const rows = yLast - yFirst;
  const tw = horiz ? horiz.bounds.length / 2 : width;
  const temp = new Float32Array(tw * rows);
  if (horiz) {
    const { ksize, bounds, kk } = horiz;
    for (let yy = 0; yy < rows; yy++) {
      const rowBase = (yy + yFirst) * width;
      for (let xx = 0; xx < tw; xx++) {
        const xmin = bounds[xx * 2]!;
        const xmax = bounds[xx * 2 + 1]!;
        const k = xx * ksize;
        let ss = 0;
        for (let x = 0; x < xmax; x++) ss += data[(rowBase + x + xmin) * stride + channel]! * kk[k + x]!;
        temp[yy * tw + xx] = ss;
      }
    }
  } else {
    for (let yy = 0; yy < rows; yy++) {
      const rowBase = (yy + yFirst) * width;
      for (let x = 0; x < width; x++) temp[yy * tw + x] = data[(rowBase + x) * stride + channel]!;
    }
  }
  if (!needV) return temp;

  const out = new Float32Array(tw * outH);
  const { ksize, bounds, kk } = vert;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2]! - yFirst;
    const ymax = bounds[yy * 2 + 1]!;
    const k = yy * ksize;
    for (let xx = 0; xx < tw; xx++) {
      let ss = 0;
      for (let y = 0; y < ymax; y++) ss += temp[(y + ymin) * tw + xx]! * kk[k + y]!;
      out[yy * tw + xx] = ss;
    }
  }
  return out;
}

/**
 * Coverage weights: output i averages the source over the (fractional) interval `spans[i]`, each source
 * pixel weighted by how much of it the interval covers. Used after a DCT-scaled decode, where one
 * decoded pixel stands for a d × d block of the full image: integrating over the block-scaled image the
 * exact pixel span Pillow's BOX filter would average at full size reproduces that average, up to the
 * decoder's rounding, instead of snapping the span to whole reduced pixels.
 */
export function coverageCoeffs(spans: ReadonlyArray<readonly [number, number]>, inSize: number): Coeffs {
  let ksize = 1;
  for (const [a, b] of spans) ksize = Math.max(ksize, Math.ceil(Math.min(b, inSize)) - Math.floor(Math.max(a, 0)));
  const kk = new Float64Array(spans.length * ksize);
  const bounds = new Int32Array(spans.length * 2);
  spans.forEach(([a0, b0], i) => {
    const a = Math.max(a0, 0), b = Math.min(b0, inSize);
    const first = Math.floor(a);
    const n = Math.max(1, Math.ceil(b) - first);
    let total = 0;
    for (let j = 0; j < n; j++) {
      const w = Math.max(0, Math.min(b, first + j + 1) - Math.max(a, first + j));
      kk[i * ksize + j] = w;
      total += w;
    }
    for (let j = 0; j < n; j++) kk[i * ksize + j] = total > 0 ? kk[i * ksize + j]! / total : 1 / n;
    bounds[i * 2] = Math.min(first, inSize - 1);
    bounds[i * 2 + 1] = n;
  });
  return { ksize, bounds, kk };
}

/** Step 3 of the recipe: the integer center-square crop box. */
export function centerSquareBox(width: number, height: number): Box {
  const side = Math.min(width, height);
  const left = Math.floor((width - side) / 2);
  const top = Math.floor((height - side) / 2);
  return [left, top, left + side, top + side];
}
