import { cosine } from "./cosine";
import type { Verdict } from "./verdict";

/**
 * How much nearer (in cosine) a lookalike must be than the crop's centroid before a refused photo is
 * said to look like it. A photo about as near to the crop as to the lookalike sits between the two,
 * and naming either would be a guess; 0.05 is a fifth of the gap between the shipped rice threshold
 * (0.76) and a typical refused photo's score (≈ 0.5), well above the float noise of a score (< 1e-4).
 * `npx tsx bench/lookalikes.ts` (docs/lookalikes.md): with lookalikes from half of each shared negative
 * group, 0.05 alone still names one for 99.7 % of the other half's refused photos; its mistakes are
 * between lookalikes, which LOOKALIKE_RUNNER_UP_MARGIN judges.
 */
export const LOOKALIKE_MARGIN = 0.05;

/**
 * How much nearer the named lookalike must be than the next one. Weed sets look alike (weeds on soil
 * in a chilli field, seedlings in trays, weeds in a carrot field): a photo about as near to two of them
 * is named neither, rather than one at a coin toss. Measured (docs/lookalikes.md): 0.06 names 90 % of
 * refused negatives, right 98.5 % (none: 99.7 %, right 96.2 %; the chilli-field group goes from 87 %
 * right to 100 %).
 */
export const LOOKALIKE_RUNNER_UP_MARGIN = 0.06;

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
 * (verdict "anomaly"; an unsure photo gets a retake hint instead of a guess), only the nearest lookalike, only when it beats the crop score by `margin` and the
 * next-nearest lookalike by `runnerUpMargin`.
 */
export function nearestLookalike(
  vector: ArrayLike<number>,
  reference: LookalikeReference,
  result: { score: number; verdict: Verdict },
  { margin = LOOKALIKE_MARGIN, runnerUpMargin = LOOKALIKE_RUNNER_UP_MARGIN } = {},
): LookalikeMatch | null {
  if (result.verdict !== "anomaly" || !reference.lookalikes?.length) return null;
  let best: LookalikeMatch | null = null;
  let second = -Infinity;
  for (const l of reference.lookalikes) {
    const similarity = cosine(vector, l.vector);
    if (!best || similarity > best.similarity) {
      if (best) second = best.similarity;
      best = { label: l.label, similarity };
    } else if (similarity > second) {
      second = similarity;
    }
  }
  if (!best || best.similarity - result.score < margin || best.similarity - second < runnerUpMargin) return null;
  return best;
}
