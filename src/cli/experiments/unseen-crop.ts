// Scoring variants for the unseen-crop question (docs/unseen-crop.md), on the class split:
// enroll = first 10 photos (name order) of Bacterial_spot, Early_blight, Late_blight, Leaf_Mold,
// Septoria_leaf_spot; evaluate = all photos of the other five classes vs every negative group.
// Threshold-free metrics, so variants compare without calibrating each. Not a test and not shipped:
//   npx tsx src/cli/experiments/unseen-crop.ts        (CROPGATE_DATA, default <repo>/../shared/data)
// Embeddings are cached in $TMPDIR/cropgate-unseen-<model sha>.json.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { discoverImages } from "../discover";
import { embedFiles } from "../embed-files";
import { nearest, sphericalKMeans } from "../kmeans";
import { acceptRate, separation, thresholdForMaxAcceptRate } from "../metrics";
import { loadNodeEmbedder } from "../model";
import { seededRandom } from "../random";
import { normalizedMean, unitCosine, type Vector } from "../vectors";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const DATA = process.env.CROPGATE_DATA ?? join(REPO, "../shared/data");
if (!existsSync(join(DATA, "unseen-crops/tomato"))) {
  console.error(`skipped: no ${join(DATA, "unseen-crops/tomato")} (set CROPGATE_DATA to the shared data folder)`);
  process.exit(0);
}
const TOMATO = join(DATA, "unseen-crops/tomato");
const ENROLL_CLASSES = ["Bacterial_spot", "Early_blight", "Late_blight", "Leaf_Mold", "Septoria_leaf_spot"];
const EVAL_CLASSES = ["Spider_mites_Two-spotted_spider_mite", "Target_Spot", "Tomato_Yellow_Leaf_Curl_Virus", "Tomato_mosaic_virus", "healthy"];
const NEGATIVES = ["rice-leaf", "negatives/coco", "negatives/photos", "negatives/apple-leaf", "negatives/weeds-field"];

const embedder = await loadNodeEmbedder();
const cachePath = join(tmpdir(), `cropgate-unseen-${embedder.manifest.model.sha256.slice(0, 12)}.json`);
type Cached = Record<string, number[]>;
let cache: Cached = existsSync(cachePath) ? JSON.parse(await readFile(cachePath, "utf8")) : {};
async function embed(dirs: string[], limit?: number): Promise<{ path: string; group: string; e: number[] }[]> {
  const files = await discoverImages(dirs, limit);
  const todo = files.filter((f) => !cache[f.path]);
  if (todo.length > 0) {
    const { embedded } = await embedFiles(todo, embedder, "embedding");
    for (const e of embedded) cache[e.path] = e.embedding;
    await writeFile(cachePath, JSON.stringify(cache));
  }
  return files.filter((f) => cache[f.path]).map((f) => ({ path: f.path, group: f.group, e: cache[f.path]! }));
}

const enrolled = (await embed(ENROLL_CLASSES.map((c) => join(TOMATO, c)), 10)).map((x) => x.e);
const normals = (await embed(EVAL_CLASSES.map((c) => join(TOMATO, c)))).map((x) => x.e);
const negatives = await embed(NEGATIVES.map((n) => join(DATA, n)));
const enrollPool = await embed(ENROLL_CLASSES.map((c) => join(TOMATO, c)));
await embedder.release();
console.log(`model ${embedder.manifest.model.id} ${embedder.manifest.model.sha256.slice(0, 12)}: enrolled ${enrolled.length}, evaluation ${normals.length} tomato vs ${negatives.length} negatives`);

const fmt = (name: string, s: ReturnType<typeof separation>) =>
  `${name.padEnd(58)} AUROC ${s.auroc.toFixed(4)}  FPR@95%TPR ${(100 * s.fprAt95Tpr).toFixed(1).padStart(5)} %  TPR@1%FPR ${(100 * s.tprAt1Fpr).toFixed(1).padStart(5)} %`;
const run = (name: string, score: (v: Vector) => number, anomalies = negatives.map((n) => n.e)) =>
  console.log(fmt(name, separation(normals.map(score), anomalies.map(score))));

