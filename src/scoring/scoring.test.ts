import { describe, expect, it } from "vitest";
import { confidence, cosine, l2Normalize, outputFor, referenceOutput, scoreEmbedding, verdictMessage } from "./index";

describe("cosine", () => {
  it("is 1 for parallel, -1 for opposite, 0 for orthogonal vectors, whatever their length", () => {
    expect(cosine([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(cosine([1, 0], [-3, 0])).toBeCloseTo(-1, 12);
    expect(cosine([1, 0], [0, 5])).toBe(0);
  });
  it("refuses mismatched dimensions and zero vectors", () => {
    expect(() => cosine([1, 2], [1, 2, 3])).toThrow(/dimension/);
    expect(() => cosine([0, 0], [1, 0])).toThrow(/zero/);
    expect(() => l2Normalize([0, 0])).toThrow();
  });
  it("normalises to unit length", () => {
    const v = l2Normalize([3, 4]);
    expect(Array.from(v)).toEqual([0.6, 0.8]);
  });
});

describe("verdict and confidence", () => {
  const reference = { centroid: [1, 0], threshold: { value: 0.5 }, calibration: { normal: { std: 0.1 } } };

  it("is normal at or above the threshold and anomaly below", () => {
    // cos = 0.5 exactly at [1, sqrt(3)]
    expect(scoreEmbedding([1, Math.sqrt(3) - 1e-9], reference).verdict).toBe("normal");
    expect(scoreEmbedding([0.2, 1], reference)).toMatchObject({ verdict: "anomaly", normal: false });
    expect(scoreEmbedding([5, 0.1], reference)).toMatchObject({ verdict: "normal", normal: true, threshold: 0.5 });
  });

  it("gives 0.5 at the threshold and grows symmetrically with the distance from it", () => {
    expect(confidence(0.5, 0.5, 0.1)).toBe(0.5);
    expect(confidence(0.6, 0.5, 0.1)).toBeCloseTo(confidence(0.4, 0.5, 0.1), 12);
    expect(confidence(0.6, 0.5, 0.1)).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
    expect(confidence(0.9, 0.5, 0.1)).toBeGreaterThan(confidence(0.6, 0.5, 0.1));
    expect(confidence(1, -1, 0.1)).toBeLessThanOrEqual(1);
  });

  it("falls back to a default spread when the calibration has none", () => {
    const r = scoreEmbedding([1, 0], { centroid: [1, 0], threshold: { value: 0.9 }, calibration: { normal: { std: 0 } } });
    expect(r.confidence).toBeGreaterThan(0.5);
    expect(r.confidence).toBeLessThan(1);
  });
});

describe("message", () => {
  it("says in one line what the person should do", () => {
    expect(verdictMessage({ normal: true, confidence: 0.95 }, "rice leaf")).toBe("This looks like a rice leaf.");
    expect(verdictMessage({ normal: false, confidence: 0.95 }, "rice leaf")).toMatch(/doesn't look like a rice leaf.*Retake/);
    expect(verdictMessage({ normal: false, confidence: 0.55 }, "apple leaf")).toMatch(/^Not sure this is an apple leaf/);
    expect(verdictMessage({ normal: true, confidence: 0.55 }, "rice leaf")).toMatch(/only just/);
    for (const m of [verdictMessage({ normal: true, confidence: 0.9 }, "x"), verdictMessage({ normal: false, confidence: 0.9 }, "x")]) {
      expect(m).not.toContain("\n");
    }
  });
});

describe("model output per reference", () => {
  const outputs = { embedding: new Float32Array([1, 0]), features: new Float32Array([0, 1, 0]) };
  it("scores in `embedding` unless the reference names another output", () => {
    expect(referenceOutput({ model: {} })).toBe("embedding");
    expect(outputFor(outputs, { model: {} }, "rice")).toBe(outputs.embedding);
    expect(outputFor(outputs, { model: { output: "features" } }, "rice")).toBe(outputs.features);
    // A model whose primary output has another name: references without `output` use that name.
    expect(outputFor({ emb: outputs.embedding }, { model: {} }, "rice", "emb")).toBe(outputs.embedding);
    expect(outputFor(outputs, { model: { output: "features" } }, "rice", "emb")).toBe(outputs.features);
  });
  it("refuses (503) a reference scored in an output the model does not have", () => {
    expect(() => outputFor({ embedding: outputs.embedding }, { model: { output: "features" } }, "rice")).toThrow(
      expect.objectContaining({ status: 503, code: "reference_output_missing" }),
    );
  });
});
