// `npm run bench [-- --runs N --cold N --variant SPEC... --skip LIST]`: the same images through (1) the
// production code inside workerd (bench/worker.ts via wrangler's unstable_dev), (2) the same code and model
// in Node with onnxruntime-node on one thread, and (3) the Python Pillow + onnxruntime pipeline a user might
// pick instead; plus model variants, cold start, memory and the deploy bundle. Figures are printed, never
// asserted: this machine is shared and noisy. How each figure is taken: docs/benchmarks.md ("How the bench
// measures").
//
// --variant name=PATH[,level=all|extended|basic|disabled][,freeDim=1][,memPattern=0|1][,qdq=0|1]
//   (repeatable) adds an inference variant: a model file (default: the shipped one) and ORT session
//   options, measured in workerd and onnxruntime-node against the shipped model in the same interleaved
//   loop. `--model PATH` is short for `--variant <file name>=PATH`.
// --cold-variant name=QUERY[;VAR=VALUE...] (repeatable) adds a cold-start variant: the first verdict of a
//   fresh isolate with the embedder made with those session options (QUERY as for --variant, e.g.
//   level=basic) and/or the worker started with those vars (e.g. nowarmup=;WARMUP=off: no module-scope
//   warm-up, src/index.ts), interleaved with the production one (fresh isolates alternate between variants).
// --skip python,jpegjs,bundle,startup,memory,cold,e2e,variants leaves parts out.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import jpeg from "jpeg-js";
import * as ort from "onnxruntime-node";
import { unstable_dev } from "wrangler";
import { imageToTensor } from "../src/image";
import { cpuMs, descendants } from "./proc";
import { ManifestSchema, sessionConfigEntries } from "../src/model/manifest";
import manifestJson from "../models/manifest.json" with { type: "json" };

const ROOT = resolve(import.meta.dirname, "..");
const { values: argv } = parseArgs({
  options: {
    runs: { type: "string", default: process.env.BENCH_RUNS ?? "10" },
    cold: { type: "string", default: "3" },
    variant: { type: "string", multiple: true, default: [] },
    "cold-variant": { type: "string", multiple: true, default: [] },
    model: { type: "string", multiple: true, default: [] },
    skip: { type: "string", default: "" },
  },
});
const RUNS = Math.max(2, Number(argv.runs));
const COLD = Math.max(0, Number(argv.cold));
const SKIP = new Set(argv.skip!.split(",").filter(Boolean));
const MODEL = join(ROOT, "models", manifestJson.model.file);
const manifest = ManifestSchema.parse(manifestJson);
const preprocessing = manifest.preprocessing;
const inputShape = [1, ...(manifest.model.input.shape.slice(1) as number[])];

// ---- statistics ---------------------------------------------------------------------------------------
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]!;
};
type Stages = Record<string, number>;
/**
 * Stage figures that add up: the runs whose total lies in the middle half (25th–75th percentile of the
 * totals) and, over those same runs, the mean of each stage and of the total. A mean is linear, so the
 * stages sum to the total exactly; the middle half drops the outliers a shared machine produces.
 * Medians taken stage by stage do not add up (what made the old table print totals below their parts).
 */
function middleHalf(runs: Stages[]): { stages: Stages; total: number; medianTotal: number; iqr: [number, number]; n: number } {
  const totals = runs.map((r) => r.total!);
  const lo = quantile(totals, 0.25), hi = quantile(totals, 0.75);
  const mid = runs.filter((r) => r.total! >= lo && r.total! <= hi);
  const stages: Stages = {};
  for (const k of Object.keys(mid[0]!)) if (k !== "total") stages[k] = mid.reduce((s, r) => s + r[k]!, 0) / mid.length;
  return { stages, total: mid.reduce((s, r) => s + r.total!, 0) / mid.length, medianTotal: median(totals), iqr: [lo, hi], n: mid.length };
}
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "n/a");
const mb = (kb: number) => (kb / 1024).toFixed(1);
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

// ---- images -------------------------------------------------------------------------------------------
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

// ---- variants -------------------------------------------------------------------------------------------
interface Variant {
  name: string;
  path: string;
  /** Query string for bench/worker.ts /session (level, freeDim, memPattern, qdq). */
  query: URLSearchParams;
}
function variants(): Variant[] {
  const out: Variant[] = [{ name: "shipped", path: MODEL, query: new URLSearchParams() }];
  const specs = [...argv.variant!, ...argv.model!.map((p) => `${basename(p).replace(/\.onnx$/, "")}=${p}`)];
  for (const spec of specs) {
    const [head, ...opts] = spec.split(",");
    const [name, path] = head!.includes("=") ? head!.split("=") : [head!, ""];
    const query = new URLSearchParams(opts.map((o) => o.split("=") as [string, string]));
    if (!name || name === "shipped") throw new Error(`--variant ${spec}: give it a name other than "shipped"`);
    out.push({ name, path: path ? resolve(path) : MODEL, query });
  }
  return out;
}

