import { createApp } from "./app";
import { getEmbedder, manifest } from "./model/bundled";
import { isolateCache } from "./references/cache";

/** The deployed worker: the app with the bundled model and this isolate's reference cache. */
export const app = createApp({ manifest, getEmbedder, referenceCache: isolateCache, now: () => new Date() });

export default app satisfies ExportedHandler<Env>;
