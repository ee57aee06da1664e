/**
 * Separation metrics of a gate that accepts `score >= threshold`. "Positive" is the crop (normal):
 * TPR = share of normal photos accepted, FPR = share of anomalies wrongly accepted — the usual
 * out-of-distribution convention, so FPR@95%TPR is "anomalies let through when 95 % of crop photos pass".
 */

export type Separation = {
  auroc: number;
  fprAt95Tpr: number;
  tprAt1Fpr: number;
};

export interface RocPoint {
  threshold: number;
  fpr: number;
  tpr: number;
}

const ascending = (a: number, b: number) => a - b;

/** Probability that a random normal outscores a random anomaly (ties count half): Mann–Whitney U / (n·m). */
export function auroc(normal: readonly number[], anomaly: readonly number[]): number {
  if (normal.length === 0 || anomaly.length === 0) return Number.NaN;
  const all = [
    ...normal.map((s) => ({ s, normal: true })),
    ...anomaly.map((s) => ({ s, normal: false })),
  ].sort((a, b) => a.s - b.s);
  // Average ranks over ties, then the rank-sum form of U.
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.s === all[i]!.s) j++;
    const averageRank = (i + 1 + j) / 2;
    for (let t = i; t < j; t++) if (all[t]!.normal) rankSum += averageRank;
    i = j;
  }
  const n = normal.length;
  return (rankSum - (n * (n + 1)) / 2) / (n * anomaly.length);
}

/**
 * The highest threshold that accepts at least `share` of `scores` (accept = score >= threshold):
 * the calibration rule, also used for "at 95 % TPR".
 */
export function thresholdForAcceptRate(scores: readonly number[], share: number): number {
  if (scores.length === 0) throw new Error("no scores to calibrate on");
  if (!(share > 0 && share <= 1)) throw new Error(`accept rate must be in (0, 1], got ${share}`);
  const sorted = [...scores].sort(ascending);
  // Accepting sorted[i..] keeps n - i scores; the largest i with n - i >= share * n.
  const i = Math.floor(sorted.length * (1 - share) + 1e-9);
  return sorted[Math.min(i, sorted.length - 1)]!;
}

export function acceptRate(scores: readonly number[], threshold: number): number {
  if (scores.length === 0) return Number.NaN;
  return scores.filter((s) => s >= threshold).length / scores.length;
}

/**
 * The lowest threshold that lets through at most `share` of `scores` (e.g. anomalies at 1 % FPR):
 * strictly above the (k+1)-th highest score, k = floor(share · n). Returns -Infinity when every score may pass.
 */
export function thresholdForMaxAcceptRate(scores: readonly number[], share: number): number {
  const descending = [...scores].sort((a, b) => b - a);
  const k = Math.floor(descending.length * share + 1e-9);
  if (k >= descending.length) return -Infinity;
  const blocker = descending[k]!;
  // Smallest double above the blocker, so "score >= threshold" rejects it and everything tied with it.
  return nextUp(blocker);
}

export function separation(normal: readonly number[], anomaly: readonly number[]): Separation {
  if (normal.length === 0 || anomaly.length === 0) {
    return { auroc: Number.NaN, fprAt95Tpr: Number.NaN, tprAt1Fpr: Number.NaN };
  }
  return {
    auroc: auroc(normal, anomaly),
    fprAt95Tpr: acceptRate(anomaly, thresholdForAcceptRate(normal, 0.95)),
    tprAt1Fpr: acceptRate(normal, thresholdForMaxAcceptRate(anomaly, 0.01)),
  };
}

/** ROC points from (0,0) to (1,1), one per distinct score, thresholds descending. */
export function rocCurve(normal: readonly number[], anomaly: readonly number[]): RocPoint[] {
  const thresholds = [...new Set([...normal, ...anomaly])].sort((a, b) => b - a);
  const points: RocPoint[] = [{ threshold: Infinity, fpr: 0, tpr: 0 }];
  for (const t of thresholds) {
    points.push({ threshold: t, fpr: acceptRate(anomaly, t), tpr: acceptRate(normal, t) });
  }
  return points;
}

function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  const buffer = new DataView(new ArrayBuffer(8));
  buffer.setFloat64(0, x);
  const bits = buffer.getBigUint64(0);
  buffer.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return buffer.getFloat64(0);
}

export interface PlacedThreshold {
  value: number;
  /** The largest goal ratio at `value`: 1 means some goal is met exactly, below 1 all are met with room. */
  worstGoalRatio: number;
}

/**
 * The threshold that keeps the worst goal ratio smallest — the rule the training pipeline uses
 * (models/training/cropgate_training/loso.py, `place_threshold`): over candidate thresholds t, minimise
 * max(miss(t) / missBudget over the normal groups, accept_g(t) / negativeBudget over each negative group).
 * Each group counts the same whatever its size, so neither the crop photos nor one big negative folder
 * decides alone. Ties go to the middle of the best interval (e.g. halfway between the classes when they
 * separate). `score >= value` is accepted.
 */
export function placeThreshold(
  normalGroups: readonly (readonly number[])[],
  negativeGroups: readonly (readonly number[])[],
  missBudget: number,
  negativeBudget: number,
): PlacedThreshold {
  const normals = normalGroups.filter((g) => g.length > 0);
  const negatives = negativeGroups.filter((g) => g.length > 0);
  const all = [...normals, ...negatives].flat();
  if (normals.length === 0 || all.length === 0) throw new Error("placeThreshold needs normal scores");
  const candidates = [...new Set(all)].sort((a, b) => a - b);
  candidates.push(candidates[candidates.length - 1]! + 1e-6);
  const ratio = (t: number) =>
    Math.max(
      ...normals.map((g) => g.filter((s) => s < t).length / g.length / missBudget),
      ...negatives.map((g) => g.filter((s) => s >= t).length / g.length / negativeBudget),
    );
  const ratios = candidates.map(ratio);
  const best = Math.min(...ratios);
  const at = ratios.flatMap((r, i) => (r <= best + 1e-12 ? [i] : []));
  const i = at[0]!;
  const j = at[at.length - 1]!;
  // The ratio is constant on (candidates[k-1], candidates[k]]: a contiguous best run i..j covers
  // (candidates[i-1], candidates[j]]; take its middle (halfway across the gap between separable classes).
  const contiguous = j - i === at.length - 1;
  const value = contiguous && i > 0 ? (candidates[i - 1]! + candidates[j]!) / 2 : candidates[contiguous ? j : i]!;
  return { value, worstGoalRatio: ratio(value) };
}