// ---- memory: peak RSS of a process, reset through /proc/<pid>/clear_refs -----------------------------------
function memKb(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  return { rss: field("VmRSS"), hwm: field("VmHWM") };
}
async function peakDuring(pid: number, fn: () => Promise<unknown> | unknown): Promise<number | null> {
  const before = memKb(pid).rss;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch {
    return null;
  }
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

// ---- workerd ------------------------------------------------------------------------------------------------
async function startWorker(vars: Record<string, string> = {}) {
  const t0 = performance.now();
  const worker = await unstable_dev(join(ROOT, "bench/worker.ts"), {
    config: join(ROOT, "wrangler.toml"),
    ip: "127.0.0.1",
    logLevel: "warn",
    vars,
    experimental: { disableExperimentalWarning: true, disableDevRegistry: true },
  } as Parameters<typeof unstable_dev>[1]);
  const startMs = performance.now() - t0;
  /** One request, timed from outside; its JSON body carries the inside timings. */
  const call = async (path: string, body?: Uint8Array) => {
    const s = performance.now();
    const res = await worker.fetch(path, body ? { method: "POST", body } : {});
    const j = (await res.json()) as Record<string, unknown>;
    const ms = performance.now() - s;
    if (!res.ok) throw new Error(`${path}: ${JSON.stringify(j)}`);
    return { ms, body: j };
  };
  return { worker, call, startMs };
}

type Cold = { variant: string; startMs: number; moduleMs: number; wallMs: number; cpuMs: number; stages: Record<string, number> };
/** The first verdict of a fresh isolate, `n` times per variant (a new workerd each time, variants alternating). */
async function cold(img: { path: string }, n: number, variants: [string, string][]) {
  const bytes = new Uint8Array(readFileSync(img.path));
  const out: Cold[] = [];
  for (let i = 0; i < n; i++) {
    for (const [variant, spec] of variants) {
      const [query, ...assignments] = spec.split(";");
      const { worker, call, startMs } = await startWorker(Object.fromEntries(assignments.map((a) => a.split("=") as [string, string])));
      try {
        // The first request starts the isolate (bundle and model module load, global scope): timed apart.
        const first = await call("/noop");
        // CPU time of the worker's workerd process (all threads) across the request: robust to load.
        const pid = workerdPid();
        const cpu0 = pid ? cpuMs(pid) : NaN;
        const c = await call(`/cold${query ? `?${query}` : ""}`, bytes);
        out.push({ variant, startMs, moduleMs: first.ms, wallMs: c.ms, cpuMs: pid ? cpuMs(pid) - cpu0 : NaN, stages: c.body as Record<string, number> });
      } finally {
        await worker.stop();
      }
    }
  }
  return out;
}

// ---- Node + onnxruntime-node ---------------------------------------------------------------------------------
async function nodeSession(path: string, query?: URLSearchParams) {
  const level = (query?.get("level") ?? "all") as "all";
  return ort.InferenceSession.create(path, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: level,
    ...(query?.get("freeDim") === "1" ? { freeDimensionOverrides: { [String(manifest.model.input.shape[0])]: 1 } } : {}),
    ...(query?.has("memPattern") ? { enableMemPattern: query.get("memPattern") === "1" } : {}),
    extra: sessionConfigEntries(manifest, query?.has("qdq") ? query.get("qdq") === "0" : undefined),
  });
}
const nodeInfer = async (session: ort.InferenceSession, tensor: Float32Array, n = 1) => {
  const feeds = { [manifest.model.input.name]: new ort.Tensor("float32", tensor, inputShape) };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await session.run(feeds);
  return (performance.now() - t0) / n;
};
async function nodeE2e(session: ort.InferenceSession, bytes: Uint8Array): Promise<Stages> {
  const t0 = performance.now();
  const r = imageToTensor(bytes, preprocessing);
  const inference = await nodeInfer(session, r.tensor);
  const total = performance.now() - t0;
  return { decode: r.timings.decodeMs, preprocess: r.timings.preprocessMs, inference, other: total - r.timings.decodeMs - r.timings.preprocessMs - inference, total };
}

