import { describe, expect, it } from "vitest";
import { checkMessage, confidence, cosine, cropPhrase, identifyMessage, l2Normalize, outputFor, referenceOutput, scoreEmbedding, verdictOf } from "./index";

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
  const at = (deg: number) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];

  it("is normal at or above the threshold and anomaly below, without a band", () => {
    // cos = 0.5 exactly at [1, sqrt(3)]
    expect(scoreEmbedding([1, Math.sqrt(3) - 1e-9], reference).verdict).toBe("normal");
    expect(scoreEmbedding([0.2, 1], reference)).toMatchObject({ verdict: "anomaly", normal: false, lowerThreshold: 0.5 });
    expect(scoreEmbedding([5, 0.1], reference)).toMatchObject({ verdict: "normal", normal: true, threshold: 0.5, lowerThreshold: 0.5 });
  });

  it("answers uncertain in [lower, value), anomaly below lower; normal stays true only for normal", () => {
    const band = { ...reference, threshold: { value: 0.8, lower: 0.6 } };
    // cos 30° = 0.866, cos 45° = 0.707, cos 60° = 0.5
    expect(scoreEmbedding(at(30), band)).toMatchObject({ verdict: "normal", normal: true, threshold: 0.8, lowerThreshold: 0.6 });
    expect(scoreEmbedding(at(45), band)).toMatchObject({ verdict: "uncertain", normal: false });
    expect(scoreEmbedding(at(60), band)).toMatchObject({ verdict: "anomaly", normal: false });
    // The edges: lower belongs to the band, value to normal.
    expect(verdictOf(0.6, 0.8, 0.6)).toBe("uncertain");
    expect(verdictOf(0.6 - 1e-12, 0.8, 0.6)).toBe("anomaly");
    expect(verdictOf(0.8, 0.8, 0.6)).toBe("normal");
    expect(verdictOf(0.7, 0.8)).toBe("anomaly");
  });

  it("measures confidence from the nearest boundary: 0.5 on either threshold", () => {
    const band = { centroid: [1, 0], threshold: { value: 0.8, lower: 0.6 }, calibration: { normal: { std: 0.1 } } };
    const lower = scoreEmbedding(at((Math.acos(0.6) * 180) / Math.PI), band);
    expect(lower.confidence).toBeCloseTo(0.5, 6);
    const low = scoreEmbedding(at(80), band); // cos 80° ≈ 0.174: far below lower
    expect(low.confidence).toBeCloseTo(confidence(Math.cos((80 * Math.PI) / 180), 0.6, 0.1), 12);
  });

  it("scores prototype-max-cosine as the largest cosine to any prototype, not the centroid", () => {
    const protos = { centroid: [1, 0], prototypes: [at(90), at(40)], threshold: { value: 0.7, score: "prototype-max-cosine" as const } };
    const photo = at(85); // cos to the centroid ≈ 0.087; to the 90° prototype ≈ 0.996
    expect(scoreEmbedding(photo, protos).score).toBeCloseTo(Math.cos((5 * Math.PI) / 180), 12);
    expect(scoreEmbedding(photo, protos).verdict).toBe("normal");
    expect(scoreEmbedding(photo, { ...protos, threshold: { value: 0.7 } }).verdict).toBe("anomaly");
    expect(() => scoreEmbedding(photo, { ...protos, prototypes: [] })).toThrow(/prototype/);
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
  it("names the crop naturally, whatever the display name", () => {
    expect(cropPhrase("rice")).toBe("rice");
    expect(cropPhrase("rice plant")).toBe("a rice plant");
    expect(cropPhrase("apple leaf")).toBe("an apple leaf");
    expect(cropPhrase("bok choy")).toBe("bok choy");
    expect(cropPhrase("a weed")).toBe("a weed");
  });

  it("says what was checked and what happens next, for each verdict", () => {
    expect(checkMessage({ verdict: "normal", displayName: "rice" })).toBe("Rice photo: ready for the disease check.");
    expect(checkMessage({ verdict: "normal", displayName: "tomato leaf" })).toBe("Tomato leaf photo: ready for the disease check.");
    expect(checkMessage({ verdict: "uncertain", displayName: "rice" })).toBe("Not sure this is rice: fill the frame with one leaf, in daylight.");
    expect(checkMessage({ verdict: "anomaly", displayName: "rice plant" })).toBe(
      "This doesn't look like a rice plant. Take a photo of the rice plant close up, in good light.",
    );
    expect(checkMessage({ verdict: "anomaly", displayName: "rice", lookalike: "weeds in a paddy" })).toBe(
      "This doesn't look like rice — it looks more like weeds in a paddy. Take a photo of the rice close up, in good light.",
    );
    for (const verdict of ["normal", "uncertain", "anomaly"] as const) {
      const m = checkMessage({ verdict, displayName: "rice", issues: ["blurry", "dark"] });
      expect(m).not.toContain("\n");
      // Never a health judgement: the gate only says whether the photo can go to the disease check.
      expect(m).not.toMatch(/healthy|looks right|fine/i);
    }
  });

  it("makes a quality issue a tip on a passed photo and the lead of a refused or unsure one", () => {
    const passed = checkMessage({ verdict: "normal", displayName: "rice", issues: ["blurry"] });
    expect(passed).toMatch(/^Rice photo: ready for the disease check\. Tip: /);
    const refused = checkMessage({ verdict: "anomaly", displayName: "rice", issues: ["dark"] });
    expect(refused).toBe("Too dark: retake the photo in daylight. This photo doesn't look like rice.");
    const unsure = checkMessage({ verdict: "uncertain", displayName: "rice", issues: ["blurry"] });
    expect(unsure).toMatch(/^Blurred: .* Not sure this photo shows rice\.$/);
  });

  it("identify: names the crop passed, else the closest unsure one, else none", () => {
    const c = (displayName: string, verdict: "normal" | "uncertain" | "anomaly") => ({ displayName, verdict });
    expect(identifyMessage({ displayName: "rice" }, [c("rice", "normal")])).toBe("Rice photo: ready for the disease check.");
    expect(identifyMessage(null, [c("tomato", "anomaly"), c("rice plant", "uncertain")])).toBe(
      "Not sure which crop this is (closest: a rice plant): fill the frame with one leaf, in daylight.",
    );
    expect(identifyMessage(null, [c("rice", "anomaly"), c("tomato", "anomaly")])).toMatch(/^This doesn't look like any crop checked here \(rice, tomato\)\./);
    expect(identifyMessage(null, [c("rice", "anomaly")], ["dark"])).toMatch(/^Too dark: /);
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
