// `npm run bench`: the same images through (1) the production code inside workerd (bench/worker.ts via
// wrangler's unstable_dev), (2) the same code and model in Node with onnxruntime-node on one thread, and
// (3) the Python PIL + onnxruntime pipeline a user might pick instead; plus memory, cold start and the
// deploy bundle size. Figures are printed, never asserted: this machine is shared and noisy.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import jpeg from "jpeg-js";
import * as ort from "onnxruntime-node";
import { unstable_dev } from "wrangler";
import { imageToTensor } from "../src/image";
import { descendants } from "./proc";
import { ManifestSchema, sessionConfigEntries } from "../src/model/manifest";
import manifestJson from "../models/manifest.json" with { type: "json" };

const ROOT = resolve(import.meta.dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const MODEL = join(ROOT, "models", manifestJson.model.file);
const preprocessing = manifestJson.preprocessing as Parameters<typeof imageToTensor>[1];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const f1 = (x: number) => x.toFixed(1);
const mb = (kb: number) => (kb / 1024).toFixed(1);

// ---- images -------------------------------------------------------------------------------------
function images(): { label: string; path: string; note: string }[] {
  const data = process.env.CROPGATE_DATA ?? join(ROOT, "..", "shared", "data");
  const phone = join(data, "phone-photos", "IMG_3438.JPG");
  let eight = { label: "8 MP", path: phone, note: `phone photo ${phone} (iPhone 5c, 3264×2448, EXIF orientation 3)` };
  if (!existsSync(phone)) {
    // No shared data: a synthetic 8 MP JPEG (q90, smooth gradients plus noise), made with jpeg-js's encoder.
    const w = 3264, h = 2448, rgba = new Uint8Array(w * h * 4);
    let seed = 1;
    for (let i = 0; i < w * h; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const x = i % w, y = (i / w) | 0, n = (seed >>> 24) & 31;
      rgba.set([(x * 255) / w + n, (y * 255) / h + n, ((x + y) * 127) / (w + h) + n, 255], i * 4);
    }
    const path = join(mkdtempSync(join(tmpdir(), "cropgate-bench-")), "synthetic-8mp.jpg");
    writeFileSync(path, jpeg.encode({ data: rgba, width: w, height: h }, 90).data);
    eight = { label: "8 MP", path, note: `SYNTHETIC 3264×2448 JPEG (${phone} absent)` };
  }
  return [{ label: "1024 px", path: join(ROOT, "test/fixtures/images/variants/astronaut-1024.jpg"), note: "astronaut-1024.jpg (1024×1024 fixture)" }, eight];
}

// ---- memory: peak RSS of a process, reset through /proc/<pid>/clear_refs -----------------------------
function memKb(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  return { rss: field("VmRSS"), hwm: field("VmHWM") };
}
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}
async function peakDuring(pid: number, fn: () => Promise<unknown> | unknown): Promise<number | null> {
  const before = memKb(pid).rss;
  if (!resetPeak(pid)) return null;
  await fn();
  return memKb(pid).hwm - before;
}
// wrangler runs two workerd processes (its proxy and the user worker, started on first request): the
// user worker is the larger one.
const workerdPid = () =>
  descendants(process.pid)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").includes("workerd");
      } catch {
        return false;
      }
    })
    .sort((a, b) => memKb(b).rss - memKb(a).rss)[0];

// ---- workerd ------------------------------------------------------------------------------------------
type NodeRun = (bytes: Uint8Array) => Promise<{ decode: number; preprocess: number; inference: number; total: number }>;

