import { describe, expect, it } from "vitest";
import { labelFromPath, lookalikesFrom, parseNegatives } from "./lookalikes";

describe("enroll --negatives → lookalikes", () => {
  it("labels by folder name as words, or by an explicit label=", () => {
    expect(labelFromPath("photos/paddy-weeds/")).toBe("paddy weeds");
    expect(labelFromPath("data/broadleaf_weeds")).toBe("broadleaf weeds");
    expect(parseNegatives(["data/paddy-weeds", "weeds=data/x=y", "a/b=c"])).toEqual([
      { arg: "data/paddy-weeds", path: "data/paddy-weeds", label: "paddy weeds" },
      { arg: "weeds=data/x=y", path: "data/x=y", label: "weeds" },
      // A "=" after a path separator is part of the path, not a label.
      { arg: "a/b=c", path: "a/b=c", label: "b=c" },
    ]);
    expect(() => parseNegatives([`${"x".repeat(61)}=d`])).toThrow(/1–60/);
  });

  it("stores the unit mean per label, pooling groups that share one", () => {
    const l = lookalikesFrom([
      { label: "weeds", embeddings: [[1, 0], [0, 1]] },
      { label: "soil", embeddings: [[-1, 0]] },
      { label: "weeds", embeddings: [[1, 0]] },
      { label: "empty", embeddings: [] },
    ]);
    expect(l.map((x) => x.label)).toEqual(["weeds", "soil"]);
    expect(l[0]!.vector[0]).toBeCloseTo(2 / Math.hypot(2, 1), 12);
    expect(l[0]!.vector[1]).toBeCloseTo(1 / Math.hypot(2, 1), 12);
    expect(l[1]!.vector).toEqual([-1, 0]);
  });
});
