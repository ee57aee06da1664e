import { cosine } from "./cosine";

export type Verdict = "normal" | "anomaly";

/** What scoring needs from a reference (a subset of the reference schema, so Node callers can pass one). */
export interface ScoringReference {
  centroid: ArrayLike<number>;
  threshold: { value: number };
  calibration?: { normal?: { std?: number } };
}

export interface Score {
  score: number;
  threshold: number;
  verdict: Verdict;
  normal: boolean;
  confidence: number;
}

/** Spread used when a reference has no usable calibration std (e.g. a placeholder). */
export const DEFAULT_SPREAD = 0.05;
const MIN_SPREAD = 0.01;

/**
 * Confidence in the verdict: 0.5 exactly at the threshold, rising towards 1 as the score moves away
 * from it on either side. The distance is measured in units of the normal calibration scores' standard
 * deviation (how far apart "clearly normal" scores are), through a logistic: one std away gives
 * ≈ 0.88, two give ≈ 0.98. It is a readable margin, not a calibrated probability.
 */
export function confidence(score: number, threshold: number, spread = DEFAULT_SPREAD): number {
  const s = Math.max(spread, MIN_SPREAD);
  return 1 / (1 + Math.exp((-2 * Math.abs(score - threshold)) / s));
}

/** Scores an embedding against a reference: `score >= threshold` ⇒ normal (docs/contracts.md §3). */
export function scoreEmbedding(embedding: ArrayLike<number>, reference: ScoringReference): Score {
  const score = cosine(embedding, reference.centroid);
  const threshold = reference.threshold.value;
  const normal = score >= threshold;
  const std = reference.calibration?.normal?.std;
  return {
    score,
    threshold,
    verdict: normal ? "normal" : "anomaly",
    normal,
    confidence: confidence(score, threshold, std && std > 0 ? std : DEFAULT_SPREAD),
  };
}
