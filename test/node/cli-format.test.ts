import { describe, expect, it } from "vitest";
import { histogramSpec, rocSpec, toSvg, wrap } from "../../src/cli/charts";
import { evaluateGroups, inSampleGroups } from "../../src/cli/evaluation";
import { comparison, digitsToTell } from "../../src/cli/format";

describe("numbers a person can compare", () => {
  it("prints enough digits to tell different numbers apart, at least 4", () => {
    expect(digitsToTell([0.83457, 0.6711])).toBe(4);
    expect(digitsToTell([0.67109, 0.67111])).toBe(5);
    expect(digitsToTell([0.6711028632812029, 0.67110286])).toBe(9);
    expect(digitsToTell([0.5, 0.5])).toBe(4); // equal numbers may print equal
  });

  it("says how a score sits against the thresholds with ≥ / ≤ / <", () => {
    expect(comparison(0.8346, 0.6711)).toBe("score 0.8346 ≥ 0.6711");
    expect(comparison(0.67109, 0.67111)).toBe("score 0.67109 < 0.67111");
    expect(comparison(0.65, 0.6711, 0.64)).toBe("0.6400 ≤ score 0.6500 < 0.6711");
    expect(comparison(0.1, 0.6711, 0.64)).toBe("score 0.1000 < 0.6400");
    expect(comparison(0.64, 0.6711, 0.64)).toBe("0.6400 ≤ score 0.6400 < 0.6711"); // lower belongs to the band
  });
});

describe("evaluation: the band and in-sample folders", () => {
  it("counts accepted / uncertain / rejected with the band, and no uncertain without one", () => {
    const groups = [
      { name: "rice", kind: "normal" as const, scores: [0.9, 0.7, 0.65, 0.5] },
      { name: "weeds", kind: "anomaly" as const, scores: [0.66, 0.2] },
    ];
    const e = evaluateGroups(groups, 0.7, 0.6);
    expect(e.groups[0]).toMatchObject({ accepted: 2, uncertain: 1, rejected: 1, acceptRate: 0.5 });
    expect(e.groups[1]).toMatchObject({ accepted: 0, uncertain: 1, rejected: 1 });
    expect(e.overall.normal).toEqual({ count: 4, accepted: 2, uncertain: 1, rejected: 1 });
    expect(evaluateGroups(groups, 0.7).groups[0]).toMatchObject({ accepted: 2, uncertain: 0, rejected: 2 });
  });

  it("draws one ROC curve when there is one anomaly group, and the overall curve last (on top)", async () => {
    const one = evaluateGroups([{ name: "rice", kind: "normal", scores: [0.9, 0.8] }, { name: "weeds", kind: "anomaly", scores: [0.5, 0.85] }], 0.7);
    expect(one.roc.map((c) => c.name)).toEqual(["all anomalies"]);
    const two = evaluateGroups(
      [{ name: "rice", kind: "normal", scores: [0.9, 0.8] }, { name: "weeds", kind: "anomaly", scores: [0.5] }, { name: "cats", kind: "anomaly", scores: [0.85] }],
      0.7,
    );
    const spec = rocSpec(two.roc, 0.7) as { layer: { data?: { values: { curve?: string }[] }; mark?: { strokeWidth?: number } }[] };
    const curves = spec.layer.filter((l) => l.data?.values[0]?.curve !== undefined);
    expect(curves.map((l) => [...new Set(l.data!.values.map((v) => v.curve))])).toEqual([["weeds", "cats"], ["all anomalies"]]);
    expect(curves.at(-1)!.mark!.strokeWidth).toBeGreaterThan(curves[0]!.mark!.strokeWidth!);
    expect(await toSvg(rocSpec(two.roc, 0.7))).toContain("all anomalies");
  });

  it("never cuts a long folder name in a histogram title: it wraps", async () => {
    const name = "../shared/data/rice-field/dnth-roboflow-rice-mix/train/some-very-long-subfolder-name";
    expect(wrap(name, 56).join("")).toBe(name);
    expect(Math.max(...wrap(name, 56).map((l) => l.length))).toBeLessThanOrEqual(56);
    const svg = await toSvg(histogramSpec({ name, kind: "normal", scores: [0.8, 0.9] }, 0.7, [0, 1], 0.6));
    expect(svg).not.toContain("…");
    for (const line of wrap(name, 56)) expect(svg).toContain(line);
  });

  it("marks the groups whose photos the reference lists, with the sources they are listed under", () => {
    const photos = [
      { group: "rice-leaf", sha16: "aaaaaaaaaaaaaaaa" },
      { group: "rice-leaf", sha16: "bbbbbbbbbbbbbbbb" },
      { group: "new-field", sha16: "cccccccccccccccc" },
    ];
    const marked = inSampleGroups(photos, { sources: { "rice-leaf": ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"], other: ["dddddddddddddddd"] } });
    expect([...marked]).toEqual([["rice-leaf", { photos: 2, sources: ["rice-leaf"] }]]);
    expect(inSampleGroups(photos, null).size).toBe(0);
  });
});
