import { ApiError } from "../errors";
import { IsolateCache, type Pointer } from "./cache";
import { currentKey, newVersionId, PROFILE_PREFIX, profileKey, versionKey, versionPrefix } from "./keys";
import { ReferenceSchema, type Reference } from "./schema";

/** The model a reference was made with: its sha256, and the output (and its dimension) it scores in. */
export interface ModelIdentity {
  id: string;
  sha256: string;
  dimension: number;
  /** Model output the vectors live in; absent = the primary output (`embedding`). */
  output?: string;
}

/** The model a worker runs: the primary output's dimension, plus every output's (name -> dimension). */
export interface WorkerModel extends ModelIdentity {
  outputs?: Record<string, number>;
}

/** Whether a reference made with `m` can be scored by a worker running `model`. */
export function compatible(model: WorkerModel, m: ModelIdentity): boolean {
  const dims = model.outputs ?? { [model.output ?? "embedding"]: model.dimension };
  const dim = m.output === undefined ? model.dimension : dims[m.output];
  return m.sha256 === model.sha256 && dim === m.dimension;
}

/** Small summary kept as KV metadata on each version key (KV caps metadata at 1024 bytes). */
export interface VersionMetadata {
  storedAt: string;
  createdAt: string;
  displayName: string;
  model: ModelIdentity;
  threshold: number;
}

export interface VersionSummary extends VersionMetadata {
  version: string;
}

export interface StoredReference {
  version: string;
  storedAt: string;
  reference: Reference;
}

export interface ProfileSummary {
  profile: string;
  displayName: string;
  current: Pointer | null;
}

export interface ReferenceStoreOptions {
  kv: KVNamespace;
  model: WorkerModel;
  cache?: IsolateCache;
  now?: () => Date;
}

export type ReferenceStore = ReturnType<typeof createReferenceStore>;

/** What a client is told to wait after the store failed (KV outages are short; the isolate cache also rides them out). */
export const STORE_RETRY_AFTER_SECONDS = 10;

/**
 * Runs one KV operation; a failure of KV itself (the binding throws or rejects: an outage, a limit) is
 * a 503 `reference_store_unavailable` with `Retry-After`, never a 500 — the client did nothing wrong and
 * can simply retry.
 */
async function kvCall<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(
      503,
      "reference_store_unavailable",
      `The reference store could not be ${what} just now; retry in ${STORE_RETRY_AFTER_SECONDS} s.`,
      { retryAfterSeconds: STORE_RETRY_AFTER_SECONDS },
      { "Retry-After": String(STORE_RETRY_AFTER_SECONDS) },
    );
  }
}

/**
 * Versioned references in Workers KV. KV has no compare-and-swap, so nothing here reads-modifies-writes
 * a shared key: every upload writes a fresh, never-reused version key (two concurrent uploads both
 * survive), and activation overwrites only the small per-profile pointer (last writer wins).
 */
