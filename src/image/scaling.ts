import type { Box } from "./resize";
import { centerSquareBox } from "./resize";
import type { ScaleDenom } from "./jpeg-decoder";

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
 * The center-square crop of the full-size, oriented image, expressed in the coordinates of the image
 * decoded at 1/denom and then oriented. A reduced decode covers the full image's extent L/denom with
 * ceil(L/denom) samples, so on an axis the orientation mirrors, the box is measured from the far edge.
 */
export function scaledCropBox(width: number, height: number, orientation: number, denom: number): Box {
  const swap = orientation >= 5;
  const fw = swap ? height : width; // full size, oriented
  const fh = swap ? width : height;
  const [l, t, r, b] = centerSquareBox(fw, fh);
  if (denom === 1) return [l, t, r, b];
  const axis = (a: number, z: number, len: number, flipped: boolean): [number, number] => {
    if (!flipped) return [a / denom, z / denom];
    const scaled = Math.ceil(len / denom);
    return [scaled - (len - a) / denom, scaled - (len - z) / denom];
  };
  const [x0, x1] = axis(l, r, fw, FLIP_X.has(orientation));
  const [y0, y1] = axis(t, b, fh, FLIP_Y.has(orientation));
  return [x0, y0, x1, y1];
}
