/** Small dense-vector helpers on plain number arrays (embeddings are 512-d; speed is not the issue). */

export type Vector = readonly number[];

export function dot(a: Vector, b: Vector): number {
  if (a.length !== b.length) throw new Error(`dimension mismatch: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** Cosine of two unit vectors, clamped so float rounding never puts a score outside [-1, 1]. */
export function unitCosine(a: Vector, b: Vector): number {
  return Math.max(-1, Math.min(1, dot(a, b)));
}

export function l2normalize(v: Vector | Float32Array): number[] {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  // A zero vector has no direction; keep it zero so every cosine against it is 0, not NaN.
  return Array.from(v, (x) => (norm > 0 ? x / norm : 0));
}

/** Mean of the (already normalised) vectors, renormalised: the contract's centroid. */
export function normalizedMean(vectors: readonly Vector[]): number[] {
  const first = vectors[0];
  if (!first) throw new Error("normalizedMean of no vectors");
  const sum = new Array<number>(first.length).fill(0);
  for (const v of vectors) for (let i = 0; i < sum.length; i++) sum[i]! += v[i]!;
  return l2normalize(sum);
}
