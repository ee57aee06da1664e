/** An interleaved 8-bit image. */
export interface RgbImage {
  width: number;
  height: number;
  /** Row-major, `channels` bytes per pixel. */
  data: Uint8Array;
  channels: number;
}

/**
 * Applies EXIF orientation 1–8 the way Pillow's ImageOps.exif_transpose does, returning the image as it is
 * meant to be displayed. Orientation 1 returns the input unchanged (no copy).
 */
export function applyOrientation(img: RgbImage, orientation: number): RgbImage {
  if (orientation < 2 || orientation > 8) return img;
  const { width: w, height: h, data, channels: c } = img;
  const swap = orientation >= 5;
  const ow = swap ? h : w;
  const oh = swap ? w : h;
  const out = new Uint8Array(ow * oh * c);
  // For each output pixel (x, y), the source pixel (sx, sy) = a + bx·x + by·y per axis.
  const [sx0, sxx, sxy, sy0, syx, syy] = SOURCE_MAP[orientation]!(w, h);
  let o = 0;
  for (let y = 0; y < oh; y++) {
    let sx = sx0 + sxy * y;
    let sy = sy0 + syy * y;
    for (let x = 0; x < ow; x++) {
      const s = (sy * w + sx) * c;
      for (let k = 0; k < c; k++) out[o++] = data[s + k]!;
      sx += sxx;
      sy += syx;
    }
  }
  return { width: ow, height: oh, data: out, channels: c };
}

type Map6 = [number, number, number, number, number, number];
// [sx0, dsx/dx, dsx/dy, sy0, dsy/dx, dsy/dy]
const SOURCE_MAP: Record<number, (w: number, h: number) => Map6> = {
  2: (w) => [w - 1, -1, 0, 0, 0, 1], // mirror left-right
  3: (w, h) => [w - 1, -1, 0, h - 1, 0, -1], // rotate 180
  4: (_w, h) => [0, 1, 0, h - 1, 0, -1], // mirror top-bottom
  5: () => [0, 0, 1, 0, 1, 0], // transpose
  6: (_w, h) => [0, 0, 1, h - 1, -1, 0], // rotate 90° clockwise
  7: (w, h) => [w - 1, 0, -1, h - 1, -1, 0], // transverse
  8: (w) => [w - 1, 0, -1, 0, 1, 0], // rotate 90° counter-clockwise
};
