/** Score distribution summaries in the shape of the reference JSON's `calibration.normal` (contracts §3). */

export interface Distribution {
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  quantiles: { p01: number; p05: number; p10: number; p50: number; p90: number; p95: number; p99: number };
  histogram: { edges: number[]; counts: number[] };
}

const BINS = 40;
/** 41 edges from -1 to 1, computed as the model pipeline writes them (-1 + i * 0.05). */
export const HISTOGRAM_EDGES: readonly number[] = Array.from({ length: BINS + 1 }, (_, i) => -1 + i * (2 / BINS));

/** numpy.quantile's default ("linear") interpolation on an ascending array. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function histogram(values: readonly number[]): { edges: number[]; counts: number[] } {
  const counts = new Array<number>(BINS).fill(0);
  for (const v of values) {
    // Bin by comparing with the edges themselves (as numpy.histogram does), so a score that sits on an
    // edge lands in the same bin as in the pipeline's histograms. Cosines are in [-1, 1] up to rounding:
    // clamp, with the last bin closed on the right.
    let bin = 0;
    while (bin < BINS - 1 && v >= HISTOGRAM_EDGES[bin + 1]!) bin++;
    counts[bin]!++;
  }
  return { edges: [...HISTOGRAM_EDGES], counts };
}

export function describe(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = n ? sorted.reduce((a, b) => a + b, 0) / n : 0;
  // Population std (numpy's default ddof=0), matching the pipeline's figures.
  const std = n ? Math.sqrt(sorted.reduce((a, b) => a + (b - mean) ** 2, 0) / n) : 0;
  const q = (p: number) => quantileSorted(sorted, p);
  return {
    count: n,
    mean,
    std,
    min: n ? sorted[0]! : 0,
    max: n ? sorted[n - 1]! : 0,
    quantiles: { p01: q(0.01), p05: q(0.05), p10: q(0.1), p50: q(0.5), p90: q(0.9), p95: q(0.95), p99: q(0.99) },
    histogram: histogram(sorted),
  };
}
