export const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : "n/a");
export const num = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");

/**
 * Enough decimals that two different numbers never print the same ("0.6711 < 0.6711"): at least
 * `min`, more until every printed value differs from the others it differs from.
 */
export function digitsToTell(values: readonly number[], min = 4, max = 12): number {
  for (let d = min; d < max; d++) {
    const clash = values.some((a, i) => values.some((b, j) => j > i && a !== b && a.toFixed(d) === b.toFixed(d)));
    if (!clash) return d;
  }
  return max;
}

/** How a score sits against a reference's thresholds: "score 0.8346 ≥ 0.6711", "0.6400 ≤ score 0.6600 < 0.6711", "score 0.1136 < 0.6711". */
export function comparison(score: number, threshold: number, lower = threshold): string {
  const d = digitsToTell([score, threshold, lower]);
  const f = (x: number) => x.toFixed(d);
  if (score >= threshold) return `score ${f(score)} ≥ ${f(threshold)}`;
  if (score >= lower) return `${f(lower)} ≤ score ${f(score)} < ${f(threshold)}`;
  return `score ${f(score)} < ${f(lower)}`;
}

/** Fixed-width text table (left-aligned first column, right-aligned others). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
