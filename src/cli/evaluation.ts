import { acceptRate, rocCurve, separation, type RocPoint, type Separation } from "./metrics";

export type Kind = "normal" | "anomaly";

export interface GroupScores {
  name: string;
  kind: Kind;
  scores: number[];
}

export interface GroupSummary extends Separation {
  name: string;
  kind: Kind;
  count: number;
  accepted: number;
  rejected: number;
  acceptRate: number;
}

export interface Evaluation {
  threshold: number;
  overall: Separation & { normal: Counts; anomaly: Counts };
  groups: GroupSummary[];
  roc: { name: string; points: RocPoint[] }[];
}

interface Counts {
  count: number;
  accepted: number;
  rejected: number;
}

const counts = (scores: readonly number[], threshold: number): Counts => {
  const accepted = scores.filter((s) => s >= threshold).length;
  return { count: scores.length, accepted, rejected: scores.length - accepted };
};

/**
 * Metrics of a reference on labelled groups. Per group, a normal directory is measured against all
 * anomalies and an anomaly directory against all normals, so each row says how that directory fares.
 */
export function evaluateGroups(groups: readonly GroupScores[], threshold: number): Evaluation {
  const normal = groups.filter((g) => g.kind === "normal").flatMap((g) => g.scores);
  const anomaly = groups.filter((g) => g.kind === "anomaly").flatMap((g) => g.scores);
  const summaries = groups.map((g) => {
    const c = counts(g.scores, threshold);
    const sep = g.kind === "normal" ? separation(g.scores, anomaly) : separation(normal, g.scores);
    return { name: g.name, kind: g.kind, ...c, acceptRate: acceptRate(g.scores, threshold), ...sep };
  });
  const roc = [
    { name: "all anomalies", points: rocCurve(normal, anomaly) },
    ...groups.filter((g) => g.kind === "anomaly").map((g) => ({ name: g.name, points: rocCurve(normal, g.scores) })),
  ];
  return {
    threshold,
    overall: { ...separation(normal, anomaly), normal: counts(normal, threshold), anomaly: counts(anomaly, threshold) },
    groups: summaries,
    roc,
  };
}
