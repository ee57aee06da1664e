// Bench-only worker (never deployed): exposes the image and model stages separately so bench.ts can time
// each inside workerd from the outside. Everything it runs is the production code in src/.
import jpeg from "jpeg-js";
import { imageToTensor } from "../src/image";
import { getEmbedder, manifest, modelBytes } from "../src/model/bundled";
import { type Embedder, createEmbedder } from "../src/model/session";

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

let lastTensor: Float32Array | null = null;
// The same model with ORT's QDQ fusion left on (src/model turns it off): an option to compare, not used in production.
let fused: Promise<Embedder> | undefined;

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    try {
      switch (url.pathname) {
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
          const tensor = lastTensor ?? new Float32Array(3 * 128 * 128);
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
} satisfies ExportedHandler;
