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
  /** In the uncertain band [lowerThreshold, threshold): neither accepted nor rejected. 0 without a band. */
  uncertain: number;
  rejected: number;
  acceptRate: number;
  /** Photos of this group that made the reference (its `data.photos`): not held-out results. */
  inSample?: InSample;
}

export interface InSample {
  photos: number;
  /** The reference's sources they are listed under. */
  sources: string[];
}

export interface Evaluation {
  threshold: number;
  /** Equals `threshold` when the reference has no uncertain band. */
  lowerThreshold: number;
  overall: Separation & { normal: Counts; anomaly: Counts };
  groups: GroupSummary[];
  roc: { name: string; points: RocPoint[] }[];
}

interface Counts {
  count: number;
  accepted: number;
  uncertain: number;
  rejected: number;
}

const counts = (scores: readonly number[], threshold: number, lower: number): Counts => {
  const accepted = scores.filter((s) => s >= threshold).length;
  const rejected = scores.filter((s) => s < lower).length;
  return { count: scores.length, accepted, uncertain: scores.length - accepted - rejected, rejected };
};

/**
 * Metrics of a reference on labelled groups. Per group, a normal directory is measured against all
 * anomalies and an anomaly directory against all normals, so each row says how that directory fares.
 * Accepted = score ≥ threshold; rejected = score < lower; in between, uncertain (contract §3).
 */
export function evaluateGroups(groups: readonly GroupScores[], threshold: number, lower = threshold): Evaluation {
  const normal = groups.filter((g) => g.kind === "normal").flatMap((g) => g.scores);
  const anomaly = groups.filter((g) => g.kind === "anomaly").flatMap((g) => g.scores);
  const summaries = groups.map((g) => {
    const c = counts(g.scores, threshold, lower);
    const sep = g.kind === "normal" ? separation(g.scores, anomaly) : separation(normal, g.scores);
    return { name: g.name, kind: g.kind, ...c, acceptRate: acceptRate(g.scores, threshold), ...sep };
  });
  // One anomaly group's curve is the overall one: drawn twice, one would hide the other.
  const anomalyGroups = groups.filter((g) => g.kind === "anomaly");
  const roc = [
    { name: "all anomalies", points: rocCurve(normal, anomaly) },
    ...(anomalyGroups.length > 1 ? anomalyGroups.map((g) => ({ name: g.name, points: rocCurve(normal, g.scores) })) : []),
  ];
  return {
    threshold,
    lowerThreshold: lower,
    overall: { ...separation(normal, anomaly), normal: counts(normal, threshold, lower), anomaly: counts(anomaly, threshold, lower) },
    groups: summaries,
    roc,
  };
}

/**
 * Which groups' photos made the reference: a photo is in-sample when the first 16 hex digits of its sha256
 * are listed in the reference's `data.photos` (contract §3). Groups with none are left out of the map.
 */
export function inSampleGroups(
  photos: readonly { group: string; sha16: string }[],
  hashes: { sources: Record<string, readonly string[]> } | null,
): Map<string, InSample> {
  const out = new Map<string, InSample>();
  if (!hashes) return out;
  const sourceOf = new Map<string, string>();
  for (const [source, list] of Object.entries(hashes.sources)) for (const h of list) sourceOf.set(h, source);
  for (const p of photos) {
    const source = sourceOf.get(p.sha16);
    if (source === undefined) continue;
    const entry = out.get(p.group) ?? { photos: 0, sources: [] };
    entry.photos += 1;
    if (!entry.sources.includes(source)) entry.sources.push(source);
    out.set(p.group, entry);
  }
  return out;
}
