import type { Preprocessing } from "./preprocessing";
import { type Box, centerSquareBox, resampleBox } from "./resize";
import type { RgbImage } from "./orientation";

/**
 * Steps 3–5 of the recipe on an oriented RGB image: crop box → BOX resize per channel in float32 →
 * (x − mean) / std → NCHW. `box` defaults to the center square; a decoder that downscaled passes the
 * scaled (fractional) box instead.
 */
export function rgbToTensor(img: RgbImage, preprocessing: Preprocessing, box?: Box): Float32Array {
  const { width: outW, height: outH } = preprocessing.resize;
  const crop = box ?? centerSquareBox(img.width, img.height);
  const plane = outW * outH;
  const tensor = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    // Grayscale input (1 channel) feeds the same plane to R, G and B.
    const channel = img.channels === 1 ? 0 : c;
    const resized = resampleBox({ data: img.data, width: img.width, height: img.height, stride: img.channels, channel }, crop, outW, outH);
    const mean = Math.fround(preprocessing.scale.mean[c]!);
    const std = Math.fround(preprocessing.scale.std[c]!);
    const base = c * plane;
    // float32 arithmetic as numpy does it: (x - float32(mean)) / float32(std).
    for (let i = 0; i < plane; i++) tensor[base + i] = Math.fround(resized[i]! - mean) / std;
  }
  return tensor;
}
