import { fileURLToPath } from "node:url";
import { getPlatformProxy } from "wrangler";
import { type Manifest, outputDimensions } from "../model/manifest";
import type { Reference } from "../references/schema";
import { ensureCurrentReference } from "../references/seed";
import { createReferenceStore } from "../references/store";
import { CliError, ExitCode } from "./cli-error";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Where `npm start` (wrangler dev, run from the repository root) keeps its local KV. wrangler resolves
 * `.wrangler/state` against the working directory, so pin it to the repository whatever the CLI's cwd;
 * CROPGATE_WRANGLER_STATE points elsewhere (tests use a temporary folder).
 */
export const localStatePath = () => process.env.CROPGATE_WRANGLER_STATE ?? `${REPO}.wrangler/state/v3`;

/**
 * Stores the reference in the local KV through the worker's own ReferenceStore and seeding function
 * (src/references), and makes it the profile's current version; storing the same content again is a
 * no-op. Returns the version id.
 */
export async function storeLocally(reference: Reference, manifest: Manifest): Promise<{ version: string; created: boolean }> {
  // wrangler logs "Using secrets defined in .dev.vars" on stdout, which would break `--json` output.
  const logLevel = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG ??= "warn";
  let proxy;
  try {
    proxy = await getPlatformProxy<{ REFERENCES: KVNamespace }>({
      configPath: `${REPO}wrangler.toml`,
      persist: { path: localStatePath() },
      envFiles: [],
    });
  } catch (err) {
    throw new CliError(ExitCode.Failure, `cannot open the local KV (${localStatePath()}): ${(err as Error).message}`);
  } finally {
    if (logLevel === undefined) delete process.env.WRANGLER_LOG;
  }
  try {
    const model = {
      id: manifest.model.id,
      sha256: manifest.model.sha256,
      dimension: manifest.model.output.shape[1],
      outputs: outputDimensions(manifest),
    };
    const store = createReferenceStore({ kv: proxy.env.REFERENCES, model });
    const result = await ensureCurrentReference(store, reference);
    return result.status === "unchanged"
      ? { version: result.current.version, created: false }
      : { version: result.version.version, created: true };
  } finally {
    await proxy.dispose();
  }
}