// ---- Python (a persistent process, so its runs interleave with the others) -------------------------------------
function python(): { run: (path: string) => Promise<Stages>; info: Record<string, unknown>; close: () => void } | { skipped: string } {
  const py = join(ROOT, "models/.venv/bin/python");
  if (!existsSync(py)) return { skipped: `${py} absent (run models/setup.sh)` };
  const child: ChildProcessWithoutNullStreams = spawn(py, [join(ROOT, "models/training/bench_pil_onnxruntime.py"), "--model", MODEL, "--serve"], { cwd: join(ROOT, "models/training") });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  let info: Record<string, unknown> = {};
  const next = async () => JSON.parse(((await lines.next()).value as string | undefined) ?? "null") as Record<string, number> | null;
  const ready = next().then((i) => (info = i ?? {}));
  return {
    get info() {
      return info;
    },
    run: async (path) => {
      await ready;
      child.stdin.write(path + "\n");
      const r = await next();
      if (!r) throw new Error("python baseline exited");
      return { decode: r.decodeMs!, preprocess: r.preprocessMs!, inference: r.inferenceMs!, other: r.totalMs! - r.decodeMs! - r.preprocessMs! - r.inferenceMs!, total: r.totalMs! };
    },
    close: () => child.stdin.end(),
  };
}

// ---- bundle and startup -------------------------------------------------------------------------------------------
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

// ---- main -----------------------------------------------------------------------------------------------------
function table(label: string, r: ReturnType<typeof middleHalf>, keys: string[]) {
  return `  ${label.padEnd(32)}${keys.map((k) => f1(r.stages[k] ?? NaN).padStart(11)).join("")}${f1(r.total).padStart(11)}   (median total ${f1(r.medianTotal)}, IQR ${f1(r.iqr[0])}–${f1(r.iqr[1])}, ${r.n} runs)`;
}

