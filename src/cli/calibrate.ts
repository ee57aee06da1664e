import { nearest, sphericalKMeans } from "./kmeans";
import { thresholdForAcceptRate } from "./metrics";
import { normalizedMean, unitCosine, type Vector } from "./vectors";

export interface HeldOutScores {
  /** Score of each normal against a centroid built without its fold (same order as the input). */
  centroid: number[];
  /** Same, against the nearest of the prototypes built without its fold. */
  prototype: number[];
  folds: number;
}

/**
 * k-fold cross-validation on the normals: a photo never scores against a reference it helped build,
 * so the threshold reflects photos the reference has not seen. Folds interleave the (sorted) inputs —
 * fold = index mod k — so each fold draws from every directory alike.
 */
export function crossValidatedScores(
  embeddings: readonly Vector[],
  folds: number,
  prototypes: number,
  seed: number,
): HeldOutScores {
  const n = embeddings.length;
  if (folds < 2 || folds > n) throw new Error(`cross-validation needs 2 ≤ folds ≤ ${n}, got ${folds}`);
  const centroid = new Array<number>(n);
  const prototype = new Array<number>(n);
  for (let f = 0; f < folds; f++) {
    const train = embeddings.filter((_, i) => i % folds !== f);
    const c = normalizedMean(train);
    const centres = sphericalKMeans(train, Math.min(prototypes, train.length), seed).centres;
    for (let i = f; i < n; i += folds) {
      centroid[i] = unitCosine(embeddings[i]!, c);
      prototype[i] = Math.max(-1, Math.min(1, nearest(embeddings[i]!, centres).similarity));
    }
  }
  return { centroid, prototype, folds };
}

export interface Calibration {
  value: number;
  prototypeValue: number;
}

/** Thresholds at which `target` of the held-out normals are accepted (score >= threshold). */
export function calibrate(scores: HeldOutScores, target: number): Calibration {
  return {
    value: thresholdForAcceptRate(scores.centroid, target),
    prototypeValue: thresholdForAcceptRate(scores.prototype, target),
  };
}
