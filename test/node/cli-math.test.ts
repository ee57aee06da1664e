import { describe, expect, it } from "vitest";
import { calibrate, crossValidatedScores } from "../../src/cli/calibrate";
import { CliError } from "../../src/cli/cli-error";
import { loadManifest } from "../../src/cli/model";
import { enroll } from "../../src/cli/reference-build";
import { sphericalKMeans } from "../../src/cli/kmeans";
import {
  acceptRate,
  auroc,
  rocCurve,
  placeThreshold,
  separation,
  thresholdForAcceptRate,
  thresholdForMaxAcceptRate,
} from "../../src/cli/metrics";
import { seededRandom } from "../../src/cli/random";
import { describe as describeScores } from "../../src/cli/stats";
import { dot, l2normalize, normalizedMean } from "../../src/cli/vectors";

describe("placeThreshold (the pipeline's rule)", () => {
  it("puts the threshold halfway across the gap when crop and negatives separate", () => {
    const crop = [0.8, 0.85, 0.9, 0.95];
    const weeds = [0.1, 0.2, 0.5];
    const p = placeThreshold([crop], [weeds], 0.05, 0.01);
    expect(p.value).toBeCloseTo((0.5 + 0.8) / 2, 12);
    expect(p.worstGoalRatio).toBe(0);
  });
  it("trades the goals evenly when they conflict, each group counting alike", () => {
    const crop = Array.from({ length: 100 }, (_, i) => i / 100);
    const big = Array.from({ length: 1000 }, (_, i) => i / 2000); // 0 … 0.5
    const small = [0.7, 0.75];
    const p = placeThreshold([crop], [big, small], 0.05, 0.01);
    const miss = crop.filter((s) => s < p.value).length / crop.length / 0.05;
    const fa = Math.max(big.filter((s) => s >= p.value).length / big.length, small.filter((s) => s >= p.value).length / small.length) / 0.01;
    expect(p.worstGoalRatio).toBeCloseTo(Math.max(miss, fa), 12);
    // No other candidate does better on the worst goal.
    for (const t of [...crop, ...big, ...small]) {
      const m = crop.filter((s) => s < t).length / crop.length / 0.05;
      const f = Math.max(big.filter((s) => s >= t).length / big.length, small.filter((s) => s >= t).length / small.length) / 0.01;
      expect(Math.max(m, f)).toBeGreaterThanOrEqual(p.worstGoalRatio - 1e-12);
    }
  });
  it("needs crop scores", () => {
    expect(() => placeThreshold([], [[0.1]], 0.05, 0.01)).toThrow(/normal/);
  });
});

describe("metrics", () => {
  it("AUROC is the share of (normal, anomaly) pairs ordered correctly, ties counting half", () => {
    expect(auroc([0.9, 0.8], [0.1, 0.2])).toBe(1);
    expect(auroc([0.1, 0.2], [0.9, 0.8])).toBe(0);
    // pairs: (0.5>0.4) 1, (0.5=0.5) .5, (0.3<0.4) 0, (0.3<0.5) 0 → 1.5 / 4
    expect(auroc([0.5, 0.3], [0.4, 0.5])).toBeCloseTo(0.375, 12);
    expect(auroc([], [0.1])).toBeNaN();
  });

  it("calibration threshold accepts at least the target share, and is the highest that does", () => {
    const scores = Array.from({ length: 40 }, (_, i) => i / 40);
    const t = thresholdForAcceptRate(scores, 0.95);
    expect(acceptRate(scores, t)).toBeGreaterThanOrEqual(0.95);
    expect(acceptRate(scores, t + 1e-9)).toBeLessThan(0.95);
    expect(t).toBe(2 / 40); // 38 of 40 = 95 % kept
    expect(thresholdForAcceptRate([0.7], 0.95)).toBe(0.7);
    expect(() => thresholdForAcceptRate([], 0.95)).toThrow(/no scores/);
  });

  it("max-accept threshold lets through at most the share, and rejects ties with the blocker", () => {
    const anomalies = Array.from({ length: 200 }, (_, i) => i / 200);
    const t = thresholdForMaxAcceptRate(anomalies, 0.01);
    expect(acceptRate(anomalies, t)).toBe(2 / 200);
    expect(t).toBeGreaterThan(197 / 200);
    expect(thresholdForMaxAcceptRate([0.5, 0.5, 0.5], 0.5)).toBeGreaterThan(0.5); // 1.5 allowed → 1; all tied → 0 pass
    expect(thresholdForMaxAcceptRate([0.5], 1)).toBe(-Infinity);
  });

  it("FPR@95%TPR and TPR@1%FPR on a hand-made case", () => {
    const normal = Array.from({ length: 20 }, (_, i) => 0.5 + i / 40); // 0.5 … 0.975
    const anomaly = [0.1, 0.2, 0.3, 0.55, 0.6]; // two overlap
    const s = separation(normal, anomaly);
    // 95 % of 20 = 19 normals → threshold 0.525: anomalies ≥ 0.525 are 0.55, 0.6 → 2/5
    expect(s.fprAt95Tpr).toBeCloseTo(0.4, 12);
    // 1 % of 5 → no anomaly may pass → threshold just above 0.6: normals 0.625 … 0.975 → 15/20
    expect(s.tprAt1Fpr).toBeCloseTo(0.75, 12);
    // of 100 pairs, 0.55 beats 2 normals and ties 1, 0.6 beats 4 and ties 1 → 7 lost
    expect(s.auroc).toBeCloseTo(0.93, 12);
  });

  it("ROC curve runs from (0,0) to (1,1) with non-decreasing rates", () => {
    const roc = rocCurve([0.9, 0.7, 0.6], [0.8, 0.3]);
    expect(roc[0]).toMatchObject({ fpr: 0, tpr: 0 });
    expect(roc.at(-1)).toMatchObject({ fpr: 1, tpr: 1 });
    for (let i = 1; i < roc.length; i++) {
      expect(roc[i]!.fpr).toBeGreaterThanOrEqual(roc[i - 1]!.fpr);
      expect(roc[i]!.tpr).toBeGreaterThanOrEqual(roc[i - 1]!.tpr);
    }
  });
});

