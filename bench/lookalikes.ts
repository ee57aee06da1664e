/**
 * `npx tsx bench/lookalikes.ts [--limit N]`: how often a refused negative gets a lookalike, and how often
 * it is the right one, with the shipped rice reference (models/references/rice.json) and lookalikes made
 * the way `enroll --negatives` makes them. Each negative group of ../shared/data/negatives (or
 * $CROPGATE_DATA) is split by file-name order: the first half builds its lookalike (unit mean), the
 * second half is scored. Issue 9's goals: a lookalike for ≥ 70 % of refused negatives, right ≥ 90 % of
 * the time it is given, per group. Prints the figures for a few margins around the worker's
 * (LOOKALIKE_MARGIN against the crop score, LOOKALIKE_RUNNER_UP_MARGIN against the next lookalike).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { discoverImages } from "../src/cli/discover";
import { embedFiles } from "../src/cli/embed-files";
import { lookalikesFrom } from "../src/cli/lookalikes";
import { loadNodeEmbedder } from "../src/cli/model";
import { ReferenceSchema } from "../src/references/schema";
import { LOOKALIKE_MARGIN, LOOKALIKE_RUNNER_UP_MARGIN, nearestLookalike, scoreEmbedding } from "../src/scoring";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const data = resolve(ROOT, process.env.CROPGATE_DATA ?? "../shared/data");
if (!existsSync(join(data, "negatives"))) {
  console.error(`no shared data at ${data} (set CROPGATE_DATA)`);
  process.exit(2);
}
const limitAt = process.argv.indexOf("--limit");
const limit = limitAt > 0 ? Number(process.argv[limitAt + 1]) : 120;
const reference = ReferenceSchema.parse(JSON.parse(readFileSync(join(ROOT, "models/references/rice.json"), "utf8")));
const groups = readdirSync(join(data, "negatives")).sort().map((g) => join(data, "negatives", g));

const embedder = await loadNodeEmbedder({ threads: 1 });
const halves: { label: string; build: number[][]; test: number[][] }[] = [];
try {
  for (const dir of groups) {
    const files = await discoverImages([dir], limit);
    const { embedded } = await embedFiles(files, embedder, dir.split("/").pop());
    const half = Math.ceil(embedded.length / 2);
    halves.push({ label: dir.split("/").pop()!, build: embedded.slice(0, half).map((e) => e.embedding), test: embedded.slice(half).map((e) => e.embedding) });
  }
} finally {
  await embedder.release();
}
const lookalikes = lookalikesFrom(halves.map((h) => ({ label: h.label, embeddings: h.build })));
const withLookalikes = { ...reference, lookalikes };

console.log(`rice reference ${reference.createdAt}, threshold ${reference.threshold.value.toFixed(4)}; ${lookalikes.length} lookalikes from the first half of each group (≤ ${limit} files a group, name order)`);
const settings: [number, number][] = [
  ...[0, 0.02, 0.05, 0.1, 0.2].map((m) => [m, 0] as [number, number]),
  ...[0.02, 0.04, 0.06, 0.08, 0.1].map((r) => [LOOKALIKE_MARGIN, r] as [number, number]),
];
for (const [margin, runnerUpMargin] of settings) {
  let refused = 0, named = 0, right = 0;
  const rows: string[] = [];
  for (const h of halves) {
    let r = 0, n = 0, ok = 0;
    for (const v of h.test) {
      const result = scoreEmbedding(v, reference);
      if (result.normal) continue;
      r++;
      const l = nearestLookalike(v, withLookalikes, result, { margin, runnerUpMargin });
      if (!l) continue;
      n++;
      if (l.label === h.label) ok++;
    }
    refused += r; named += n; right += ok;
    rows.push(`  ${h.label.padEnd(16)} refused ${String(r).padStart(3)}/${h.test.length}, named ${pct(n, r)}, right ${pct(ok, n)}`);
  }
  const shipped = margin === LOOKALIKE_MARGIN && runnerUpMargin === LOOKALIKE_RUNNER_UP_MARGIN;
  console.log(`margin ${margin}, runner-up margin ${runnerUpMargin}${shipped ? " (the worker's)" : ""}: refused ${refused}, lookalike given ${pct(named, refused)} (goal ≥ 70 %), right ${pct(right, named)} (goal ≥ 90 %)`);
  if (shipped || (margin === LOOKALIKE_MARGIN && runnerUpMargin === 0) || process.argv.includes("--verbose")) console.log(rows.join("\n"));
}

function pct(k: number, n: number): string {
  return n === 0 ? "n/a" : `${((100 * k) / n).toFixed(1)} % (${k}/${n})`;
}
