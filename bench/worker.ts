// Bench-only worker (never deployed): exposes the image and model stages so bench.ts can time them
// inside workerd, each request returning its own stage timings (performance.now(), which advances
// during compute in local workerd at 1 ms resolution — /clock checks both every run). Everything it runs is
// the production code in src/; /v1/* and /health are the production app itself, with a debug-only memory
// report beside it.
import { wasm } from "./instrument"; // first: it wraps WebAssembly.instantiate before ORT captures it
import jpeg from "jpeg-js";
import type { InferenceSession } from "onnxruntime-web/wasm";
import { imageToTensor } from "../src/image";
import { getEmbedder, manifest, modelBytes } from "../src/model/bundled";
import { type Embedder, createEmbedder } from "../src/model/session";
import { sha256Hex } from "../src/model/sha256";
import { withPrecompiledWasm } from "../src/model/ort-wasm";
import { sessionConfigEntries } from "../src/model/manifest";
import { app } from "../src/index";
import { warmUpImagePipeline } from "../src/image/warmup";

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const inputSize = (manifest.model.input.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);

let lastTensor: Float32Array | null = null;
/** Sessions made by /session (candidate models and session options), by name; "shipped" is the production one. */
const sessions = new Map<string, Promise<Embedder>>();
const embedderFor = (name: string | null): Promise<Embedder> => {
  if (!name || name === "shipped") return getEmbedder();
  const e = sessions.get(name);
  if (!e) throw new Error(`no session ${name}: POST /session first`);
  return e;
};

/** The isolate's memory as far as it can see it: ORT's wasm memory (never shrinks); workerd exposes no JS heap figure without nodejs_compat. */
function memoryReport() {
  const perf = performance as unknown as { memory?: { usedJSHeapSize: number; totalJSHeapSize: number } };
  return {
    wasmMemoryBytes: wasm.memory?.buffer.byteLength ?? null,
    jsHeapUsedBytes: perf.memory?.usedJSHeapSize ?? null,
    jsHeapTotalBytes: perf.memory?.totalJSHeapSize ?? null,
  };
}

