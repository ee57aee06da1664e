import { cosine } from "./cosine";

/**
 * How much nearer (in cosine) a lookalike must be than the crop's centroid before a refused photo is
 * said to look like it. A photo about as near to the crop as to the lookalike sits between the two,
 * and naming either would be a guess; 0.05 is a fifth of the gap between the shipped rice threshold
 * (0.76) and a typical refused photo's score (≈ 0.5), well above the float noise of a score (< 1e-4).
 * `npx tsx bench/lookalikes.ts` (docs/lookalikes.md): with lookalikes from half of each shared negative
 * group, 0.05 still names one for 99.7 % of the other half's refused photos, right 96.2 % of the time;
 * the mistakes are between lookalikes (chilli field vs weed field), which this margin does not judge.
 */
export const LOOKALIKE_MARGIN = 0.05;

export interface LookalikeReference {
  lookalikes?: readonly { label: string; vector: ArrayLike<number> }[];
}

export interface LookalikeMatch {
  label: string;
  /** Cosine of the photo to the lookalike's prototype. */
  similarity: number;
}

/**
 * The lookalike a refused photo is clearly nearer to than to the crop, or null: only for refused photos
 * (`normal` false), only the nearest lookalike, and only when it beats the crop score by LOOKALIKE_MARGIN.
 */
export function nearestLookalike(
  vector: ArrayLike<number>,
  reference: LookalikeReference,
  result: { score: number; normal: boolean },
  margin = LOOKALIKE_MARGIN,
): LookalikeMatch | null {
  if (result.normal || !reference.lookalikes?.length) return null;
  let best: LookalikeMatch | null = null;
  for (const l of reference.lookalikes) {
    const similarity = cosine(vector, l.vector);
    if (!best || similarity > best.similarity) best = { label: l.label, similarity };
  }
  return best && best.similarity - result.score >= margin ? best : null;
}
