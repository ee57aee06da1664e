import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ApiError } from "../errors";
import { riceReference, uniqueProfile } from "../../test/worker/harness";
import { IsolateCache } from "./cache";
import { newVersionId } from "./keys";
import { ReferenceSchema, VersionSchema } from "./schema";
import { ensureCurrentReference } from "./seed";
import { compatible, createReferenceStore } from "./store";

const rice = riceReference();
const model = { id: rice.model.id, sha256: rice.model.sha256, dimension: rice.model.dimension };
const store = (cache = new IsolateCache(), now = () => new Date()) => createReferenceStore({ kv: env.REFERENCES, model, cache, now });

async function apiError(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe("compatible", () => {
  const worker = { id: "m", sha256: "a".repeat(64), dimension: 512, outputs: { embedding: 512, features: 1280 } };
  it("matches a reference to the model output it names, and the primary output when it names none", () => {
    expect(compatible(worker, { id: "m", sha256: "a".repeat(64), dimension: 512 })).toBe(true);
    expect(compatible(worker, { id: "m", sha256: "a".repeat(64), dimension: 1280, output: "features" })).toBe(true);
    expect(compatible(worker, { id: "m", sha256: "a".repeat(64), dimension: 1280 })).toBe(false); // primary is 512-d
    expect(compatible(worker, { id: "m", sha256: "a".repeat(64), dimension: 512, output: "features" })).toBe(false);
    expect(compatible(worker, { id: "m", sha256: "a".repeat(64), dimension: 512, output: "logits" })).toBe(false);
    expect(compatible(worker, { id: "m", sha256: "b".repeat(64), dimension: 512 })).toBe(false);
  });
  it("treats a worker without an outputs list as having only its primary output", () => {
    const old = { id: "m", sha256: "a".repeat(64), dimension: 512 };
    expect(compatible(old, { id: "m", sha256: "a".repeat(64), dimension: 512, output: "embedding" })).toBe(true);
    expect(compatible(old, { id: "m", sha256: "a".repeat(64), dimension: 1280, output: "features" })).toBe(false);
  });
});

describe("version ids", () => {
  it("sort chronologically, carry randomness and match the schema", () => {
    const a = newVersionId(new Date("2026-11-27T19:30:00.123Z"), new Uint8Array([1, 2, 3, 4, 5, 6]));
    expect(a).toBe("20261127T193000123Z-010203040506");
    expect(VersionSchema.safeParse(a).success).toBe(true);
    const b = newVersionId(new Date("2026-11-27T19:30:00.124Z"));
    expect(a < b).toBe(true);
    expect(newVersionId(new Date(0))).not.toBe(newVersionId(new Date(0)));
  });
});

describe("reference store in KV", () => {
  it("creates immutable versions, activates, pins and rolls back", async () => {
    const s = store();
    const profile = uniqueProfile();
    const first = await s.create({ ...rice, profile }, { activate: true });
    const second = await s.create({ ...rice, profile, threshold: { ...rice.threshold, value: 0.3, lower: 0.3 } });
    expect(first.current?.version).toBe(first.version.version);
    expect(second.current).toBeNull(); // not activated
    expect((await s.resolve(profile, undefined)).version).toBe(first.version.version);
    // pinning
    expect((await s.resolve(profile, second.version.version)).reference.threshold.value).toBe(0.3);
    // activate, then roll back
    await s.activate(profile, second.version.version);
    expect((await s.resolve(profile, undefined)).version).toBe(second.version.version);
    await s.activate(profile, first.version.version);
    expect((await s.resolve(profile, undefined)).version).toBe(first.version.version);
    expect((await s.listVersions(profile)).map((v) => v.version)).toEqual([first.version.version, second.version.version]);
  });

  it("keeps both of two concurrent uploads (no counter, no read-modify-write)", async () => {
    const profile = uniqueProfile();
    const sameInstant = () => new Date("2026-11-27T20:00:00.000Z");
    const [a, b] = await Promise.all([
      store(new IsolateCache(), sameInstant).create({ ...rice, profile }, { activate: true }),
      store(new IsolateCache(), sameInstant).create({ ...rice, profile }, { activate: true }),
    ]);
    expect(a.version.version).not.toBe(b.version.version);
    const versions = (await store().listVersions(profile)).map((v) => v.version).sort();
    expect(versions).toEqual([a.version.version, b.version.version].sort());
    // one of them won the pointer
    expect([a.version.version, b.version.version]).toContain((await store().getPointer(profile))?.version);
  });

  it("refuses references made for another model or dimension, on upload and on activation", async () => {
    const s = store();
    const profile = uniqueProfile();
    const other = { ...rice, profile, model: { ...rice.model, sha256: "0".repeat(64) } };
    const err = await apiError(s.create(other));
    expect(err.status).toBe(409);
    expect(err.code).toBe("model_mismatch");
    expect(await s.listVersions(profile)).toEqual([]);
    const dim = await apiError(s.create({ ...rice, profile, model: { ...rice.model, dimension: 256 } }));
    expect(dim.code).toBe("model_mismatch");

    // A version stored by a worker that ran another model (written with that worker's store)...
    const oldWorker = createReferenceStore({ kv: env.REFERENCES, model: { ...model, sha256: "0".repeat(64) } });
    const old = await oldWorker.create(other, { activate: true });
    // ...cannot be activated, pinned or used as current by this one.
    expect((await apiError(s.activate(profile, old.version.version))).status).toBe(409);
    expect((await apiError(s.resolve(profile, old.version.version))).status).toBe(409);
    const current = await apiError(s.resolve(profile, undefined));
    expect([current.status, current.code]).toEqual([503, "reference_model_mismatch"]);
  });

  it("answers 404 for an unknown profile or version and 503 for a profile without an active version", async () => {
    const s = store();
    const unknown = uniqueProfile();
    expect((await apiError(s.resolve(unknown, undefined))).code).toBe("profile_not_found");
    expect((await apiError(s.resolve(unknown, undefined, { knownProfile: true }))).status).toBe(503);
    const profile = uniqueProfile();
    const { version } = await s.create({ ...rice, profile });
    const inactive = await apiError(s.resolve(profile, undefined));
    expect([inactive.status, inactive.code]).toEqual([503, "no_reference"]);
    expect((await apiError(s.resolve(profile, "20991231T000000000Z-000000000000"))).code).toBe("version_not_found");
    expect((await apiError(s.activate(unknown, version.version))).code).toBe("profile_not_found");
  });

  it("caches the pointer in the isolate for its TTL and sees its own activations at once", async () => {
    let t = Date.parse("2026-11-27T20:00:00Z");
    const cache = new IsolateCache(16, 10_000);
    const reader = store(cache, () => new Date(t));
    const writer = store(); // another isolate
    const profile = uniqueProfile();
    const a = await writer.create({ ...rice, profile }, { activate: true });
    const b = await writer.create({ ...rice, profile });
    expect((await reader.resolve(profile, undefined)).version).toBe(a.version.version);
    await writer.activate(profile, b.version.version);
    // Within the TTL this isolate still serves its cached pointer...
    t += 5_000;
    expect((await reader.resolve(profile, undefined)).version).toBe(a.version.version);
    // ...after it, the new one.
    t += 6_000;
    expect((await reader.resolve(profile, undefined)).version).toBe(b.version.version);
    // Its own activation is visible immediately.
    await reader.activate(profile, a.version.version);
    expect((await reader.resolve(profile, undefined)).version).toBe(a.version.version);
  });

  it("seeding is idempotent and a changed reference becomes a new current version", async () => {
    const s = store();
    const profile = uniqueProfile();
    const first = await ensureCurrentReference(s, { ...rice, profile });
    expect(first.status).toBe("created");
    const again = await ensureCurrentReference(s, { ...rice, profile });
    expect(again).toEqual({ status: "unchanged", current: first.current });
    const changed = await ensureCurrentReference(s, { ...rice, profile, createdAt: "2026-11-27T21:00:00.000Z" });
    expect(changed.status).toBe("created");
    expect((await s.listVersions(profile)).length).toBe(2);
  });

  it("keeps fields the pipeline adds to the calibration blocks", async () => {
    const s = store();
    const profile = uniqueProfile();
    const extended = ReferenceSchema.parse({
      ...rice,
      profile,
      calibration: { ...rice.calibration, thresholdStability: { resamples: 2000 } },
      threshold: { ...rice.threshold, bootstrap: true },
    });
    const { version } = await s.create(extended);
    const read = await store().getVersion(profile, version.version);
    expect(read?.reference.calibration).toMatchObject({ thresholdStability: { resamples: 2000 } });
    expect(read?.reference.threshold).toMatchObject({ bootstrap: true });
  });

  it("lists profiles with their display name and current pointer", async () => {
    const s = store();
    const profile = uniqueProfile();
    const { version } = await s.create({ ...rice, profile, displayName: "test leaf" }, { activate: true });
    const listed = (await s.listProfiles()).find((p) => p.profile === profile);
    expect(listed).toMatchObject({ displayName: "test leaf", current: { version: version.version } });
  });
});