/** ORT session options from the query (bench.ts --variant): level, freeDim (batch → 1), memPattern, qdq. */
function sessionOptionsOf(q: URLSearchParams): { options: Partial<InferenceSession.SessionOptions>; disableQuantQdq?: boolean } {
  const options: Partial<InferenceSession.SessionOptions> = {};
  const level = q.get("level");
  if (level) options.graphOptimizationLevel = level as InferenceSession.SessionOptions["graphOptimizationLevel"];
  if (q.get("freeDim") === "1") options.freeDimensionOverrides = { [String(manifest.model.input.shape[0])]: 1 };
  if (q.has("memPattern")) options.enableMemPattern = q.get("memPattern") === "1";
  if (q.has("cpuArena")) options.enableCpuMemArena = q.get("cpuArena") === "1";
  return { options, ...(q.has("qdq") ? { disableQuantQdq: q.get("qdq") === "0" } : {}) };
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/v1/") || url.pathname === "/health") return app.fetch(request, env, ctx);
    try {
      switch (url.pathname) {
        case "/session-levels": {
          // What session creation costs at each ORT graph optimisation level (the worker uses "all"),
          // and what each level's inference then costs: where the cold start could be cut.
          const out: Record<string, { createMs: number; inferMs: number }> = {};
          const tensor = lastTensor ?? new Float32Array(inputSize).fill(0.5);
          // "all" again last: later sessions run on wasm code V8 has tiered up meanwhile, so compare it with both.
          const order = [["all", "all"], ["extended", "extended"], ["basic", "basic"], ["disabled", "disabled"], ["all (again)", "all"]] as const;
          for (const [label, level] of order) {
            out[label] = await withPrecompiledWasm(async (ort) => {
              const c0 = performance.now();
              const session = await ort.InferenceSession.create(new Uint8Array(modelBytes), {
                executionProviders: ["wasm"],
                graphOptimizationLevel: level,
                extra: sessionConfigEntries(manifest),
              });
              const createMs = performance.now() - c0;
              const feeds = { [manifest.model.input.name]: new ort.Tensor("float32", tensor, [1, ...(manifest.model.input.shape.slice(1) as number[])]) };
              await session.run(feeds);
              const runs: number[] = [];
              for (let i = 0; i < 5; i++) {
                const r0 = performance.now();
                await session.run(feeds);
                runs.push(performance.now() - r0);
              }
              await session.release();
              return { createMs, inferMs: runs.sort((a, b) => a - b)[2]! };
            });
          }
          return json(out);
        }
        case "/debug/memory":
          return json(memoryReport());
        case "/cold": {
          // Must be the isolate's first use of ORT and of the decoder: the first verdict in the order the
          // check route runs it (src/routes/photo.ts: decode + preprocess, then the model, then inference).
          // With session options in the query (bench.ts --cold-variant), the embedder is made with them instead.
          if (wasm.instantiateMs !== null) return json({ error: { code: "not_cold", message: "ORT is already loaded" } }, 409);
          const bytes = new Uint8Array(await request.arrayBuffer());
          const warm = Number(url.searchParams.get("warm") ?? 0);
          url.searchParams.delete("warm");
          const warmMs = warm ? warmUpImagePipeline(manifest.preprocessing, warm) : 0;
          const t0 = performance.now();
          const r = imageToTensor(bytes, manifest.preprocessing);
          const t1 = performance.now();
          const { options, disableQuantQdq } = sessionOptionsOf(url.searchParams);
          const embedder = await (url.searchParams.size
            ? createEmbedder(modelBytes, manifest, { sessionOptions: options, ...(disableQuantQdq === undefined ? {} : { disableQuantQdq }) })
            : getEmbedder()); // sha256 check + wasm instantiation + session creation
          const t2 = performance.now();
          await embedder.run(r.tensor);
          const t3 = performance.now();
          await embedder.run(r.tensor);
          const t4 = performance.now();
          const instantiateMs = wasm.instantiateMs ?? 0;
          return json({
            decodeMs: r.timings.decodeMs,
            preprocessMs: r.timings.preprocessMs,
            decodeAndPreprocessMs: t1 - t0,
            instantiateMs,
            sha256Ms: embedder.load?.sha256Ms ?? NaN,
            sessionMs: (embedder.load?.sessionMs ?? NaN) - instantiateMs,
            embedderMs: t2 - t1,
            firstInferenceMs: t3 - t2,
            handlerMs: t3 - t0,
            secondInferenceMs: t4 - t3,
            warmMs,
            memory: memoryReport(),
          });
        }
        case "/noop":
          return json({});
        case "/clock": {
          // Does performance.now() advance during pure compute here, and in what steps? (On deployed Workers
          // it only advances on I/O; locally it does advance: bench.ts prints both figures every run.)
          const p0 = performance.now(), d0 = Date.now();
          let x = 0;
          for (let i = 0; i < 3e7; i++) x = (x + i * 7) % 1000003;
          const perfMs = performance.now() - p0, dateMs = Date.now() - d0;
          let step = Infinity, last = performance.now();
          for (const end = last + 20; last < end; ) {
            const now = performance.now();
            if (now > last) (step = Math.min(step, now - last)), (last = now);
          }
          return json({ perfMs, dateMs, stepMs: step, x });
        }
        case "/session": {
          // A candidate model (the request body) with ORT session options from the query, under ?name=.
          const name = url.searchParams.get("name");
          if (!name || name === "shipped") return json({ error: { code: "bad_name", message: "name required, not 'shipped'" } }, 400);
          const bytes = await request.arrayBuffer();
          const body = bytes.byteLength ? bytes : modelBytes;
          const { options, disableQuantQdq } = sessionOptionsOf(url.searchParams);
          const m = { ...manifest, model: { ...manifest.model, sha256: await sha256Hex(body), bytes: body.byteLength } };
          const t0 = performance.now();
          const e = createEmbedder(body, m, { sessionOptions: options, ...(disableQuantQdq === undefined ? {} : { disableQuantQdq }) });
          sessions.set(name, e);
          const embedder = await e;
          return json({ createMs: performance.now() - t0, load: embedder.load });
        }
        case "/infer": {
          // n inferences on the last decoded tensor, timed together (the clock's 1 ms steps average out).
          const embedder = await embedderFor(url.searchParams.get("session"));
          const n = Math.max(1, Number(url.searchParams.get("n") ?? 1));
          const tensor = lastTensor ?? new Float32Array(inputSize);
          const t0 = performance.now();
          for (let i = 0; i < n; i++) await embedder.run(tensor);
          return json({ inferenceMs: (performance.now() - t0) / n });
        }
        case "/e2e": {
          // One verdict's model work, each stage timed inside; the caller times the request from outside.
          const embedder = await embedderFor(url.searchParams.get("session"));
          const bytes = new Uint8Array(await request.arrayBuffer());
          const t0 = performance.now();
          const r = imageToTensor(bytes, manifest.preprocessing);
          const t1 = performance.now();
          const outputs = await embedder.run(r.tensor);
          const t2 = performance.now();
          lastTensor = r.tensor;
          return json({
            decodeMs: r.timings.decodeMs,
            preprocessMs: r.timings.preprocessMs,
            inferenceMs: t2 - t1,
            handlerMs: t2 - t0,
            dims: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.length])),
            info: r.info,
          });
        }
        case "/decode-jpegjs": {
          // The "before": jpeg-js 0.4.4 as published, full size, RGB.
          const bytes = new Uint8Array(await request.arrayBuffer());
          const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
          return json({ width: img.width, height: img.height });
        }
        default:
          return json({ error: { code: "not_found", message: url.pathname } }, 404);
      }
    } catch (err) {
      return json({ error: { code: "bench_error", message: err instanceof Error ? err.message : String(err) } }, 500);
    }
  },
} satisfies ExportedHandler<Env>;
