import { describe, expect, it } from "vitest";
import { riceReference } from "../../test/worker/harness";
import { ReferenceSchema } from "./schema";

// docs/contracts.md §3: the uncertain band, the prototype score and data.photos, as the worker validates them.
describe("reference schema: threshold.lower, threshold.score, data.photos", () => {
  const base = riceReference();
  const withThreshold = (changes: object) => ReferenceSchema.safeParse({ ...base, threshold: { ...base.threshold, ...changes } });
  const messages = (r: ReturnType<typeof ReferenceSchema.safeParse>) => (r.error?.issues ?? []).map((i) => `${i.path.join(".")}: ${i.message}`);

  it("accepts a band with lower <= value, and no band at all", () => {
    expect(withThreshold({ lower: base.threshold.value - 0.05 }).success).toBe(true);
    expect(withThreshold({ lower: base.threshold.value }).success).toBe(true);
    const { lower: _none, ...noBand } = base.threshold;
    expect(ReferenceSchema.safeParse({ ...base, threshold: noBand }).success).toBe(true);
  });

  it("refuses lower above value or outside [-1, 1], naming the field", () => {
    const above = withThreshold({ lower: base.threshold.value + 0.01 });
    expect(above.success).toBe(false);
    expect(messages(above).join()).toMatch(/^threshold\.lower: .* above threshold\.value/);
    expect(withThreshold({ value: 0.5, lower: -1.5 }).success).toBe(false);
    expect(withThreshold({ lower: "0.6" }).success).toBe(false);
  });

  it("defaults the score to centroid-cosine, accepts prototype-max-cosine with prototypes, refuses it without", () => {
    const { score: _s, ...noScore } = base.threshold;
    expect(ReferenceSchema.parse({ ...base, threshold: noScore }).threshold.score).toBe("centroid-cosine");
    expect(base.prototypes.length).toBeGreaterThan(0);
    expect(withThreshold({ score: "prototype-max-cosine" }).success).toBe(true);
    const none = ReferenceSchema.safeParse({ ...base, prototypes: [], threshold: { ...base.threshold, score: "prototype-max-cosine" } });
    expect(messages(none)).toEqual(["prototypes: threshold.score 'prototype-max-cosine' needs at least one prototype"]);
    expect(withThreshold({ score: "knn" }).success).toBe(false);
  });

  it("checks data.photos: sha256-16 hashes by source; other data keys stay free-form", () => {
    const photos = { hash: "sha256-16", sources: { "rice-leaf": ["0123456789abcdef"] } };
    expect(ReferenceSchema.safeParse({ ...base, data: { photos, anything: [1, 2] } }).success).toBe(true);
    expect(ReferenceSchema.safeParse({ ...base, data: { photos: { ...photos, hash: "md5" } } }).success).toBe(false);
    expect(ReferenceSchema.safeParse({ ...base, data: { photos: { ...photos, sources: { x: ["0123456789ABCDEF"] } } } }).success).toBe(false);
    expect(ReferenceSchema.safeParse({ ...base, data: { photos: { ...photos, sources: { x: ["0123"] } } } }).success).toBe(false);
  });
});
