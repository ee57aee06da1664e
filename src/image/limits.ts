/**
 * Resource limits for one image. The byte and pixel limits are checked from the bytes and the JPEG
 * header before anything is decoded; the decoder's memory cap is a second guard. The defaults are
 * justified by measurement in docs/images.md.
 */
export interface ImageLimits {
  /** Largest accepted body, in bytes. */
  maxBytes: number;
  /** Largest pixel count the JPEG's SOF header may declare (width × height). */
  maxPixels: number;
  /** Largest width or height the SOF header may declare. */
  maxDimension: number;
  /** Cap on what the decoder may allocate, in MiB (its own accounting; a second guard). */
  maxDecoderMemoryMB: number;
  /**
   * DCT scaling: the decoder picks the largest reduction (1/2, 1/4, 1/8) that keeps the decoded shorter
   * side at least this long. Left at its default, imageToTensor raises it to 2 × the model input (the
   * contract's bound); given explicitly, it is used as it is. `Infinity` disables it.
   */
  minScaledSide: number;
}

export const DEFAULT_IMAGE_LIMITS: Readonly<ImageLimits> = Object.freeze({
  maxBytes: 24 * 1024 * 1024,
  maxPixels: 50_000_000,
  maxDimension: 16_384,
  maxDecoderMemoryMB: 96,
  minScaledSide: 256,
});

/** Defaults overridden by the given limits; an `undefined` (e.g. an unset env var) keeps the default, never "no limit". */
export function resolveLimits(limits?: Partial<ImageLimits>): ImageLimits {
  const given = Object.fromEntries(Object.entries(limits ?? {}).filter(([, v]) => v !== undefined)) as Partial<ImageLimits>;
  for (const [k, v] of Object.entries(given)) {
    if (typeof v !== "number" || Number.isNaN(v) || v <= 0) throw new TypeError(`image limit ${k} must be a positive number, got ${String(v)}`);
  }
  return { ...DEFAULT_IMAGE_LIMITS, ...given };
}
