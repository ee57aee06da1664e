import { readFile } from "node:fs/promises";
import { getPlatformProxy } from "wrangler";
import { ManifestSchema, embeddingDimension } from "../src/model/manifest";
import { ReferenceSchema } from "../src/references/schema";
import { ensureCurrentReference, type SeedResult } from "../src/references/seed";
import { createReferenceStore, type ReferenceStore } from "../src/references/store";

/**
 * The local KV that `wrangler dev` uses (.wrangler/state), opened from Node through wrangler's own
 * getPlatformProxy, wrapped in the same ReferenceStore the worker runs. Call `dispose` when done.
 */
export async function openLocalStore({
  configPath = "wrangler.toml",
  manifestPath = "models/manifest.json",
  /** Where the local state lives; default: wrangler dev's own (.wrangler/state next to the config). */
  persistPath = undefined as string | undefined,
} = {}): Promise<{ store: ReferenceStore; dispose: () => Promise<void> }> {
  const manifest = ManifestSchema.parse(JSON.parse(await readFile(manifestPath, "utf8")));
  const proxy = await getPlatformProxy<{ REFERENCES: KVNamespace }>({ configPath, persist: persistPath ? { path: persistPath } : true, envFiles: [] });
  const model = { id: manifest.model.id, sha256: manifest.model.sha256, dimension: embeddingDimension(manifest) };
  return { store: createReferenceStore({ kv: proxy.env.REFERENCES, model }), dispose: () => proxy.dispose() };
}

/** Seeds `referencePath` into the local KV as its profile's current version, idempotently. */
export async function seedLocalReference(referencePath: string, options: Parameters<typeof openLocalStore>[0] = {}): Promise<SeedResult> {
  const reference = ReferenceSchema.parse(JSON.parse(await readFile(referencePath, "utf8")));
  const { store, dispose } = await openLocalStore(options);
  try {
    return await ensureCurrentReference(store, reference);
  } finally {
    await dispose();
  }
}
