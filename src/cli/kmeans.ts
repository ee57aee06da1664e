import { seededRandom } from "./random";
import { dot, normalizedMean, type Vector } from "./vectors";

export interface KMeansResult {
  /** L2-normalised centres, largest cluster first. */
  centres: number[][];
  /** Cluster index (into `centres`) of each input vector. */
  assignments: number[];
  sizes: number[];
  iterations: number;
}

/**
 * Spherical k-means (cosine similarity, centres renormalised) with seeded k-means++ initialisation:
 * the embeddings live on the unit sphere and the gate scores by cosine, so clusters should too.
 * Deterministic for the same vectors, k and seed.
 */
export function sphericalKMeans(vectors: readonly Vector[], k: number, seed = 1, maxIterations = 100): KMeansResult {
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
  if (vectors.length < k) throw new Error(`k-means needs at least k=${k} vectors, got ${vectors.length}`);
  const random = seededRandom(seed);
  let centres = initialCentres(vectors, k, random);
  let assignments = new Array<number>(vectors.length).fill(-1);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const next = vectors.map((v) => nearest(v, centres).index);
    const changed = next.some((c, i) => c !== assignments[i]);
    assignments = next;
    if (!changed) break;
    centres = centres.map((centre, c) => {
      const members = vectors.filter((_, i) => assignments[i] === c);
      // An emptied cluster takes the point worst served by the others, so k stays k.
      return members.length > 0 ? normalizedMean(members) : [...worstServed(vectors, centres)];
    });
  }
  const sizes = centres.map((_, c) => assignments.filter((a) => a === c).length);
  // Largest first (ties by first member) so the output order does not depend on initialisation order.
  const order = centres
    .map((_, c) => c)
    .sort((a, b) => sizes[b]! - sizes[a]! || assignments.indexOf(a) - assignments.indexOf(b));
  const rank = new Map(order.map((c, r) => [c, r]));
  return {
    centres: order.map((c) => centres[c]!),
    assignments: assignments.map((c) => rank.get(c)!),
    sizes: order.map((c) => sizes[c]!),
    iterations,
  };
}

export function nearest(v: Vector, centres: readonly Vector[]): { index: number; similarity: number } {
  let index = 0;
  let similarity = -Infinity;
  centres.forEach((c, i) => {
    const s = dot(v, c);
    if (s > similarity) {
      similarity = s;
      index = i;
    }
  });
  return { index, similarity };
}

function initialCentres(vectors: readonly Vector[], k: number, random: () => number): number[][] {
  const centres: number[][] = [[...vectors[Math.floor(random() * vectors.length)]!]];
  while (centres.length < k) {
    // k-means++: pick with probability proportional to the squared chord distance to the nearest centre.
    const weights = vectors.map((v) => Math.max(0, 2 - 2 * nearest(v, centres).similarity));
    const total = weights.reduce((a, b) => a + b, 0);
    if (total === 0) {
      centres.push([...vectors[centres.length % vectors.length]!]); // all identical: any point will do
      continue;
    }
    let r = random() * total;
    let pick = weights.length - 1;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r <= 0) {
        pick = i;
        break;
      }
    }
    centres.push([...vectors[pick]!]);
  }
  return centres;
}

function worstServed(vectors: readonly Vector[], centres: readonly Vector[]): Vector {
  let worst = vectors[0]!;
  let lowest = Infinity;
  for (const v of vectors) {
    const s = nearest(v, centres).similarity;
    if (s < lowest) {
      lowest = s;
      worst = v;
    }
  }
  return worst;
}
