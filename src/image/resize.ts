/**
 * Pillow's BOX resampling for mode "F", reproduced operation for operation from Pillow 9.4
 * src/libImaging/Resample.c (precompute_coeffs, ImagingResampleHorizontal/Vertical_32bpc,
 * ImagingResampleInner): float64 weights, a float32 intermediate, horizontal pass first, and the box
 * given as C floats. Any deviation shows up in the resize vectors (models/test-vectors.json).
 */

/** (left, top, right, bottom) in source pixels; may be fractional. */
export type Box = readonly [number, number, number, number];

interface Coeffs {
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
  const { data, width, height, stride, channel } = src;
  const b0 = Math.fround(box[0]), b1 = Math.fround(box[1]), b2 = Math.fround(box[2]), b3 = Math.fround(box[3]);
  const needH = outW !== width || b0 !== 0 || b2 !== outW;
  const needV = outH !== height || b1 !== 0 || b3 !== outH;

  const vert = precomputeCoeffs(height, b1, b3, outH);
  const yFirst = vert.bounds[0]!;
  const yLast = vert.bounds[outH * 2 - 2]! + vert.bounds[outH * 2 - 1]!;
  const rows = yLast - yFirst;

  // Horizontal pass into a float32 intermediate covering only the rows the vertical pass reads.
  // Without one (Pillow skips it) the intermediate is the source rows verbatim, which is the same thing.
  const tw = needH ? outW : width;
  const temp = new Float32Array(tw * rows);
  if (needH) {
    const { ksize, bounds, kk } = precomputeCoeffs(width, b0, b2, outW);
    for (let yy = 0; yy < rows; yy++) {
      const rowBase = (yy + yFirst) * width;
      for (let xx = 0; xx < outW; xx++) {
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

/** Step 3 of the recipe: the integer center-square crop box. */
export function centerSquareBox(width: number, height: number): Box {
  const side = Math.min(width, height);
  const left = Math.floor((width - side) / 2);
  const top = Math.floor((height - side) / 2);
  return [left, top, left + side, top + side];
}
