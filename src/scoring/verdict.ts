import { cosine } from "./cosine";

/** docs/contracts.md §3: "uncertain" only exists when the reference has a band (`threshold.lower` < `value`). */
export const VERDICTS = ["normal", "uncertain", "anomaly"] as const;
export type Verdict = (typeof VERDICTS)[number];

/** How a reference turns an embedding into its score (contract §3, `threshold.score`). */
export const SCORE_KINDS = ["centroid-cosine", "prototype-max-cosine"] as const;
export type ScoreKind = (typeof SCORE_KINDS)[number];

/** What scoring needs from a reference (a subset of the reference schema, so Node callers can pass one). */
export interface ScoringReference {
  centroid: ArrayLike<number>;
  prototypes?: readonly ArrayLike<number>[];
  threshold: { value: number; lower?: number | undefined; score?: ScoreKind | undefined };
  calibration?: { normal?: { std?: number } };
}

export interface Score {
  score: number;
  /** `threshold.value`: score ≥ threshold ⇒ normal. */
  threshold: number;
  /** `threshold.lower`, or `threshold.value` when the reference has no band: score < lowerThreshold ⇒ anomaly. */
  lowerThreshold: number;
  verdict: Verdict;
  /** True only for "normal": an uncertain photo is not a pass. */
  normal: boolean;
  confidence: number;
}

/** Spread used when a reference has no usable calibration std (e.g. a placeholder). */
export const DEFAULT_SPREAD = 0.05;
const MIN_SPREAD = 0.01;

/**
 * Confidence in the verdict: 0.5 exactly at a decision boundary, rising towards 1 as the score moves away
 * from the nearest one. The distance is measured in units of the normal calibration scores' standard
 * deviation (how far apart "clearly normal" scores are), through a logistic: one std away gives
 * ≈ 0.88, two give ≈ 0.98. It is a readable margin, not a calibrated probability.
 */
export function confidence(score: number, boundary: number, spread = DEFAULT_SPREAD): number {
  const s = Math.max(spread, MIN_SPREAD);
  return 1 / (1 + Math.exp((-2 * Math.abs(score - boundary)) / s));
}

/** The reference's score of a photo: cosine to the centroid, or the largest cosine to any prototype. */
export function referenceScore(embedding: ArrayLike<number>, reference: ScoringReference): number {
  if (reference.threshold.score !== "prototype-max-cosine") return cosine(embedding, reference.centroid);
  const prototypes = reference.prototypes ?? [];
  // The schema refuses such a reference; a caller that built one by hand gets a bug, not a silent centroid score.
  if (prototypes.length === 0) throw new Error("threshold.score 'prototype-max-cosine' needs at least one prototype");
  return Math.max(...prototypes.map((p) => cosine(embedding, p)));
}

/** The verdict of a score: ≥ value normal, in [lower, value) uncertain, below lower anomaly (contract §3). */
export function verdictOf(score: number, value: number, lower = value): Verdict {
  if (score >= value) return "normal";
  return score >= lower ? "uncertain" : "anomaly";
}

/** Scores an embedding against a reference (docs/contracts.md §3). */
export function scoreEmbedding(embedding: ArrayLike<number>, reference: ScoringReference): Score {
  const score = referenceScore(embedding, reference);
  const threshold = reference.threshold.value;
  const lowerThreshold = Math.min(reference.threshold.lower ?? threshold, threshold);
  const verdict = verdictOf(score, threshold, lowerThreshold);
  const boundary = Math.abs(score - threshold) <= Math.abs(score - lowerThreshold) ? threshold : lowerThreshold;
  const std = reference.calibration?.normal?.std;
  return {
    score,
    threshold,
    lowerThreshold,
    verdict,
    normal: verdict === "normal",
    confidence: confidence(score, boundary, std && std > 0 ? std : DEFAULT_SPREAD),
  };
}
