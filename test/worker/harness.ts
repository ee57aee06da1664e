import { env } from "cloudflare:workers";
import { createApp, type App } from "../../src/app";
import { getEmbedder, manifest } from "../../src/model/bundled";
import { IsolateCache } from "../../src/references/cache";
import { ReferenceSchema, type Reference } from "../../src/references/schema";
import riceJson from "../../models/references/rice.json";

export { fixture } from "../../src/image/fixtures";
export { manifest };

export const ADMIN_TOKEN = "test-admin-token-7d1f0c2e9b";

/**
 * A fresh app over the real KV binding and the bundled model. The embedder (the slow part) is the
 * per-isolate one, so every test file shares one loaded session; each app gets its own reference cache.
 * Storage is shared across test files too (isolate: false), so tests use `uniqueProfile()`.
 */
export function makeApp(): App {
  return createApp({ manifest, getEmbedder, referenceCache: new IsolateCache(), now: () => new Date() });
}

export type TestEnv = Partial<Env>;

/**
 * `app.request` with the test bindings: a known ADMIN_TOKEN, no API keys and rate limiting off unless
 * overridden (the limiter bindings are real and shared by all test files, so only the tests of limiting
 * turn it on, each with its own client).
 */
export function call(app: App, path: string, init: RequestInit = {}, overrides: TestEnv = {}): Promise<Response> {
  return Promise.resolve(app.request(path, init, { ...env, ADMIN_TOKEN, API_KEYS: "", RATE_LIMIT: "off", ...overrides }));
}

export function uniqueProfile(prefix = "t"): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** The committed rice reference (whatever model is bundled), re-profiled when asked. */
export function riceReference(changes: Partial<Reference> = {}): Reference {
  return ReferenceSchema.parse({ ...riceJson, ...changes });
}

/**
 * The rice reference's threshold moved to `value`, with the uncertain band's lower end at `lower` (default: no band),
 * so a test can make every photo pass (-1) or fail (1) whatever band the shipped reference has.
 */
export function thresholdAt(value: number, lower = value): Reference["threshold"] {
  return { ...riceReference().threshold, value, lower };
}

export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` } as const;

/** Uploads `reference` through the admin API and returns the new version id. */
export async function upload(app: App, reference: Reference, { activate = true } = {}): Promise<string> {
  const res = await call(app, `/v1/profiles/${reference.profile}/versions?activate=${activate}`, {
    method: "POST",
    headers: { ...admin, "content-type": "application/json" },
    body: JSON.stringify(reference),
  });
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { version: { version: string } }).version.version;
}

export function jpeg(bytes: Uint8Array): RequestInit {
  return { method: "POST", headers: { "content-type": "image/jpeg" }, body: bytes };
}

export async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, code: body.error.code, message: body.error.message };
}