const centroid = normalizedMean(enrolled);
run("centroid cosine (what the worker scores)", (v) => unitCosine(v, centroid));
// How much does it depend on which photos, and how many? Seeded random draws of n per enrollment class.
const random = seededRandom(7);
const byClass = ENROLL_CLASSES.map((c) => enrollPool.filter((x) => x.group.endsWith(c)).map((x) => x.e));
for (const n of [2, 10, 40]) {
  const draws = Array.from({ length: 20 }, () => {
    const chosen = byClass.flatMap((pool) => [...pool].map((e) => ({ e, r: random() })).sort((a, b) => a.r - b.r).slice(0, n).map((x) => x.e));
    const c = normalizedMean(chosen);
    return separation(normals.map((v) => unitCosine(v, c)), negatives.map((x) => unitCosine(x.e, c)));
  });
  const stat = (f: (s: (typeof draws)[number]) => number, pct = false) => {
    const xs = draws.map(f).sort((a, b) => a - b);
    const m = (pct ? 100 : 1) * (xs.reduce((a, b) => a + b, 0) / xs.length);
    const lo = (pct ? 100 : 1) * xs[0]!;
    const hi = (pct ? 100 : 1) * xs.at(-1)!;
    return pct ? `${m.toFixed(1)} % [${lo.toFixed(1)}–${hi.toFixed(1)}]` : `${m.toFixed(4)} [${lo.toFixed(4)}–${hi.toFixed(4)}]`;
  };
  console.log(`centroid of ${5 * n} random photos (${n} per class), 20 draws: AUROC ${stat((s) => s.auroc)}, FPR@95%TPR ${stat((s) => s.fprAt95Tpr, true)}, TPR@1%FPR ${stat((s) => s.tprAt1Fpr, true)}`);
}
for (const k of [3, 5, 10]) {
  const protos = sphericalKMeans(enrolled, k, 1).centres;
  run(`nearest of ${k} k-means prototypes`, (v) => nearest(v, protos).similarity);
}
run("nearest enrolled photo (1-NN)", (v) => nearest(v, enrolled).similarity);

// With negatives at enrollment: half of the apple leaves (odd positions in name order) are given to
// enroll, the other half and every other group are evaluated.
const apple = negatives.filter((n) => n.group.endsWith("apple-leaf"));
const appleEnroll = apple.filter((_, i) => i % 2 === 1).map((n) => n.e);
const heldOut = negatives.filter((n) => !appleEnroll.includes(n.e)).map((n) => n.e);
console.log(`-- with ${appleEnroll.length} apple leaves given at enrollment; evaluated on the other ${heldOut.length} negatives --`);
run("centroid cosine", (v) => unitCosine(v, centroid), heldOut);
const negCentroid = normalizedMean(appleEnroll);
run("centroid cosine − cosine to the negatives' centroid", (v) => unitCosine(v, centroid) - unitCosine(v, negCentroid), heldOut);
// Penalise only photos nearer to the negatives than to the crop: min(t, 2t − n).
const penalised = (n: (v: Vector) => number) => (v: Vector) => {
  const t = unitCosine(v, centroid);
  return Math.min(t, 2 * t - n(v));
};
run("min(t, 2t − n), n = cosine to the negatives' centroid", penalised((v) => unitCosine(v, negCentroid)), heldOut);
const negProtos = sphericalKMeans(appleEnroll, 10, 1).centres;
run("min(t, 2t − n), n = nearest of 10 negative prototypes", penalised((v) => nearest(v, negProtos).similarity), heldOut);
// What enroll --max-false-accept 0.01 does: the centroid threshold raised until ≤ 1 % of the given
// negatives pass, then measured on photos neither step saw.
const tight = thresholdForMaxAcceptRate(appleEnroll.map((v) => unitCosine(v, centroid)), 0.01);
const heldOutApple = apple.filter((_, i) => i % 2 === 0).map((n) => n.e);
console.log(
  `centroid, threshold raised to ${tight.toFixed(4)} (≤ 1 % of the given apple leaves pass): ` +
    `tomato accepted ${(100 * acceptRate(normals.map((v) => unitCosine(v, centroid)), tight)).toFixed(1)} %, ` +
    `held-out apple accepted ${(100 * acceptRate(heldOutApple.map((v) => unitCosine(v, centroid)), tight)).toFixed(1)} %, ` +
    `all held-out negatives accepted ${(100 * acceptRate(heldOut.map((v) => unitCosine(v, centroid)), tight)).toFixed(1)} %`,
);