describe("stats", () => {
  it("matches numpy (linear quantiles, population std, histogram binned on the edges)", () => {
    // Expected values printed by numpy 2 for the same array (np.quantile, a.std(), np.histogram on -1 + i*0.05).
    const d = describeScores([0.3, 0.9, 0.1, 0.5, 0.7, 0.2, 0.8]);
    expect(d.mean).toBeCloseTo(0.5, 12);
    expect(d.std).toBeCloseTo(0.2878491668515698, 12);
    expect(Object.values(d.quantiles)).toEqual(
      [0.106, 0.13, 0.16, 0.5, 0.84, 0.87, 0.894].map((x) => expect.closeTo(x, 12)),
    );
    const counts = new Array(40).fill(0);
    for (const b of [21, 23, 25, 30, 33, 36, 37]) counts[b] = 1;
    expect(d.histogram.counts).toEqual(counts);
    expect(d.histogram.edges).toHaveLength(41);
    expect(describeScores([1, 1.0000001]).histogram.counts[39]).toBe(2);
  });
});

function clusteredVectors(seed: number, perCluster: number, centres: number[][], noise: number): number[][] {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  return centres.flatMap((c) => Array.from({ length: perCluster }, () => l2normalize(c.map((x) => x + noise * gauss()))));
}

describe("spherical k-means", () => {
  const axes = [0, 1, 2].map((k) => Array.from({ length: 16 }, (_, i) => (i === k ? 1 : 0)));

  it("finds well-separated clusters, with unit-length centres, largest first", () => {
    const data = [...clusteredVectors(1, 10, [axes[0]!], 0.1), ...clusteredVectors(2, 20, [axes[1]!], 0.1), ...clusteredVectors(3, 5, [axes[2]!], 0.1)];
    const result = sphericalKMeans(data, 3, 7);
    expect(result.sizes).toEqual([20, 10, 5]);
    for (const c of result.centres) expect(Math.hypot(...c)).toBeCloseTo(1, 10);
    expect(dot(result.centres[0]!, axes[1]!)).toBeGreaterThan(0.95);
    expect(new Set(result.assignments.slice(0, 10)).size).toBe(1);
  });

  it("is deterministic for the same seed", () => {
    const data = clusteredVectors(4, 15, axes, 0.6);
    expect(sphericalKMeans(data, 3, 11)).toEqual(sphericalKMeans(data, 3, 11));
  });

  it("refuses k larger than the data", () => {
    expect(() => sphericalKMeans([[1, 0]], 2)).toThrow(/at least k=2/);
  });
});

describe("cross-validated calibration", () => {
  it("scores each photo against a centroid built without it", () => {
    const data = clusteredVectors(5, 30, [Array.from({ length: 8 }, (_, i) => (i < 2 ? 1 : 0))], 0.4);
    const folds = 5;
    const held = crossValidatedScores(data, folds, 2, 1);
    // Recompute one held-out score by hand: photo 7 is in fold 2.
    const centroid = normalizedMean(data.filter((_, i) => i % folds !== 7 % folds));
    expect(held.centroid[7]).toBeCloseTo(dot(data[7]!, centroid), 12);
    // A photo scores higher against a centroid that includes it; held-out scores must be lower on average.
    const inSample = normalizedMean(data);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(held.centroid)).toBeLessThan(mean(data.map((v) => dot(v, inSample))));
    const { value, prototypeValue } = calibrate(held, 0.9);
    expect(acceptRate(held.centroid, value)).toBeGreaterThanOrEqual(0.9);
    expect(acceptRate(held.prototype, prototypeValue)).toBeGreaterThanOrEqual(0.9);
  });
});

