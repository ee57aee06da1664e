import { ApiError } from "../errors";
import { decodeJpeg } from "./jpeg-decoder";
import { readJpegHeader } from "./jpeg-header";
import { type ImageLimits, resolveLimits } from "./limits";
import { applyOrientation } from "./orientation";
import type { Preprocessing } from "./preprocessing";
import { chooseScaleDenom, scaledCoeffs } from "./scaling";
import { assessQuality, type Quality } from "./quality";
import { requireJpeg } from "./sniff";
import { rgbToTensor } from "./tensor";

export { PreprocessingSchema, DEFAULT_PREPROCESSING, type Preprocessing } from "./preprocessing";
export { DEFAULT_IMAGE_LIMITS, type ImageLimits } from "./limits";
export { sniffImageFormat, type ImageFormat } from "./sniff";
export { readJpegHeader, type JpegHeader } from "./jpeg-header";
export { decodeJpeg, type ScaleDenom } from "./jpeg-decoder";
export { chooseScaleDenom } from "./scaling";
export { QUALITY_ISSUES, type Quality, type QualityIssue } from "./quality";

export interface ImageInfo {
  format: "jpeg";
  /** Size declared by the JPEG frame header, before orientation. */
  width: number;
  height: number;
  /** EXIF orientation applied (1–8). */
  orientation: number;
  /** Size actually decoded (after DCT scaling), before orientation. */
  decodedWidth: number;
  decodedHeight: number;
  /** Decoded size / declared size: 1, 1/2, 1/4 or 1/8. */
  scale: number;
  progressive: boolean;
  /** Colour components in the JPEG: 1 grayscale, 3 YCbCr/RGB, 4 CMYK/YCCK. */
  components: number;
}

export interface ImageTensor {
  /** 1 × 3 × H × W, NCHW, float32. */
  tensor: Float32Array;
  info: ImageInfo;
  /** Exposure, sharpness and size issues (src/image/quality.ts), from the same decoded pixels. */
  quality: Quality;
  timings: { decodeMs: number; preprocessMs: number };
}

/** Checks the body without decoding: 400 empty, 415 not JPEG, 413 too many bytes or declared pixels. */
export function checkImage(bytes: Uint8Array, limits: ImageLimits) {
  requireJpeg(bytes);
  if (bytes.length > limits.maxBytes) {
    throw new ApiError(413, "image_too_large", `The image is ${bytes.length} bytes; the limit is ${limits.maxBytes} bytes.`, {
      bytes: bytes.length,
      maxBytes: limits.maxBytes,
    });
  }
  const header = readJpegHeader(bytes);
  const pixels = header.width * header.height;
  if (pixels > limits.maxPixels || header.width > limits.maxDimension || header.height > limits.maxDimension) {
    throw new ApiError(
      413,
      "image_too_large",
      `The JPEG declares ${header.width} × ${header.height} pixels; the limit is ${limits.maxPixels / 1e6} megapixels and ${limits.maxDimension} pixels a side. Send a smaller photo.`,
      { width: header.width, height: header.height, maxPixels: limits.maxPixels, maxDimension: limits.maxDimension },
    );
  }
  return header;
}

/**
 * JPEG bytes → the model's input tensor, following the manifest's preprocessing recipe
 * (docs/contracts.md §2). Synchronous; throws ApiError for every kind of bad input.
 */
export function imageToTensor(bytes: Uint8Array, preprocessing: Preprocessing, limits?: Partial<ImageLimits>): ImageTensor {
  const lim = resolveLimits(limits);
  const header = checkImage(bytes, lim);
  // The contract allows DCT scaling only while the decoded shorter side stays ≥ 2 × the model input: the
  // default follows the model's input size; an explicit minScaledSide (tests, measurements) is taken as given.
  const minSide =
    limits?.minScaledSide !== undefined
      ? lim.minScaledSide
      : Math.max(lim.minScaledSide, 2 * Math.max(preprocessing.resize.width, preprocessing.resize.height));
  const denom = chooseScaleDenom(header.width, header.height, minSide);
  const t0 = performance.now();
  const decoded = decodeJpeg(bytes, { scaleDenom: denom, maxMemoryBytes: lim.maxDecoderMemoryMB * 2 ** 20 });
  const t1 = performance.now();
  const oriented = applyOrientation(decoded, header.orientation);
  const { width: outW, height: outH } = preprocessing.resize;
  // Full size: Pillow's BOX exactly. Reduced: the same pixel spans, integrated over the reduced image.
  const tensor = rgbToTensor(oriented, preprocessing, denom === 1 ? undefined : scaledCoeffs(header.width, header.height, header.orientation, denom, outW, outH));
  // The declared size, so a DCT-scaled decode of a big photo is not called low resolution.
  const quality = assessQuality(oriented, { width: header.width, height: header.height });
  const t2 = performance.now();
  return {
    tensor,
    quality,
    info: {
      format: "jpeg",
      width: header.width,
      height: header.height,
      orientation: header.orientation,
      decodedWidth: decoded.width,
      decodedHeight: decoded.height,
      scale: 1 / denom,
      progressive: header.progressive,
      components: header.components,
    },
    timings: { decodeMs: t1 - t0, preprocessMs: t2 - t1 },
  };
}
