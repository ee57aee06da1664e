// `npm run bench:images`: the figures behind docs/images.md, in Node. For each image: decode time and
// peak memory of jpeg-js 0.4.4 (the published decoder) against src/image at full size and DCT-scaled, and
// what DCT scaling costs in tensor and embedding terms against the full-size tensor (which equals the
// Python pipeline's byte for byte: test/worker/preprocessing-parity.test.ts). Printed, never asserted.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import jpeg from "jpeg-js";
import * as ort from "onnxruntime-node";
import { ApiError } from "../src/errors";
import { decodeJpeg, imageToTensor } from "../src/image";
import manifestJson from "../models/manifest.json" with { type: "json" };

const ROOT = resolve(import.meta.dirname, "..");
const preprocessing = manifestJson.preprocessing as Parameters<typeof imageToTensor>[1];
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

type Mode = "jpegjs" | "full" | "default";
function run(mode: Mode, bytes: Uint8Array): void {
  if (mode === "jpegjs") jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 2048 });
  else imageToTensor(bytes, preprocessing, mode === "full" ? { minScaledSide: Infinity, maxDecoderMemoryMB: 2048 } : {});
}

// Child mode: one decode in a fresh process, peak RSS above the idle process (VmHWM reset via clear_refs).
if (process.argv[2] === "--peak") {
  const bytes = new Uint8Array(readFileSync(process.argv[4]!));
  const kb = (f: string) => Number(new RegExp(`${f}:\\s+(\\d+)`).exec(readFileSync("/proc/self/status", "utf8"))![1]);
  const before = kb("VmRSS");
  writeFileSync("/proc/self/clear_refs", "5");
  run(process.argv[3] as Mode, bytes);
  console.log(JSON.stringify({ peakKb: kb("VmHWM") - before }));
  process.exit(0);
}

function peakMiB(mode: Mode, file: string): string {
  const r = spawnSync(process.execPath, ["--import", "tsx", import.meta.filename, "--peak", mode, file], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) return `failed (${r.stderr.trim().split("\n").pop()})`;
  return `${(JSON.parse(r.stdout.trim().split("\n").pop()!).peakKb / 1024).toFixed(1)} MiB`;
}

function time(mode: Mode, bytes: Uint8Array): number {
  const xs: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t0 = performance.now();
    run(mode, bytes);
    if (i > 0) xs.push(performance.now() - t0); // first run warms the JIT
  }
  return median(xs);
}

const cosine = (a: Float32Array, b: Float32Array) => {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) (ab += a[i]! * b[i]!), (aa += a[i]! ** 2), (bb += b[i]! ** 2);
  return ab / Math.sqrt(aa * bb);
};

