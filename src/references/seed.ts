import type { ReferenceStore, VersionSummary } from "./store";
import type { Reference } from "./schema";
import type { Pointer } from "./cache";

export type SeedResult =
  | { status: "unchanged"; current: Pointer }
  | { status: "created"; version: VersionSummary; current: Pointer; previous: Pointer | null };

/**
 * Makes `reference` its profile's current version unless the current one already has the same content:
 * running it again is a no-op, and a changed file (e.g. a new model's reference) becomes a new version.
 * Pure over a ReferenceStore, so `npm start`, the CLI and tests share it.
 */
export async function ensureCurrentReference(store: ReferenceStore, reference: Reference): Promise<SeedResult> {
  const previous = await store.getPointer(reference.profile, { fresh: true });
  if (previous) {
    const stored = await store.getVersion(reference.profile, previous.version);
    if (stored && JSON.stringify(stored.reference) === JSON.stringify(reference)) {
      return { status: "unchanged", current: previous };
    }
  }
  const { version, current } = await store.create(reference, { activate: true });
  return { status: "created", version, current: current!, previous };
}
