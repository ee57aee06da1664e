// `npm run bench:scales`: what DCT-scaled decoding changes in the verdicts, on every JPEG of the shared
// image set that the worker does not decode at full size. For each such photo: the tensor at full size
// (= the Python pipeline's), at the scale the worker picks (the largest reduction keeping the shorter side
// ≥ 2 × the model input, src/image/scaling.ts) and one reduction further (what a laxer bound would give),
// each through the shipped model (onnxruntime-node), scored against the rice reference as the worker
// scores. Prints, per rule: photos, embedding cosine to full size, |score change| and verdict changes.
// Figures are printed, never asserted (docs/images.md, "Which scale each photo gets").
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { imageToTensor, readJpegHeader } from "../src/image";
import { chooseScaleDenom } from "../src/image/scaling";
import { ManifestSchema, sessionConfigEntries } from "../src/model/manifest";
import { ReferenceSchema } from "../src/references/schema";
import { scoreEmbedding } from "../src/scoring";
import manifestJson from "../models/manifest.json" with { type: "json" };
import riceJson from "../models/references/rice.json" with { type: "json" };

const ROOT = resolve(import.meta.dirname, "..");
const DATA = process.env.CROPGATE_DATA ?? join(ROOT, "..", "shared", "data");
const manifest = ManifestSchema.parse(manifestJson);
const reference = ReferenceSchema.parse(riceJson);
const side = Math.max(manifest.preprocessing.resize.width, manifest.preprocessing.resize.height);
const bound = 2 * side;

const cos = (a: Float32Array, b: Float32Array) => {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) (ab += a[i]! * b[i]!), (aa += a[i]! ** 2), (bb += b[i]! ** 2);
  return ab / Math.sqrt(aa * bb);
};

async function main() {
  const session = await ort.InferenceSession.create(join(ROOT, "models", manifest.model.file), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    extra: sessionConfigEntries(manifest),
  });
  const shape = [1, ...(manifest.model.input.shape.slice(1) as number[])];
  const output = reference.model.output ?? manifest.model.output.name;
  const embed = async (t: Float32Array) => (await session.run({ [manifest.model.input.name]: new ort.Tensor("float32", t, shape) }))[output]!.data as Float32Array;
  const files = readdirSync(DATA, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && /\.jpe?g$/i.test(d.name))
    .map((d) => join(d.parentPath, d.name))
    .sort();
  console.log(`bench:scales — ${new Date().toISOString()}, load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}; model ${manifest.model.id}, input ${side} px, reference rice (${reference.threshold.score ?? "centroid-cosine"}, threshold ${reference.threshold.value.toFixed(4)})`);
  type Row = { file: string; rule: string; cosine: number; delta: number; flip: boolean; full: number; scaled: number };
  const rows: Row[] = [];
  const counts: Record<string, number> = {};
  for (const f of files) {
    const bytes = new Uint8Array(readFileSync(f));
    const h = readJpegHeader(bytes);
    const d = chooseScaleDenom(h.width, h.height, bound);
    counts[`1/${d}`] = (counts[`1/${d}`] ?? 0) + 1;
    if (d === 1) continue;
    const full = imageToTensor(bytes, manifest.preprocessing, { minScaledSide: Infinity, maxDecoderMemoryMB: 512 });
    const eFull = await embed(full.tensor);
    const sFull = scoreEmbedding(eFull, reference);
    // The worker's own choice, then one reduction further (only the decoder's 1/8 limit stops it).
    for (const [rule, minSide] of [[`default 1/${d}`, bound], [`one further, 1/${Math.min(8, d * 2)}`, Math.floor(Math.min(h.width, h.height) / Math.min(8, d * 2))]] as const) {
      if (rule.startsWith("one further") && d === 8) continue;
      const r = imageToTensor(bytes, manifest.preprocessing, { minScaledSide: minSide });
      const e = await embed(r.tensor);
      const s = scoreEmbedding(e, reference);
      rows.push({ file: relative(DATA, f), rule: `${rule.startsWith("default") ? "default" : "further"} 1/${1 / r.info.scale} (from 1/${d})`, cosine: cos(e, eFull), delta: s.score - sFull.score, flip: s.verdict !== sFull.verdict, full: sFull.score, scaled: s.score });
    }
  }
  console.log(`scale the worker picks (shorter side ≥ ${bound} px after reduction): ${Object.entries(counts).map(([k, v]) => `${k}: ${v} photos`).join(", ")}`);
  console.log("rule | photos | embedding cosine to full size min / median | |score change| max / p95 / mean | verdicts changed");
  const rules = [...new Set(rows.map((r) => r.rule))].sort();
  const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
  for (const rule of rules) {
    const rs = rows.filter((r) => r.rule === rule);
    const ad = rs.map((r) => Math.abs(r.delta));
    const flips = rs.filter((r) => r.flip);
    console.log(
      `${rule} | ${rs.length} | ${Math.min(...rs.map((r) => r.cosine)).toFixed(5)} / ${q(rs.map((r) => r.cosine), 0.5).toFixed(5)} | ${Math.max(...ad).toFixed(4)} / ${q(ad, 0.95).toFixed(4)} / ${(ad.reduce((a, b) => a + b, 0) / ad.length).toFixed(4)} | ${flips.length}` +
        (flips.length ? ` (${flips.map((r) => `${r.file} ${r.full.toFixed(3)}→${r.scaled.toFixed(3)}`).join("; ")})` : ""),
    );
  }
  const worst = [...rows].filter((r) => r.rule.startsWith("default")).sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta)).slice(0, 5);
  console.log(`largest changes at the default scale: ${worst.map((r) => `${r.file} ${r.full.toFixed(4)}→${r.scaled.toFixed(4)}`).join("; ")}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
