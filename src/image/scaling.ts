import type { ScaleDenom } from "./jpeg-decoder";
import { type Coeffs, centerSquareBox, coverageCoeffs, precomputeCoeffs } from "./resize";

/**
 * The largest DCT-scaling reduction (1/8, 1/4, 1/2) that keeps the decoded shorter side at least
 * `minSide` pixels; 1 (full size) when even 1/2 would go below it.
 */
export function chooseScaleDenom(width: number, height: number, minSide: number): ScaleDenom {
  const shorter = Math.min(width, height);
  for (const d of [8, 4, 2] as const) if (shorter / d >= minSide) return d;
  return 1;
}

const FLIP_X = new Set([2, 3, 6, 7]);
const FLIP_Y = new Set([3, 4, 7, 8]);

/**
 * Resampling weights for an image decoded at 1/denom and then oriented: for each output pixel, the
 * span of full-size pixels Pillow's BOX filter averages (center-square crop of the full-size oriented
 * image), carried into reduced coordinates. A reduced decode covers an axis of length L with
 * ceil(L/denom) samples, so on an axis the orientation mirrors, spans are measured from the far edge.
 */
export function scaledCoeffs(width: number, height: number, orientation: number, denom: number, outW: number, outH: number): { horiz: Coeffs; vert: Coeffs } {
  const swap = orientation >= 5;
  const fw = swap ? height : width; // full size, oriented
  const fh = swap ? width : height;
  const [l, t, r, b] = centerSquareBox(fw, fh);
  const axis = (len: number, a: number, z: number, out: number, flipped: boolean): Coeffs => {
    const full = precomputeCoeffs(len, a, z, out);
    const scaled = Math.ceil(len / denom);
    const spans: [number, number][] = [];
    for (let i = 0; i < out; i++) {
      const s = full.bounds[i * 2]!, e = s + full.bounds[i * 2 + 1]!;
      spans.push(flipped ? [scaled - (len - s) / denom, scaled - (len - e) / denom] : [s / denom, e / denom]);
    }
    return coverageCoeffs(spans, scaled);
  };
  return { horiz: axis(fw, l, r, outW, FLIP_X.has(orientation)), vert: axis(fh, t, b, outH, FLIP_Y.has(orientation)) };
}