export function createReferenceStore({ kv, model, cache = new IsolateCache(), now = () => new Date() }: ReferenceStoreOptions) {
  const sameModel = (m: ModelIdentity) => compatible(model, m);
  const outputs = (m: WorkerModel) =>
    Object.entries(m.outputs ?? { embedding: m.dimension }).map(([k, v]) => `${k} ${v}`).join(", ");
  const mismatch = (m: ModelIdentity) =>
    `it was made with model ${m.id} (sha256 ${m.sha256.slice(0, 12)}…, output ${m.output ?? "embedding"}, dimension ${m.dimension}) ` +
    `but this worker runs ${model.id} (sha256 ${model.sha256.slice(0, 12)}…, outputs ${outputs(model)}); enroll it again with this model`;

  async function listKeys<M>(prefix: string): Promise<KVNamespaceListKey<M>[]> {
    const keys: KVNamespaceListKey<M>[] = [];
    let cursor: string | undefined;
    do {
      const page: KVNamespaceListResult<M> = await kvCall("read", () => kv.list<M>({ prefix, ...(cursor ? { cursor } : {}) }));
      keys.push(...page.keys);
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
    return keys;
  }

  async function getPointer(profile: string, { fresh = false } = {}): Promise<Pointer | null> {
    const t = now().getTime();
    if (!fresh) {
      const hit = cache.getPointer(profile, t);
      if (hit !== undefined) return hit;
    }
    const pointer = await kvCall("read", () => kv.get<Pointer>(currentKey(profile), "json"));
    cache.setPointer(profile, pointer, t);
    return pointer;
  }

  async function getVersion(profile: string, version: string): Promise<StoredReference | null> {
    const key = versionKey(profile, version);
    const hit = cache.getVersion(key);
    if (hit) return hit;
    const { value, metadata } = await kvCall("read", () => kv.getWithMetadata<unknown, VersionMetadata>(key, "json"));
    if (value === null) return null;
    // What we wrote was validated; parsing again guards against hand-edited KV.
    const reference = ReferenceSchema.parse(value);
    const stored = { version, storedAt: metadata?.storedAt ?? reference.createdAt, reference };
    cache.setVersion(key, stored);
    return stored;
  }

  async function profileExists(profile: string): Promise<boolean> {
    return (await kvCall("read", () => kv.get(profileKey(profile)))) !== null;
  }

  return {
    model,

    async listProfiles(): Promise<ProfileSummary[]> {
      const keys = await listKeys<{ displayName: string }>(PROFILE_PREFIX);
      return Promise.all(
        keys.map(async (k) => {
          const profile = k.name.slice(PROFILE_PREFIX.length);
          return { profile, displayName: k.metadata?.displayName ?? profile, current: await getPointer(profile) };
        }),
      );
    },

    profileExists,
    getPointer,
    getVersion,

    /** All versions of a profile, oldest first (ids sort chronologically). */
    async listVersions(profile: string): Promise<VersionSummary[]> {
      const prefix = versionPrefix(profile);
      const keys = await listKeys<VersionMetadata>(prefix);
      return keys
        .filter((k): k is KVNamespaceListKey<VersionMetadata> & { metadata: VersionMetadata } => k.metadata !== undefined)
        .map((k) => ({ version: k.name.slice(prefix.length), ...k.metadata }));
    },

    /**
     * The reference a check uses: the pinned `version`, else the profile's current one.
     * 404 unknown profile/version; 503 nothing active yet or the active one was made for another model;
     * 409 a pinned version made for another model.
     */
    async resolve(profile: string, version: string | undefined, { knownProfile = false } = {}): Promise<StoredReference> {
      if (version !== undefined) {
        const stored = await getVersion(profile, version);
        if (!stored) throw new ApiError(404, "version_not_found", `Profile '${profile}' has no reference version '${version}'.`);
        if (!sameModel(stored.reference.model)) {
          throw new ApiError(409, "model_mismatch", `Reference ${profile}@${version} cannot be used: ${mismatch(stored.reference.model)}.`);
        }
        return stored;
      }
      const pointer = await getPointer(profile);
      if (!pointer) {
        if (knownProfile || (await profileExists(profile))) {
          throw new ApiError(503, "no_reference", `Profile '${profile}' has no active reference yet; an admin must upload and activate one.`);
        }
        throw new ApiError(404, "profile_not_found", `Unknown profile '${profile}'.`);
      }
      const stored = await getVersion(profile, pointer.version);
      if (!stored) {
        throw new ApiError(503, "no_reference", `The active reference of '${profile}' (${pointer.version}) is not readable yet; retry in a minute.`);
      }
      if (!sameModel(stored.reference.model)) {
        throw new ApiError(503, "reference_model_mismatch", `The active reference of '${profile}' cannot be used: ${mismatch(stored.reference.model)}.`);
      }
      return stored;
    },

    /** Stores `reference` as a new immutable version (refused with 409 if made for another model). */
    async create(reference: Reference, { activate = false } = {}): Promise<{ version: VersionSummary; current: Pointer | null }> {
      if (!sameModel(reference.model)) {
        throw new ApiError(409, "model_mismatch", `Reference refused: ${mismatch(reference.model)}.`);
      }
      const date = now();
      const version = newVersionId(date);
      const metadata: VersionMetadata = {
        storedAt: date.toISOString(),
        createdAt: reference.createdAt,
        displayName: reference.displayName,
        model: {
          id: reference.model.id,
          sha256: reference.model.sha256,
          dimension: reference.model.dimension,
          ...(reference.model.output === undefined ? {} : { output: reference.model.output }),
        },
        threshold: reference.threshold.value,
      };
      const { profile } = reference;
      await kvCall("written", () => kv.put(versionKey(profile, version), JSON.stringify(reference), { metadata }));
      await kvCall("written", () => kv.put(profileKey(profile), profile, { metadata: { displayName: reference.displayName } }));
      cache.setVersion(versionKey(profile, version), { version, storedAt: metadata.storedAt, reference });
      const current = activate ? await writePointer(profile, version) : null;
      return { version: { version, ...metadata }, current };
    },

    /** Makes `version` current (activation and roll back are the same operation). */
    async activate(profile: string, version: string): Promise<Pointer> {
      const stored = await getVersion(profile, version);
      if (!stored) {
        if (!(await profileExists(profile))) throw new ApiError(404, "profile_not_found", `Unknown profile '${profile}'.`);
        throw new ApiError(404, "version_not_found", `Profile '${profile}' has no reference version '${version}'.`);
      }
      if (!sameModel(stored.reference.model)) {
        throw new ApiError(409, "model_mismatch", `Version ${version} cannot be activated: ${mismatch(stored.reference.model)}.`);
      }
      return writePointer(profile, version);
    },
  };

  async function writePointer(profile: string, version: string): Promise<Pointer> {
    const date = now();
    const pointer: Pointer = { version, activatedAt: date.toISOString() };
    await kvCall("written", () => kv.put(currentKey(profile), JSON.stringify(pointer)));
    // This isolate sees its own activation at once; others within KV's propagation delay (≈ 60 s).
    cache.setPointer(profile, pointer, date.getTime());
    return pointer;
  }
}