// workerd and Node runs alternate within one loop, so the machine's load swings hit both alike.
async function benchWorkerdAndNode(imgs: ReturnType<typeof images>, nodeRun: NodeRun) {
  const t0 = performance.now();
  const worker = await unstable_dev(join(ROOT, "bench/worker.ts"), {
    config: join(ROOT, "wrangler.toml"),
    ip: "127.0.0.1",
    logLevel: "warn",
    experimental: { disableExperimentalWarning: true, disableDevRegistry: true },
  } as Parameters<typeof unstable_dev>[1]);
  const startMs = performance.now() - t0;
  const call = async (path: string, body?: Uint8Array) => {
    const s = performance.now();
    const res = await worker.fetch(path, body ? { method: "POST", body } : {});
    const j = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${path}: ${JSON.stringify(j)}`);
    return { ms: performance.now() - s, body: j };
  };
  try {
    const first = imgs[0]!;
    // The first request starts the isolate (bundle and model module load); the first verdict then adds
    // ORT's wasm instantiation, session creation, decode and inference. RSS of the worker's workerd
    // process after each shows what the isolate grows by.
    const firstNoop = await call("/noop");
    const pid = workerdPid();
    const rssLoadedKb = pid ? memKb(pid).rss : null;
    // /cold is /e2e with its stages timed inside the isolate (bench/worker.ts).
    const cold = await call("/cold", readFileSync(first.path));
    const rssAfterColdKb = pid ? memKb(pid).rss : null;
    const clock = await call("/clock");
    const noop: number[] = [];
    for (let i = 0; i < RUNS; i++) noop.push((await call("/noop")).ms);
    let rssOursKb: number | null = null;
    const out: Record<string, { decode: number; inference: number; fusedInference: number; innerDecode: number; innerPreprocess: number; e2e: number; peakKb: number | null; jpegjsPeakKb: number | null; jpegjsMs: number | null; info: unknown }> = {};
    const node: Record<string, { decode: number; preprocess: number; inference: number; total: number }> = {};
    for (const img of imgs) {
      const bytes = new Uint8Array(readFileSync(img.path));
      const dec: number[] = [], inf: number[] = [], e2e: number[] = [], fusedInf: number[] = [], innerDec: number[] = [], innerPre: number[] = [];
      await call("/infer?fused");
      const nd: number[] = [], np: number[] = [], ni: number[] = [], nt: number[] = [];
      await nodeRun(bytes); // warm-up
      await call("/e2e", bytes);
      let info: unknown;
      for (let i = 0; i < RUNS; i++) {
        const n = await nodeRun(bytes);
        nd.push(n.decode);
        np.push(n.preprocess);
        ni.push(n.inference);
        nt.push(n.total);
        const d = await call("/decode", bytes);
        dec.push(d.ms);
        info = d.body.info;
        const timings = d.body.timings as { decodeMs: number; preprocessMs: number };
        innerDec.push(timings.decodeMs);
        innerPre.push(timings.preprocessMs);
        inf.push((await call("/infer")).ms);
        fusedInf.push((await call("/infer?fused")).ms);
        e2e.push((await call("/e2e", bytes)).ms);
      }
      const peakKb = pid ? await peakDuring(pid, () => call("/e2e", bytes)) : null;
      let jpegjsPeakKb: number | null = null, jpegjsMs: number | null = null;
      if (pid) rssOursKb = memKb(pid).rss;
      if (img.label === "8 MP" && pid) {
        // The "before": jpeg-js full-size decode, run last because it bloats the heap.
        jpegjsPeakKb = await peakDuring(pid, async () => (jpegjsMs = (await call("/decode-jpegjs", bytes)).ms));
      }
      out[img.label] = { decode: median(dec) - median(noop), inference: median(inf) - median(noop), fusedInference: median(fusedInf) - median(noop), innerDecode: median(innerDec), innerPreprocess: median(innerPre), e2e: median(e2e), peakKb, jpegjsPeakKb, jpegjsMs, info };
      node[img.label] = { decode: median(nd), preprocess: median(np), inference: median(ni), total: median(nt) };
    }
    return { startMs, firstNoopMs: firstNoop.ms, coldMs: cold.ms, coldStages: cold.body as Record<string, number>, clock: { ...clock.body, wallMs: clock.ms }, noopMs: median(noop), pid, rssLoadedKb, rssAfterColdKb, rssKb: rssOursKb, images: out, node };
  } finally {
    await worker.stop();
  }
}

// ---- Node + onnxruntime-node ---------------------------------------------------------------------------
async function nodeRunner(): Promise<NodeRun> {
  const session = await ort.InferenceSession.create(MODEL, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    extra: sessionConfigEntries(ManifestSchema.parse(manifestJson)),
  });
  const input = manifestJson.model.input.name;
  return async (bytes) => {
    const t0 = performance.now();
    const r = imageToTensor(bytes, preprocessing);
    const t1 = performance.now();
    await session.run({ [input]: new ort.Tensor("float32", r.tensor, [1, ...(manifestJson.model.input.shape.slice(1) as number[])]) });
    const t2 = performance.now();
    return { decode: r.timings.decodeMs, preprocess: r.timings.preprocessMs, inference: t2 - t1, total: t2 - t0 };
  };
}

async function nodeMemory(imgs: ReturnType<typeof images>) {
  const out: Record<string, { peakKb: number | null; jpegjsPeakKb: number | null; jpegjsMs: number | null }> = {};
  for (const img of imgs) {
    const bytes = new Uint8Array(readFileSync(img.path));
    const peakKb = await peakDuring(process.pid, () => imageToTensor(bytes, preprocessing));
    let jpegjsPeakKb: number | null = null, jpegjsMs: number | null = null;
    if (img.label === "8 MP") {
      jpegjsPeakKb = await peakDuring(process.pid, () => {
        const s = performance.now();
        jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
        jpegjsMs = performance.now() - s;
      });
    }
    out[img.label] = { peakKb, jpegjsPeakKb, jpegjsMs };
  }
  return out;
}

// ---- Python --------------------------------------------------------------------------------------------
function benchPython(imgs: ReturnType<typeof images>) {
  const python = join(ROOT, "models/.venv/bin/python");
  if (!existsSync(python)) return { skipped: `${python} absent (run models/setup.sh)` };
  const r = spawnSync(python, [join(ROOT, "models/training/bench_pil_onnxruntime.py"), "--model", MODEL, "--runs", String(RUNS), ...imgs.map((i) => i.path)], {
    cwd: join(ROOT, "models/training"),
    encoding: "utf8",
  });
  if (r.status !== 0) return { skipped: `python baseline failed: ${r.stderr.slice(-500)}` };
  return JSON.parse(r.stdout) as { images: Record<string, { median: Record<string, number> }>; onnxruntime: string; pillow: string };
}

// ---- bundle --------------------------------------------------------------------------------------------
function bundle() {
  const dir = mkdtempSync(join(tmpdir(), "cropgate-bundle-"));
  try {
    const log = execFileSync(process.execPath, [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", dir], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile() && !d.name.endsWith(".map"));
    let raw = 0, gz = 0;
    for (const f of files) {
      const b = readFileSync(join(f.parentPath, f.name));
      raw += b.length;
      gz += gzipSync(b, { level: 9 }).length;
    }
    return { raw, gz, wrangler: /Total Upload:.*$/m.exec(log)?.[0] ?? "(no summary line)" };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- startup: wrangler check startup (global-scope CPU profile of the deploy bundle) ----------------------
function startup() {
  const dir = mkdtempSync(join(tmpdir(), "cropgate-startup-"));
  try {
    const log = execFileSync(process.execPath, [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "check", "startup", "--outfile", join(dir, "startup.cpuprofile")], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const num = (label: string) => Number(new RegExp(`${label}:\\s*([\\d.]+) ms`).exec(log)?.[1] ?? NaN);
    return { windowMs: num("Profile window"), activeMs: num("Active"), idleMs: num("Idle") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- report --------------------------------------------------------------------------------------------
async function main() {
  const imgs = images();
  console.log(`cropgate bench — ${new Date().toISOString()}, ${RUNS} warm runs each (medians), node ${process.version}`);
  console.log(`load average at start: ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")} (shared machine: compare ratios, not absolutes)`);
  console.log(`model: ${manifestJson.model.id} (${MODEL})`);
  for (const i of imgs) console.log(`image ${i.label}: ${i.note}`);

  const python = benchPython(imgs);
  const wd = await benchWorkerdAndNode(imgs, await nodeRunner());
  const nodeMem = await nodeMemory(imgs);
  const b = bundle();
  const st = startup();

  console.log(`\nworkerd: unstable_dev start ${f1(wd.startMs)} ms; first request to the fresh isolate (an empty one: bundle + model module load) ${f1(wd.firstNoopMs)} ms, then the cold first verdict (ORT wasm + session + 1024-px decode + inference) ${f1(wd.coldMs)} ms; HTTP round trip of an empty request ${f1(wd.noopMs)} ms`);
  const cs = wd.coldStages;
  console.log(`cold first verdict, inside the isolate: wasm instantiation ${f1(cs.instantiateMs!)} ms, model sha256 check ${f1(cs.sha256Ms!)} ms, session creation ${f1(cs.sessionMs!)} ms, decode+preprocess ${f1(cs.decodeAndPreprocessMs!)} ms, first inference ${f1(cs.firstInferenceMs!)} ms (second ${f1(cs.secondInferenceMs!)} ms) → ${f1(cs.embedderMs! + cs.decodeAndPreprocessMs! + cs.firstInferenceMs!)} ms (goal ≤ 600 ms)`);
  console.log(`wrangler check startup (global scope of the deploy bundle): profile window ${f1(st.windowMs)} ms, active ${f1(st.activeMs)} ms, idle ${f1(st.idleMs)} ms (goal ≤ 200 ms; Cloudflare's limit 1 s)`);
  if (wd.rssLoadedKb !== null && wd.rssAfterColdKb !== null && wd.rssKb !== null)
    console.log(`workerd worker process RSS: ${mb(wd.rssLoadedKb)} MiB after module load, ${mb(wd.rssAfterColdKb)} MiB after the first verdict (+${mb(wd.rssAfterColdKb - wd.rssLoadedKb)}: ORT wasm memory, session, first decode), ${mb(wd.rssKb)} MiB after all warm verdicts`);
  const ck = wd.clock as { perfMs: number; dateMs: number; wallMs: number };
  console.log(`workerd clock check: a busy loop took ${f1(ck.wallMs)} ms from outside; inside, performance.now() advanced ${f1(ck.perfMs)} ms and Date.now() ${f1(ck.dateMs)} ms`);
  console.log("(workerd stages are timed from outside: request wall time minus the empty round trip)\n");

  const py = "images" in python ? python.images : null;
  if (!py) console.log(`python baseline skipped: ${(python as { skipped: string }).skipped}\n`);
  for (const img of imgs) {
    const w = wd.images[img.label]!, n = { ...wd.node[img.label]!, ...nodeMem[img.label]! }, p = py?.[img.path]?.median;
    const info = w.info as { scale: number; decodedWidth: number; decodedHeight: number };
    console.log(`${img.label} (decoded at 1/${1 / info.scale}: ${info.decodedWidth}×${info.decodedHeight})`);
    console.log(`  ${"".padEnd(30)}${"decode+pre".padStart(12)}${"inference".padStart(12)}${"total".padStart(12)}`);
    console.log(`  ${"workerd (onnxruntime-web)".padEnd(30)}${f1(w.decode).padStart(12)}${f1(w.inference).padStart(12)}${f1(w.e2e).padStart(12)}   ms   (inside, by performance.now(): decode ${f1(w.innerDecode)}, preprocess ${f1(w.innerPreprocess)}; outside figures include the body upload)`);
    console.log(`  ${"node (onnxruntime-node, 1 thr)".padEnd(30)}${f1(n.decode + n.preprocess).padStart(12)}${f1(n.inference).padStart(12)}${f1(n.total).padStart(12)}   ms   (decode ${f1(n.decode)}, preprocess ${f1(n.preprocess)})`);
    if (p) console.log(`  ${"python (PIL + onnxruntime, 1)".padEnd(30)}${f1(p.decodeMs! + p.preprocessMs!).padStart(12)}${f1(p.inferenceMs!).padStart(12)}${f1(p.totalMs!).padStart(12)}   ms   (decode ${f1(p.decodeMs!)}, preprocess ${f1(p.preprocessMs!)})`);
    console.log(`  ratios: workerd/node inference ${(w.inference / n.inference).toFixed(2)}× (goal ≤ 2.5×)` + (p ? `; workerd/python total ${(w.e2e / p.totalMs!).toFixed(2)}×` + (img.label === "1024 px" ? " (goal ≤ 2×)" : "") : ""));
    console.log(`  workerd inference with ORT's QDQ fusion on (disable_quant_qdq=0; the worker applies the manifest's sessionConfig): ${f1(w.fusedInference)} ms`);
    console.log(`  peak memory above idle for one verdict: workerd ${w.peakKb === null ? "n/a" : mb(w.peakKb) + " MiB"}, node ${n.peakKb === null ? "n/a" : mb(n.peakKb) + " MiB"} (decode+preprocess only)`);
    if (w.jpegjsPeakKb !== null || n.jpegjsPeakKb !== null) {
      console.log(`  before (jpeg-js 0.4.4 full-size RGB decode): workerd ${f1(w.jpegjsMs ?? NaN)} ms, peak +${mb(w.jpegjsPeakKb ?? NaN)} MiB; node ${f1(n.jpegjsMs ?? NaN)} ms, peak +${mb(n.jpegjsPeakKb ?? NaN)} MiB`);
    }
    if (img.label === "8 MP") console.log(`  goal: < 128 MiB and ≤ 300 ms end to end in workerd → ${w.e2e <= 300 ? "met" : "NOT met"} on time here`);
    console.log("");
  }
  console.log(`bundle (wrangler deploy --dry-run --outdir): ${(b.raw / 2 ** 20).toFixed(2)} MiB raw, ${(b.gz / 2 ** 20).toFixed(2)} MiB gzip -9 (goal ≤ 8 MB); wrangler says: ${b.wrangler}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
