/** Vector maths for scoring. Pure and dependency-free so the CLI (Node) shares it with the worker. */

/** L2 norm, accumulated in float64. */
export function norm(v: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] as number) * (v[i] as number);
  return Math.sqrt(sum);
}

/** `v / ‖v‖` as a new Float64Array; throws on a zero or non-finite vector (a model bug, not input). */
export function l2Normalize(v: ArrayLike<number>): Float64Array {
  const n = norm(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new Error("cannot normalise a zero or non-finite vector");
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = (v[i] as number) / n;
  return out;
}

/** Cosine similarity of two equal-length vectors (neither needs to be normalised). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`dimension mismatch: ${a.length} vs ${b.length}`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (!(na > 0) || !(nb > 0)) throw new Error("cosine of a zero vector");
  // Clamp float error so a score never leaves [-1, 1].
  return Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)));
}
