import type { Preprocessing } from "./preprocessing";
import { type Box, type Coeffs, centerSquareBox, resampleBox, resampleSeparable } from "./resize";
import type { RgbImage } from "./orientation";

/**
 * Steps 3–5 of the recipe on an oriented RGB image: crop box → BOX resize per channel in float32 →
 * (x − mean) / std → NCHW. `sampling` defaults to Pillow's BOX over the center square; a fractional
 * box, or precomputed weights after a DCT-scaled decode (scaling.ts), can be given instead.
 */
export function rgbToTensor(img: RgbImage, preprocessing: Preprocessing, sampling?: Box | { horiz: Coeffs; vert: Coeffs }): Float32Array {
  const { width: outW, height: outH } = preprocessing.resize;
  const crop = sampling ?? centerSquareBox(img.width, img.height);
  const plane = outW * outH;
  const tensor = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    // Grayscale input (1 channel) feeds the same plane to R, G and B.
    const channel = img.channels === 1 ? 0 : c;
    const src = { data: img.data, width: img.width, height: img.height, stride: img.channels, channel };
    const resized = "horiz" in crop ? resampleSeparable(src, crop.horiz, crop.vert) : resampleBox(src, crop, outW, outH);
    const mean = Math.fround(preprocessing.scale.mean[c]!);
    const std = Math.fround(preprocessing.scale.std[c]!);
    const base = c * plane;
    // float32 arithmetic as numpy does it: (x - float32(mean)) / float32(std).
    for (let i = 0; i < plane; i++) tensor[base + i] = Math.fround(resized[i]! - mean) / std;
  }
  return tensor;
}
