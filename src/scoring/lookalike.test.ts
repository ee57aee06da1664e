import { describe, expect, it } from "vitest";
import { ReferenceSchema } from "../references/schema";
import { riceReference } from "../../test/worker/harness";
import { LOOKALIKE_MARGIN, LOOKALIKE_RUNNER_UP_MARGIN, nearestLookalike } from "./lookalike";

const unit = (deg: number) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180)];

describe("nearestLookalike", () => {
  const reference = { lookalikes: [{ label: "weeds", vector: unit(90) }, { label: "soil", vector: unit(180) }] };

  it("names the nearest lookalike only when it beats the crop score by the margin", () => {
    const photo = unit(80); // cos to weeds ≈ 0.985
    expect(nearestLookalike(photo, reference, { score: 0.5, verdict: "anomaly" })).toEqual({ label: "weeds", similarity: expect.closeTo(0.9848, 4) });
    expect(nearestLookalike(photo, reference, { score: 0.9848 - LOOKALIKE_MARGIN + 1e-3, verdict: "anomaly" })).toBeNull();
    expect(nearestLookalike(photo, reference, { score: 0.9848 - LOOKALIKE_MARGIN - 1e-3, verdict: "anomaly" })?.label).toBe("weeds");
  });

  it("names none when the two nearest lookalikes are about as near (closer than the runner-up margin)", () => {
    const close = { lookalikes: [{ label: "weeds", vector: unit(90) }, { label: "seedlings", vector: unit(100) }] };
    // Half-way between them: equally near to both.
    expect(nearestLookalike(unit(95), close, { score: 0, verdict: "anomaly" })).toBeNull();
    // cos(2°) − cos(8°) ≈ 0.0097 < the margin; a single lookalike has no runner-up.
    expect(nearestLookalike(unit(92), close, { score: 0, verdict: "anomaly" })).toBeNull();
    expect(nearestLookalike(unit(92), close, { score: 0, verdict: "anomaly" }, { runnerUpMargin: 0.005 })?.label).toBe("weeds");
    expect(nearestLookalike(unit(95), { lookalikes: [close.lookalikes[0]!] }, { score: 0, verdict: "anomaly" })?.label).toBe("weeds");
    expect(LOOKALIKE_RUNNER_UP_MARGIN).toBeGreaterThan(0);
  });

  it("is null for a photo that passes or is only unsure, and for a reference without lookalikes", () => {
    expect(nearestLookalike(unit(90), reference, { score: 0.1, verdict: "normal" })).toBeNull();
    expect(nearestLookalike(unit(90), reference, { score: 0.1, verdict: "uncertain" })).toBeNull();
    expect(nearestLookalike(unit(90), reference, { score: 0.1, verdict: "anomaly" })?.label).toBe("weeds");
    expect(nearestLookalike(unit(90), {}, { score: 0.1, verdict: "anomaly" })).toBeNull();
    expect(nearestLookalike(unit(90), { lookalikes: [] }, { score: 0.1, verdict: "anomaly" })).toBeNull();
  });
});

describe("reference schema: lookalikes", () => {
  const dim = riceReference().model.dimension;
  const v = Array.from({ length: dim }, (_, i) => (i === 0 ? 1 : 0));
  const parse = (lookalikes: unknown) => ReferenceSchema.safeParse({ ...riceReference(), lookalikes });

  it("is optional: references without it stay valid", () => {
    expect(ReferenceSchema.safeParse(riceReference()).success).toBe(true);
    expect(parse([{ label: "paddy weeds", vector: v }]).success).toBe(true);
  });

  it("refuses a vector of the wrong dimension or not unit length, a label out of 1–60 chars, more than 64", () => {
    expect(parse([{ label: "x", vector: [1, 0] }]).error?.issues[0]?.path).toEqual(["lookalikes", 0, "vector"]);
    expect(parse([{ label: "x", vector: v.map((x) => x * 2) }]).success).toBe(false);
    expect(parse([{ label: "", vector: v }]).success).toBe(false);
    expect(parse([{ label: "x".repeat(61), vector: v }]).success).toBe(false);
    expect(parse(Array.from({ length: 65 }, () => ({ label: "x", vector: v }))).success).toBe(false);
  });
});
