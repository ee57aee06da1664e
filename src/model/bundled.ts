import modelBytes from "../../models/cropgate-embedder-int8.onnx";
import manifestJson from "../../models/manifest.json";
import { ManifestSchema, type Manifest } from "./manifest";
import { createEmbedder, type Embedder } from "./session";

/** The manifest shipped in the bundle, validated at module load (a bad one is a build bug). */
export const manifest: Manifest = ManifestSchema.parse(manifestJson);

let embedder: Promise<Embedder> | undefined;

/**
 * The bundled model's embedder, created once per isolate on first use (≈ the wasm instantiation plus
 * session creation) and shared by every request after that. A failed load is not cached, so a later
 * request retries and reports the same failure instead of a stale rejected promise.
 */
export function getEmbedder(): Promise<Embedder> {
  embedder ??= createEmbedder(modelBytes, manifest).catch((err: unknown) => {
    embedder = undefined;
    throw err;
  });
  return embedder;
}

export { modelBytes };
