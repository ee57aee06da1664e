import jpeg from "jpeg-js";
import { ApiError } from "../errors";
import type { RgbImage } from "./orientation";

/** Full-resolution decode with jpeg-js 0.4.4 (RGB, no alpha), its own limits as a second guard. */
export function decodeWithJpegJs(bytes: Uint8Array, maxPixels: number, maxMemoryMB: number): RgbImage {
  try {
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: maxPixels / 1e6,
      maxMemoryUsageInMB: maxMemoryMB,
    });
    return { width: img.width, height: img.height, data: img.data, channels: 3 };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/maxMemoryUsageInMB|maxResolutionInMP|allocate/.test(message)) {
      throw new ApiError(413, "image_too_large", `The JPEG needs more memory to decode than allowed (${message}).`);
    }
    throw new ApiError(422, "invalid_jpeg", `The JPEG could not be decoded: ${message}.`);
  }
}