async function main() {
  const data = process.env.CROPGATE_DATA ?? join(ROOT, "..", "shared", "data");
  const phoneDir = join(data, "phone-photos");
  const files = [
    ...["astronaut.jpg", "variants/astronaut-1024.jpg", "coffee.jpg"].map((f) => join(ROOT, "test/fixtures/images", f)),
    ...(existsSync(phoneDir) ? readdirSync(phoneDir).sort().map((f) => join(phoneDir, f)) : []),
  ];
  if (!existsSync(phoneDir)) console.log(`(no phone photos: ${phoneDir} absent; set CROPGATE_DATA)`);
  console.log(`bench:images — ${new Date().toISOString()}, node ${process.version}, ${RUNS} warm runs (median); load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  const session = await ort.InferenceSession.create(join(ROOT, "models", manifestJson.model.file), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const embed = async (t: Float32Array) =>
    (await session.run({ [manifestJson.model.input.name]: new ort.Tensor("float32", t, [1, ...(manifestJson.model.input.shape.slice(1) as number[])]) }))[manifestJson.model.output.name]!.data as Float32Array;
  console.log(`model for cosines: ${manifestJson.model.id}`);

  console.log("\n## time and peak memory (decode, or decode + preprocess for src/image)");
  console.log("image | size | jpeg-js full RGB | src/image full size | src/image default (DCT-scaled)");
  for (const f of files) {
    const bytes = new Uint8Array(readFileSync(f));
    const d = imageToTensor(bytes, preprocessing).info;
    const row = (["jpegjs", "full", "default"] as Mode[]).map((m) => `${time(m, bytes).toFixed(0)} ms, +${peakMiB(m, f)}`);
    console.log(`${f.split("/").pop()} | ${d.width}×${d.height} (1/${1 / d.scale} by default) | ${row.join(" | ")}`);
  }

  if (process.env.BENCH_48MP) {
    // A worst case for the byte and pixel limits: iPhone 48 MP size, per-pixel noise (big entropy-coded data).
    console.log("\n## synthetic 48 MP JPEG (8064×6048, noisy, q85, made by jpeg-js)");
    const w = 8064, h = 6048, rgba = new Uint8Array(w * h * 4);
    let seed = 7;
    for (let i = 0; i < w * h; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const x = i % w, y = (i / w) | 0, n = (seed >>> 24) & 15;
      rgba[i * 4] = (x * 255) / w + n;
      rgba[i * 4 + 1] = (y * 255) / h + n;
      rgba[i * 4 + 2] = ((x ^ y) & 63) * 4;
      rgba[i * 4 + 3] = 255;
    }
    const big = new Uint8Array(jpeg.encode({ data: rgba, width: w, height: h }, 85).data);
    console.log(`${big.length} bytes`);
    for (let i = 0; i < 3; i++) {
      const r = imageToTensor(big, preprocessing, { maxBytes: 32 * 2 ** 20 });
      console.log(`decoded at 1/${1 / r.info.scale} (${r.info.decodedWidth}×${r.info.decodedHeight}): decode ${r.timings.decodeMs.toFixed(0)} ms, preprocess ${r.timings.preprocessMs.toFixed(0)} ms`);
    }
  }

  console.log("\n## full-size RGB against Pillow (models/.venv), byte for byte");
  const python = join(ROOT, "models/.venv/bin/python");
  const all = [
    ...readdirSync(join(ROOT, "test/fixtures/images")).filter((f) => f.endsWith(".jpg")).map((f) => join(ROOT, "test/fixtures/images", f)),
    ...["chelsea-progressive", "chelsea-gray", "chelsea-cmyk", "chelsea-444", "chelsea-422", "chelsea-440", "chelsea-progressive-restart", "astronaut-1024"].map((f) => join(ROOT, "test/fixtures/images/variants", `${f}.jpg`)),
    ...files.filter((f) => f.startsWith(phoneDir)),
  ];
  if (!existsSync(python)) console.log(`skipped: ${python} absent`);
  else {
    const dir = mkdtempSync(join(tmpdir(), "cropgate-rgb-"));
    const py = spawnSync(python, ["-c", "import sys, numpy as np\nfrom PIL import Image\nfor i, p in enumerate(sys.argv[2:]):\n    np.asarray(Image.open(p).convert('RGB')).tofile(f'{sys.argv[1]}/{i}.rgb')", dir, ...all], { encoding: "utf8" });
    if (py.status !== 0) console.log(`skipped: ${py.stderr.trim()}`);
    else
      all.forEach((f, i) => {
        const img = decodeJpeg(new Uint8Array(readFileSync(f)), { scaleDenom: 1, maxMemoryBytes: 2 ** 30 });
        const ref = readFileSync(join(dir, `${i}.rgb`));
        let diff = 0;
        for (let p = 0; p < img.width * img.height; p++)
          for (let c = 0; c < 3; c++) if (ref[p * 3 + c] !== img.data[p * img.channels + (img.channels === 1 ? 0 : c)]) diff++;
        console.log(`${f.split("/").pop()} ${img.width}×${img.height}: ${diff} of ${ref.length} bytes differ`);
      });
    rmSync(dir, { recursive: true, force: true });
  }

  console.log("\n## refusing bad input (time to the ApiError)");
  const sof = new Uint8Array(readFileSync(join(ROOT, "test/fixtures/images/variants/sof-65535x65535.jpg")));
  const declare49 = sof.slice();
  for (let i = 2; i < declare49.length; ) {
    if (declare49[i + 1] === 0xc0) {
      declare49.set([7000 >> 8, 7000 & 255, 7000 >> 8, 7000 & 255], i + 5);
      break;
    }
    i += 2 + ((declare49[i + 2]! << 8) | declare49[i + 3]!);
  }
  const cut = new Uint8Array(readFileSync(join(ROOT, "test/fixtures/images/variants/coffee-truncated.jpg")));
  const cases: [string, Uint8Array, object][] = [
    ["634-byte file declaring 65535×65535", sof, {}],
    ["634-byte file declaring 7000×7000 (49 MP), default scaling", declare49, {}],
    ["the same, full size", declare49, { minScaledSide: Infinity }],
    ["coffee.jpg cut in half", cut, {}],
  ];
  for (const [label, bytes, limits] of cases) {
    const t0 = performance.now();
    try {
      imageToTensor(bytes, preprocessing, limits);
      console.log(`${label}: decoded?!`);
    } catch (err) {
      console.log(`${label}: ${err instanceof ApiError ? err.status : String(err)} in ${(performance.now() - t0).toFixed(1)} ms`);
    }
  }

  console.log("\n## against models/test-vectors.json (the Python pipeline), as the worker runs");
  const vectorsPath = join(ROOT, "models/test-vectors.json");
  if (!existsSync(vectorsPath)) console.log(`skipped: ${vectorsPath} absent`);
  else {
    type Summary = { sample: number[]; sampleIndices: number[]; channelMeans: number[] };
    const v = JSON.parse(readFileSync(vectorsPath, "utf8")) as { model: { sha256: string }; images: { file: string; tensor: Summary; embeddingInt8: number[]; embeddingFp32: number[] }[] };
    const same = v.model.sha256 === manifestJson.model.sha256;
    console.log(`vectors' model ${v.model.sha256.slice(0, 12)}… ${same ? "=" : "≠"} bundled ${manifestJson.model.sha256.slice(0, 12)}…`);
    console.log("image | scale | max sample diff | max channel-mean diff | cosine to Python int8 / fp32");
    for (const im of v.images) {
      const { tensor, info } = imageToTensor(new Uint8Array(readFileSync(join(ROOT, im.file))), preprocessing);
      const sd = Math.max(...im.tensor.sampleIndices.map((i, k) => Math.abs(tensor[i]! - im.tensor.sample[k]!)));
      const p = tensor.length / 3;
      const cm = Math.max(...[0, 1, 2].map((c) => Math.abs(tensor.subarray(c * p, (c + 1) * p).reduce((a, x) => a + x, 0) / p - im.tensor.channelMeans[c]!)));
      const e = await embed(tensor);
      const cos = same ? `${cosine(e, Float32Array.from(im.embeddingInt8)).toFixed(6)} / ${cosine(e, Float32Array.from(im.embeddingFp32)).toFixed(6)}` : "n/a (other model)";
      console.log(`${im.file.split("/").pop()} | 1/${1 / info.scale} | ${sd.toFixed(5)} | ${cm.toFixed(5)} | ${cos}`);
    }
  }

  console.log("\n## what DCT scaling changes, against the full-size tensor (= Python's)");
  const rice = JSON.parse(readFileSync(join(ROOT, "models/references/rice.json"), "utf8")) as { centroid: number[]; threshold: { value: number } };
  const centroid = Float32Array.from(rice.centroid);
  console.log(`(score: cosine to the rice reference centroid, threshold ${rice.threshold.value})`);
  console.log("image | scale | decoded | tensor mean / max abs diff (levels of 255) | embedding cosine | score full → scaled");
  for (const f of files) {
    const bytes = new Uint8Array(readFileSync(f));
    const full = imageToTensor(bytes, preprocessing, { minScaledSide: Infinity, maxDecoderMemoryMB: 2048 });
    const eFull = await embed(full.tensor);
    let last = 1;
    for (const side of [512, 256, 128]) {
      const r = imageToTensor(bytes, preprocessing, { minScaledSide: side });
      if (r.info.scale === last) continue; // 1/8 is the largest reduction
      last = r.info.scale;
      let s = 0, m = 0;
      for (let i = 0; i < r.tensor.length; i++) {
        const x = Math.abs(r.tensor[i]! - full.tensor[i]!);
        s += x;
        m = Math.max(m, x);
      }
      const e = await embed(r.tensor);
      console.log(`${f.split("/").pop()} | 1/${1 / r.info.scale} (min side ${side}) | ${r.info.decodedWidth}×${r.info.decodedHeight} | ${((s / r.tensor.length) * 127.5).toFixed(2)} / ${(m * 127.5).toFixed(1)} | ${cosine(e, eFull).toFixed(5)} | ${cosine(eFull, centroid).toFixed(4)} → ${cosine(e, centroid).toFixed(4)}`);
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
