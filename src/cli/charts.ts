import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { GroupScores } from "./evaluation";
import { digitsToTell } from "./format";
import type { RocPoint } from "./metrics";

/** Renders a vega-lite spec to an SVG string in-process: no browser, no network, no CDN. */
export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const COLORS = { normal: "#2e7d32", anomaly: "#c62828" } as const;

/** One score histogram of a group, on a shared x range, with the threshold as a dashed rule (the lower one dotted). */
export function histogramSpec(group: GroupScores, threshold: number, domain: [number, number], lower?: number): TopLevelSpec {
  const step = (domain[1] - domain[0]) / 40;
  // Ticks on round values (multiples of 0.1 or 0.2), whatever the lower end of the shared range.
  const tickStep = domain[1] - domain[0] > 0.8 ? 0.2 : 0.1;
  const ticks: number[] = [];
  for (let t = Math.ceil(domain[0] / tickStep - 1e-9) * tickStep; t <= domain[1] + 1e-9; t += tickStep) ticks.push(Number(t.toFixed(2)));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 380,
    height: 80,
    // The name on its own line(s), never cut: long folder paths wrap instead of ending in "…".
    title: {
      text: wrap(group.name, 56),
      subtitle: `${group.kind}, ${group.scores.length} photos`,
      anchor: "start",
      fontSize: 12,
      subtitleFontSize: 11,
    },
    layer: [
      {
        data: { values: group.scores.map((score) => ({ score })) },
        mark: { type: "bar", color: COLORS[group.kind], opacity: 0.85, clip: true },
        encoding: {
          x: {
            field: "score",
            type: "quantitative",
            bin: { extent: domain, step, nice: false },
            scale: { domain },
            title: "cosine score to the reference centroid",
            axis: { values: ticks, format: ".1f" },
          },
          y: { aggregate: "count", type: "quantitative", title: "photos" },
        },
      },
      {
        data: { values: [{ threshold }] },
        mark: { type: "rule", color: "#111", strokeDash: [4, 3], strokeWidth: 1.5 },
        encoding: { x: { field: "threshold", type: "quantitative", scale: { domain } } },
      },
      ...(lower === undefined
        ? []
        : [
            {
              data: { values: [{ lower }] },
              mark: { type: "rule" as const, color: "#111", strokeDash: [1, 2], strokeWidth: 1.5 },
              encoding: { x: { field: "lower", type: "quantitative" as const, scale: { domain } } },
            },
          ]),
    ],
  };
}

/** Splits a long label into lines of at most `width` characters, at "/" or spaces where it can. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const cut = Math.max(rest.lastIndexOf("/", width), rest.lastIndexOf(" ", width));
    const at = cut > width / 3 ? cut + 1 : width;
    lines.push(rest.slice(0, at));
    rest = rest.slice(at);
  }
  return [...lines, rest];
}

/**
 * ROC curves (all anomalies, and each anomaly group when there are several) with the operating point at the
 * threshold. The overall curve is its own layer, drawn last and thickest, so no group curve can hide it.
 */
export function rocSpec(curves: { name: string; points: RocPoint[] }[], threshold: number): TopLevelSpec {
  const [overallCurve, ...groupCurves] = curves;
  const overall = overallCurve!.points;
  const rows = (list: typeof curves) => list.flatMap((c) => thin(c.points).map((p) => ({ curve: c.name, fpr: p.fpr, tpr: p.tpr })));
  // Operating point: the last ROC point whose threshold is still ≥ the reference threshold.
  const operating = [...overall].reverse().find((p) => p.threshold >= threshold) ?? overall[0]!;
  const curveLayer = (values: ReturnType<typeof rows>, strokeWidth: number): Layer => ({
    data: { values },
    mark: { type: "line", interpolate: "step-after", strokeWidth },
    encoding: {
      // Symmetric-log x: a good gate lives at FPR of a few per cent, which a linear axis squeezes into its corner.
      x: {
        field: "fpr",
        type: "quantitative",
        title: "false-accept rate (FPR, symlog scale)",
        scale: { type: "symlog", constant: 0.01, domain: [0, 1] },
        axis: { values: [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1], format: ".0%" },
      },
      y: { field: "tpr", type: "quantitative", title: "crop photos accepted (TPR)", scale: { domain: [0, 1] } },
      color: { field: "curve", type: "nominal", title: null, sort: curves.map((c) => c.name), legend: { labelLimit: 260 } },
    },
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: 360,
    height: 360,
    title: { text: "ROC: crop photos accepted vs anomalies accepted", anchor: "start", fontSize: 12 },
    layer: [
      {
        // Chance line, sampled densely so it stays TPR = FPR on the symlog axis.
        data: { values: Array.from({ length: 101 }, (_, i) => ({ x: (i / 100) ** 2, y: (i / 100) ** 2 })) },
        mark: { type: "line", color: "#bbb", strokeDash: [2, 2] },
        encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
      },
      ...(groupCurves.length > 0 ? [curveLayer(rows(groupCurves), 1.2)] : []),
      curveLayer(rows([overallCurve!]), 3),
      {
        data: { values: [{ fpr: operating.fpr, tpr: operating.tpr, label: `threshold ${threshold.toFixed(digitsToTell([threshold], 3))}` }] },
        layer: [
          { mark: { type: "point", filled: true, size: 70, color: "#111" } },
          { mark: { type: "text", align: "left", dx: 8, dy: 10, fontSize: 11 }, encoding: { text: { field: "label" } } },
        ],
        encoding: { x: { field: "fpr", type: "quantitative" }, y: { field: "tpr", type: "quantitative" } },
      },
    ],
  };
}

type Layer = Extract<TopLevelSpec, { layer: unknown }>["layer"][number];

/** Keeps at most ~`max` points of a curve (always both ends) so the SVG stays small. */
function thin(points: readonly RocPoint[], max = 400): RocPoint[] {
  if (points.length <= max) return [...points];
  const every = Math.ceil(points.length / max);
  return points.filter((_, i) => i % every === 0 || i === points.length - 1);
}
