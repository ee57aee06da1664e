import { env } from "cloudflare:workers";
import { createApp } from "./app";
import { warmUpImagePipeline } from "./image/warmup";
import { getEmbedder, manifest } from "./model/bundled";
import { isolateCache } from "./references/cache";

/** The deployed worker: the app with the bundled model and this isolate's reference cache. */
export const app = createApp({ manifest, getEmbedder, referenceCache: isolateCache, now: () => new Date() });

// At module scope, within the startup budget (docs/benchmarks.md): the image pipeline's code runs once on a
// tiny JPEG so that the isolate's first photo is not decoded by cold code. (ORT's session cannot start here:
// its initialisation waits on the event loop.) WARMUP = "off" exists only for benchmarks to compare.
if ((env as unknown as Record<string, unknown>).WARMUP !== "off") warmUpImagePipeline(manifest.preprocessing);

export default app satisfies ExportedHandler<Env>;