async function main() {
  const imgs = images();
  const vs = variants();
  console.log(`cropgate bench — ${new Date().toISOString()}, ${RUNS} warm runs per figure, node ${process.version}`);
  console.log(`load average at start: ${load()} (shared machine: compare ratios within this run, not absolutes across runs)`);
  console.log(`model: ${manifest.model.id} (${MODEL}, sha256 ${manifest.model.sha256.slice(0, 12)}…)`);
  for (const i of imgs) console.log(`image ${i.label}: ${i.note}`);

  // ---- cold start: fresh isolates ----
  if (!SKIP.has("cold") && COLD > 0) {
    const img = imgs[0]!;
    const cvs: [string, string][] = [["production", ""], ...argv["cold-variant"]!.map((v) => v.split(/=(.*)/s).slice(0, 2) as [string, string])];
    const colds = await cold(img, COLD, cvs);
    console.log(`\n== cold: the first verdict of a fresh isolate (${img.label} JPEG), ${COLD} fresh workerd processes per variant; stages by performance.now() inside, in the check route's order; load ${load()}`);
    const keys = ["decodeMs", "preprocessMs", "instantiateMs", "sha256Ms", "sessionMs", "firstInferenceMs"] as const;
    console.log(`  ${"".padEnd(22)}${["decode", "preprocess", "wasm inst.", "sha256", "session", "1st infer.", "= verdict", "wall", "CPU"].map((s) => s.padStart(11)).join("")}   (module load before it; 2nd inference)`);
    for (const [i, c] of colds.entries()) {
      const s = c.stages;
      const sum = keys.reduce((a, k) => a + s[k]!, 0);
      console.log(`  #${String(i + 1).padEnd(3)}${c.variant.slice(0, 17).padEnd(18)}${keys.map((k) => f1(s[k]!).padStart(11)).join("")}${f1(sum).padStart(11)}${f1(c.wallMs).padStart(11)}${f1(c.cpuMs).padStart(11)}   (${f1(c.moduleMs)}; ${f1(s.secondInferenceMs!)})`);
    }
    for (const [variant, query] of cvs) {
      const mine = colds.filter((c) => c.variant === variant);
      const sums = mine.map((c) => keys.reduce((a, k) => a + c.stages[k]!, 0));
      const med = (k: string) => f1(median(mine.map((c) => c.stages[k]!)));
      console.log(
        `  cold first verdict, ${variant}${query ? ` (${query})` : ""}: median ${f1(median(sums))} ms inside (${sums.map(f1).join(", ")}), ${f1(median(mine.map((c) => c.wallMs)))} ms from outside (goal ≤ 600 ms), workerd CPU ${f1(median(mine.map((c) => c.cpuMs)))} ms; ` +
          `stage medians: decode ${med("decodeMs")}, preprocess ${med("preprocessMs")}, wasm ${med("instantiateMs")}, sha256 ${med("sha256Ms")}, session ${med("sessionMs")}, first inference ${med("firstInferenceMs")}`,
      );
    }
  }

  const { worker, call, startMs } = await startWorker();
  const py = SKIP.has("python") ? { skipped: "--skip python" } : python();
  try {
    await call("/noop");
    const pid = workerdPid();
    const clock = (await call("/clock")).body as { perfMs: number; dateMs: number; stepMs: number };
    const clockWall = (await call("/clock")).ms;
    const noop: number[] = [];
    for (let i = 0; i < RUNS; i++) noop.push((await call("/noop")).ms);
    console.log(`\nworkerd: unstable_dev start ${f1(startMs)} ms; empty request round trip ${f1(median(noop))} ms (median)`);
    console.log(`workerd clock: a busy loop took ${f1(clockWall)} ms from outside; inside, performance.now() advanced ${f1(clock.perfMs)} ms (smallest step ${clock.stepMs} ms) and Date.now() ${f1(clock.dateMs)} ms`);

    const nodeSessions = new Map<string, ort.InferenceSession>();
    nodeSessions.set("shipped", await nodeSession(MODEL));

    // ---- warm end to end, shipped model ----
    if (!SKIP.has("e2e")) {
      console.log(`\n== warm verdicts, shipped model: ${RUNS} rounds, each round one workerd request, one Node run and one Python run, interleaved`);
      console.log(`   workerd: decode, preprocess, inference by performance.now() inside the request; "other" = the request's outside wall time minus those (HTTP, body upload, JSON)`);
      console.log(`   figures: means over the runs whose total is in the middle half (they add up to the total); median and IQR of all totals beside`);
      for (const img of imgs) {
        const bytes = new Uint8Array(readFileSync(img.path));
        await call("/e2e", bytes);
        await nodeE2e(nodeSessions.get("shipped")!, bytes);
        if ("run" in py) await py.run(img.path);
        const w: Stages[] = [], n: Stages[] = [], p: Stages[] = [];
        let info: { scale: number; decodedWidth: number; decodedHeight: number } | undefined;
        for (let i = 0; i < RUNS; i++) {
          const r = await call("/e2e", bytes);
          const b = r.body as Record<string, number> & { info: typeof info };
          info = b.info;
          w.push({ decode: b.decodeMs, preprocess: b.preprocessMs, inference: b.inferenceMs, other: r.ms - b.decodeMs - b.preprocessMs - b.inferenceMs, total: r.ms });
          n.push(await nodeE2e(nodeSessions.get("shipped")!, bytes));
          if ("run" in py) p.push(await py.run(img.path));
        }
        const [mw, mn, mp] = [middleHalf(w), middleHalf(n), p.length ? middleHalf(p) : null];
        const keys = ["decode", "preprocess", "inference", "other"];
        console.log(`${img.label} (decoded at 1/${1 / info!.scale}: ${info!.decodedWidth}×${info!.decodedHeight}); load ${load()}`);
        console.log(`  ${"".padEnd(32)}${[...keys, "total"].map((k) => k.padStart(11)).join("")}   ms`);
        console.log(table("workerd (onnxruntime-web)", mw, keys));
        console.log(table("node (onnxruntime-node, 1 thr)", mn, keys));
        if (mp) console.log(table("python (Pillow + onnxruntime, 1)", mp, keys));
        const dp = (m: ReturnType<typeof middleHalf>) => m.stages.decode! + m.stages.preprocess!;
        console.log(
          `  ratios: inference workerd/node ${(mw.stages.inference! / mn.stages.inference!).toFixed(2)}× (goal ≤ 2.5×)` +
            (mp ? `; decode+preprocess workerd/Pillow ${(dp(mw) / dp(mp)).toFixed(2)}× (${f1(dp(mw))} / ${f1(dp(mp))} ms)` + `; total workerd/python ${(mw.total / mp.total).toFixed(2)}×` : ""),
        );
        if (img.label === "8 MP") console.log(`  8 MP goals: decode+preprocess ≤ 1.5× Pillow's, end to end ≤ 250 ms (${f1(mw.total)} ms mean of the middle half, median ${f1(mw.medianTotal)})`);
        if (pid && !SKIP.has("memory")) {
          const peakKb = await peakDuring(pid, () => call("/e2e", bytes));
          const nodePeak = await peakDuring(process.pid, () => imageToTensor(bytes, preprocessing));
          console.log(`  peak RSS above idle for one verdict: workerd ${peakKb === null ? "n/a" : mb(peakKb) + " MiB"}, node ${nodePeak === null ? "n/a" : mb(nodePeak) + " MiB"} (decode+preprocess only)`);
          if (img.label === "8 MP" && !SKIP.has("jpegjs")) {
            // The "before": jpeg-js full-size decode, run last because it bloats the heap.
            let ms = NaN;
            const jp = await peakDuring(pid, async () => (ms = (await call("/decode-jpegjs", bytes)).ms));
            console.log(`  before (jpeg-js 0.4.4 full-size RGB decode) in workerd: ${f1(ms)} ms, peak +${jp === null ? "n/a" : mb(jp)} MiB`);
          }
        }
      }
    }

    // ---- inference variants ----
    if (!SKIP.has("variants")) {
      const bytes = new Uint8Array(readFileSync(imgs[0]!.path));
      await call("/e2e", bytes); // leaves the 1024-px photo's tensor in the worker for /infer
      const tensor = imageToTensor(bytes, preprocessing).tensor;
      const created: Record<string, { workerd: number; node: number }> = {};
      for (const v of vs) {
        if (v.name === "shipped") continue;
        const body = new Uint8Array(readFileSync(v.path));
        const c = await call(`/session?name=${encodeURIComponent(v.name)}&${v.query}`, body);
        const t0 = performance.now();
        nodeSessions.set(v.name, await nodeSession(v.path, v.query));
        created[v.name] = { workerd: (c.body as { createMs: number }).createMs, node: performance.now() - t0 };
      }
      const N = 3;
      const times = new Map(vs.map((v) => [v.name, { workerd: [] as number[], node: [] as number[] }]));
      for (const v of vs) {
        await call(`/infer?session=${encodeURIComponent(v.name)}&n=2`);
        await nodeInfer(nodeSessions.get(v.name)!, tensor, 2);
      }
      for (let i = 0; i < RUNS; i++) {
        for (const v of vs) {
          const t = times.get(v.name)!;
          t.workerd.push(((await call(`/infer?session=${encodeURIComponent(v.name)}&n=${N}`)).body as { inferenceMs: number }).inferenceMs);
          t.node.push(await nodeInfer(nodeSessions.get(v.name)!, tensor, N));
        }
      }
      console.log(`\n== inference on the 1024-px photo's tensor: ${RUNS} rounds × ${vs.length} variants, interleaved; each figure the median of the rounds, each round ${N} inferences timed together (workerd: inside the isolate); load ${load()}`);
      console.log(`  ${"variant".padEnd(28)}${["workerd", "node", "wd/node", "wd/shipped", "node/shipped"].map((s) => s.padStart(13)).join("")}   session creation workerd / node (warm runtime)`);
      const base = times.get("shipped")!;
      for (const v of vs) {
        const t = times.get(v.name)!;
        const [wm, nm] = [median(t.workerd), median(t.node)];
        const opts = [...v.query].map(([k, x]) => `${k}=${x}`).join(",");
        console.log(
          `  ${(v.name + (opts ? ` (${opts})` : "")).padEnd(28)}${f1(wm).padStart(13)}${f1(nm).padStart(13)}${((wm / nm).toFixed(2) + "×").padStart(13)}${((wm / median(base.workerd)).toFixed(2) + "×").padStart(13)}${((nm / median(base.node)).toFixed(2) + "×").padStart(13)}   ${created[v.name] ? `${f1(created[v.name]!.workerd)} / ${f1(created[v.name]!.node)} ms` : ""}`,
        );
      }
    }
  } finally {
    await worker.stop();
    if ("close" in py) py.close();
  }

  if (!SKIP.has("startup")) {
    const st = startup();
    console.log(`\nwrangler check startup (global scope of the deploy bundle): profile window ${f1(st.windowMs)} ms, active ${f1(st.activeMs)} ms, idle ${f1(st.idleMs)} ms (goal ≤ 200 ms; Cloudflare's limit 1 s); load ${load()}`);
  }
  if (!SKIP.has("bundle")) {
    const b = bundle();
    console.log(`bundle (wrangler deploy --dry-run --outdir): ${(b.raw / 2 ** 20).toFixed(2)} MiB raw, ${(b.gz / 2 ** 20).toFixed(2)} MiB gzip -9 (goal ≤ 8 MB); wrangler says: ${b.wrangler}`);
  }
  console.log(`load average at the end: ${load()}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