describe("enroll (reference building) with negatives", () => {
  const dim = 512;
  const axis = (k: number) => Array.from({ length: dim }, (_, i) => (i === k ? 1 : 0));
  const mix = (a: number[], b: number[], t: number) => a.map((x, i) => (1 - t) * x + t * b[i]!);
  const options = { profile: "synthetic", displayName: "synthetic leaf", accept: 0.95, folds: 5, prototypes: 3, seed: 1, createdBy: "test", now: new Date(0) };

  it("--max-false-accept raises the threshold to keep negatives out and reports the crop photos it costs", async () => {
    const manifest = await loadManifest();
    const normals = clusteredVectors(21, 60, [axis(0)], 0.04);
    // Negatives half-way between the crop and something else: some of them score like crop photos.
    const negatives = clusteredVectors(22, 40, [mix(axis(0), axis(1), 0.05)], 0.04);
    const cropOnly = enroll(manifest, normals, [], options);
    expect(cropOnly.reference.threshold.policy).toEqual({ kind: "normal-accept-rate", target: 0.95 });
    expect(cropOnly.normalAcceptRate).toBeGreaterThanOrEqual(0.95);
    const plain = enroll(manifest, normals, [{ name: "near", embeddings: negatives }], { ...options, maxFalseAccept: 0.99 });
    expect(plain.reference.threshold.value).toBe(cropOnly.reference.threshold.value); // a loose cap changes nothing
    expect(plain.negatives[0]!.acceptRate).toBeGreaterThan(0.05); // the case worth tightening

    const tight = enroll(manifest, normals, [{ name: "near", embeddings: negatives }], { ...options, maxFalseAccept: 0.05 });
    expect(tight.negatives[0]!.acceptRate).toBeLessThanOrEqual(0.05);
    expect(tight.reference.calibration.negatives!.near!.acceptRate).toBe(tight.negatives[0]!.acceptRate);
    expect(tight.tightened).toEqual({ from: plain.reference.threshold.value, to: tight.reference.threshold.value });
    expect(tight.reference.threshold.value).toBeGreaterThan(plain.reference.threshold.value);
    expect(tight.reference.threshold.policy).toEqual({ kind: "negative-accept-rate", target: 0.05 });
    expect(tight.normalAcceptRate).toBe(acceptRate(tight.heldOut.centroid, tight.reference.threshold.value));
    expect(tight.normalAcceptRate).toBeLessThan(plain.normalAcceptRate);
    // The metrics do not depend on the threshold.
    expect(tight.metrics).toEqual(plain.metrics);
  });

  it("without --max-false-accept, negatives place the threshold with the crop photos (the pipeline's balanced rule)", async () => {
    const manifest = await loadManifest();
    const normals = clusteredVectors(21, 60, [axis(0)], 0.04);
    const negatives = clusteredVectors(22, 40, [mix(axis(0), axis(1), 0.05)], 0.04);
    const cropOnly = enroll(manifest, normals, [], options);
    const placed = enroll(manifest, normals, [{ name: "near", embeddings: negatives }], options);
    expect(placed.reference.threshold.policy.kind).toBe("balanced-goals");
    expect(placed.placed!.negativeBudget).toBe(0.01);
    const missRatio = (1 - placed.normalAcceptRate) / 0.05;
    const faRatio = placed.negatives[0]!.acceptRate / 0.01;
    expect(placed.placed!.worstGoalRatio).toBeCloseTo(Math.max(missRatio, faRatio), 9);
    // It refuses more of the near-crop negatives than the crop-only threshold, at some cost in crop photos.
    const cropOnlyFa = acceptRate(placed.negatives[0]!.scores, cropOnly.reference.threshold.value);
    expect(placed.negatives[0]!.acceptRate).toBeLessThan(cropOnlyFa);
    expect(placed.reference.calibration.method).toMatch(/negatives together/);
    // Well-separated negatives leave every crop photo in: the threshold sits in the gap.
    const far = clusteredVectors(24, 40, [axis(3)], 0.04);
    const easy = enroll(manifest, normals, [{ name: "far", embeddings: far }], options);
    expect(easy.normalAcceptRate).toBe(1);
    expect(easy.negatives[0]!.acceptRate).toBe(0);
    expect(easy.placed!.worstGoalRatio).toBe(0);
  });

  it("says so when no threshold can keep the negatives out", async () => {
    const manifest = await loadManifest();
    const normals = clusteredVectors(23, 30, [axis(0)], 0.04);
    const centroid = normalizedMean(normals);
    const copies = Array.from({ length: 5 }, () => centroid); // score exactly 1
    expect(() => enroll(manifest, normals, [{ name: "copies", embeddings: copies }], { ...options, maxFalseAccept: 0 })).toThrow(CliError);
  });
});
