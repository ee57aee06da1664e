import type { RgbImage } from "./orientation";

/**
 * Photo quality from the decoded pixels, cheaply: a fixed-size grey thumbnail (one pass over the
 * decoded image) gives exposure and sharpness statistics; the JPEG's declared size gives resolution.
 * Pure and dependency-free so the calibration script (Node) measures exactly what the worker computes.
 * Thresholds are calibrated on the shared photo set: docs/quality.md.
 */

export const QUALITY_ISSUES = ["dark", "overexposed", "blurry", "low_resolution"] as const;
export type QualityIssue = (typeof QUALITY_ISSUES)[number];

export interface QualityStats {
  /** Mean Rec. 601 luma of the thumbnail, 0–255. */
  meanLuma: number;
  /** Fraction of the decoded pixels with a channel at or above CLIP_HIGH (blown highlights). */
  clippedHigh: number;
  /** Fraction with some but not every channel clipped: a coloured surface blown out (a white background is not). */
  clippedColour: number;
  /**
   * Variance of the 4-neighbour Laplacian of the thumbnail, divided by the variance of its luma
   * (floored): how much of the image's contrast sits in fine detail. The ratio does not move with
   * exposure or global contrast, so a dim but sharp photo is not called blurred.
   */
  sharpness: number;
  /** Size of the photo as sent (declared by the JPEG), after orientation does not matter: min/max. */
  width: number;
  height: number;
}

export interface QualityThresholds {
  /** meanLuma below this: dark. */
  darkLuma: number;
  /** meanLuma above this, clippedHigh above maxClipped or clippedColour above maxClippedColour: overexposed. */
  brightLuma: number;
  maxClipped: number;
  maxClippedColour: number;
  /** sharpness below this: blurry. */
  minSharpness: number;
  /** shorter side below this many pixels: low_resolution. */
  minSide: number;
}

/** The thumbnail's longer side. Fixed so sharpness means the same whatever the photo's size. */
export const THUMB_SIDE = 128;
/** A luma at or above this counts as clipped (blown out). */
export const CLIP_HIGH = 250;
/** Floor on the luma variance in the sharpness ratio, so a flat (e.g. black) image does not divide by ~0. */
const MIN_LUMA_VARIANCE = 25;

/**
 * Calibrated in docs/quality.md (`npm run measure:quality`): the values that flag ≤ 2 % of the shared
 * rice photos while catching ≥ 90 % of degraded copies of them.
 */
export const QUALITY_THRESHOLDS: Readonly<QualityThresholds> = Object.freeze({
  darkLuma: 55,
  // Lab photos on white paper are legitimately bright and up to 86 % clipped (neutral white), so
  // overexposure is mostly judged on blown *coloured* surfaces: a leaf clips in one or two channels.
  brightLuma: 235,
  maxClipped: 0.9,
  maxClippedColour: 0.15,
  minSharpness: 0.02,
  // The model reads 128 px; below 160 px on the short side a photo has barely more detail than that,
  // and the smallest real photos in the set (224 px) pass.
  minSide: 160,
});

/** A grey thumbnail, longer side THUMB_SIDE (or the image's own size when smaller), by area averaging. */
export function greyThumbnail(img: RgbImage, side = THUMB_SIDE): { width: number; height: number; data: Float32Array; clipped: number; clippedColour: number } {
  const scale = Math.min(1, side / Math.max(img.width, img.height));
  const tw = Math.max(1, Math.round(img.width * scale));
  const th = Math.max(1, Math.round(img.height * scale));
  const sum = new Float64Array(tw * th);
  const count = new Uint32Array(tw * th);
  const { data, channels: c, width: w, height: h } = img;
  // Each source pixel goes to the thumbnail cell that contains it: one pass, no weights.
  const colOf = new Int32Array(w);
  let clipped = 0;
  let clippedColour = 0;
  for (let x = 0; x < w; x++) colOf[x] = Math.min(tw - 1, Math.floor((x * tw) / w));
  for (let y = 0; y < h; y++) {
    const row = Math.min(th - 1, Math.floor((y * th) / h)) * tw;
    let s = y * w * c;
    for (let x = 0; x < w; x++, s += c) {
      const r = data[s]!;
      const g = c === 1 ? r : data[s + 1]!;
      const b = c === 1 ? r : data[s + 2]!;
      const luma = 0.299 * r + 0.587 * g + 0.114 * b;
      if (r >= CLIP_HIGH || g >= CLIP_HIGH || b >= CLIP_HIGH) {
        clipped++;
        if (r < CLIP_HIGH || g < CLIP_HIGH || b < CLIP_HIGH) clippedColour++;
      }
      const i = row + colOf[x]!;
      sum[i]! += luma;
      count[i]! += 1;
    }
  }
  const out = new Float32Array(tw * th);
  for (let i = 0; i < out.length; i++) out[i] = sum[i]! / count[i]!;
  return { width: tw, height: th, data: out, clipped: clipped / (w * h), clippedColour: clippedColour / (w * h) };
}

/** Statistics of an oriented, decoded image; `declared` is the JPEG's own size (the decode may be DCT-scaled). */
export function measureQuality(img: RgbImage, declared: { width: number; height: number } = img): QualityStats {
  const t = greyThumbnail(img);
  const n = t.data.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += t.data[i]!;
  mean /= n;
  let lumaVar = 0;
  for (let i = 0; i < n; i++) lumaVar += (t.data[i]! - mean) ** 2;
  lumaVar /= n;
  // Laplacian over the interior (a thumbnail under 3 px a side has none: sharpness 0).
  let lapSum = 0;
  let lapSq = 0;
  let m = 0;
  for (let y = 1; y < t.height - 1; y++) {
    for (let x = 1; x < t.width - 1; x++) {
      const i = y * t.width + x;
      const v = t.data[i - 1]! + t.data[i + 1]! + t.data[i - t.width]! + t.data[i + t.width]! - 4 * t.data[i]!;
      lapSum += v;
      lapSq += v * v;
      m++;
    }
  }
  const lapVar = m > 0 ? lapSq / m - (lapSum / m) ** 2 : 0;
  return {
    meanLuma: mean,
    clippedHigh: t.clipped,
    clippedColour: t.clippedColour,
    sharpness: lapVar / Math.max(lumaVar, MIN_LUMA_VARIANCE),
    width: declared.width,
    height: declared.height,
  };
}

/** The issues a photo's statistics show, in a fixed order. */
export function qualityIssues(stats: QualityStats, t: Readonly<QualityThresholds> = QUALITY_THRESHOLDS): QualityIssue[] {
  const issues: QualityIssue[] = [];
  if (stats.meanLuma < t.darkLuma) issues.push("dark");
  if (stats.meanLuma > t.brightLuma || stats.clippedHigh > t.maxClipped || stats.clippedColour > t.maxClippedColour) issues.push("overexposed");
  // A dark photo's sharpness is noise-dominated; "retake in daylight" is the advice that helps, so
  // blur is only judged on photos with usable exposure.
  if (!issues.includes("dark") && stats.sharpness < t.minSharpness) issues.push("blurry");
  if (Math.min(stats.width, stats.height) < t.minSide) issues.push("low_resolution");
  return issues;
}

export interface Quality {
  ok: boolean;
  issues: QualityIssue[];
}

export function assessQuality(img: RgbImage, declared: { width: number; height: number }): Quality {
  const issues = qualityIssues(measureQuality(img, declared));
  return { ok: issues.length === 0, issues };
}
