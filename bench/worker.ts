// Bench-only worker (never deployed): exposes the image and model stages separately so bench.ts can time
// each inside workerd from the outside. Everything it runs is the production code in src/; /v1/* and
// /health are the production app itself, with a debug-only memory report beside it.
import { wasm } from "./instrument"; // first: it wraps WebAssembly.instantiate before ORT captures it
import jpeg from "jpeg-js";
import { imageToTensor } from "../src/image";
import { getEmbedder, manifest, modelBytes } from "../src/model/bundled";
import { type Embedder, createEmbedder } from "../src/model/session";
import { sha256Hex } from "../src/model/sha256";
import { withPrecompiledWasm } from "../src/model/ort-wasm";
import { sessionConfigEntries } from "../src/model/manifest";
import { app } from "../src/index";

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

let lastTensor: Float32Array | null = null;
// The same model with ORT's QDQ fusion left on (src/model turns it off): an option to compare, not used in production.
let fused: Promise<Embedder> | undefined;

/** The isolate's memory as far as it can see it: ORT's wasm memory (never shrinks); workerd exposes no JS heap figure without nodejs_compat. */
function memoryReport() {
  const perf = performance as unknown as { memory?: { usedJSHeapSize: number; totalJSHeapSize: number } };
  return {
    wasmMemoryBytes: wasm.memory?.buffer.byteLength ?? null,
    jsHeapUsedBytes: perf.memory?.usedJSHeapSize ?? null,
    jsHeapTotalBytes: perf.memory?.totalJSHeapSize ?? null,
  };
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
          const tensor = lastTensor ?? new Float32Array((manifest.model.input.shape.slice(1) as number[]).reduce((a, b) => a * b, 1)).fill(0.5);
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
          // Must be the isolate's first use of ORT: the first verdict, split into its stages.
          if (wasm.instantiateMs !== null) return json({ error: { code: "not_cold", message: "ORT is already loaded" } }, 409);
          const bytes = new Uint8Array(await request.arrayBuffer());
          const t0 = performance.now();
          const embedder = await getEmbedder(); // sha256 check + wasm instantiation + session creation
          const t1 = performance.now();
          const r = imageToTensor(bytes, manifest.preprocessing);
          const t2 = performance.now();
          await embedder.embed(r.tensor);
          const t3 = performance.now();
          await embedder.embed(r.tensor);
          const t4 = performance.now();
          const h0 = performance.now();
          await sha256Hex(modelBytes);
          const shaMs = performance.now() - h0;
          return json({
            instantiateMs: wasm.instantiateMs,
            sha256Ms: shaMs,
            sessionMs: t1 - t0 - (wasm.instantiateMs ?? 0) - shaMs,
            embedderMs: t1 - t0,
            decodeAndPreprocessMs: t2 - t1,
            firstInferenceMs: t3 - t2,
            secondInferenceMs: t4 - t3,
            memory: memoryReport(),
          });
        }
        case "/noop":
          return json({});
        case "/clock": {
          // Does performance.now() advance during pure compute in this runtime?
          const p0 = performance.now(), d0 = Date.now();
          let x = 0;
          for (let i = 0; i < 3e7; i++) x = (x + i * 7) % 1000003;
          return json({ perfMs: performance.now() - p0, dateMs: Date.now() - d0, x });
        }
        case "/decode": {
          const bytes = new Uint8Array(await request.arrayBuffer());
          const r = imageToTensor(bytes, manifest.preprocessing);
          lastTensor = r.tensor;
          return json({ info: r.info, timings: r.timings });
        }
        case "/decode-jpegjs": {
          // The "before": jpeg-js 0.4.4 as published, full size, RGB.
          const bytes = new Uint8Array(await request.arrayBuffer());
          const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
          return json({ width: img.width, height: img.height });
        }
        case "/infer": {
          const embedder = await (url.searchParams.has("fused") ? (fused ??= createEmbedder(modelBytes, manifest, { disableQuantQdq: false })) : getEmbedder());
          const tensor = lastTensor ?? new Float32Array((manifest.model.input.shape.slice(1) as number[]).reduce((a, b) => a * b, 1));
          const e = await embedder.embed(tensor);
          return json({ dim: e.length });
        }
        case "/e2e": {
          const bytes = new Uint8Array(await request.arrayBuffer());
          const embedder = await getEmbedder();
          const r = imageToTensor(bytes, manifest.preprocessing);
          const e = await embedder.embed(r.tensor);
          return json({ dim: e.length, info: r.info });
        }
        default:
          return json({ error: { code: "not_found", message: url.pathname } }, 404);
      }
    } catch (err) {
      return json({ error: { code: "bench_error", message: err instanceof Error ? err.message : String(err) } }, 500);
    }
  },
} satisfies ExportedHandler<Env>;
