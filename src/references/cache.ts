import type { StoredReference } from "./store";

export interface Pointer {
  version: string;
  activatedAt: string;
}

/**
 * What one isolate remembers between requests. Versions are immutable, so they are kept (a few, least
 * recently used first out); the current pointer can change, so it is kept only for `pointerTtlMs`.
 */
export class IsolateCache {
  private readonly versions = new Map<string, StoredReference>();
  private readonly pointers = new Map<string, { pointer: Pointer | null; expires: number }>();

  constructor(
    readonly maxVersions = 16,
    readonly pointerTtlMs = 10_000,
  ) {}

  getVersion(key: string): StoredReference | undefined {
    const hit = this.versions.get(key);
    if (hit) {
      this.versions.delete(key);
      this.versions.set(key, hit);
    }
    return hit;
  }

  setVersion(key: string, value: StoredReference): void {
    this.versions.delete(key);
    this.versions.set(key, value);
    while (this.versions.size > this.maxVersions) {
      const oldest = this.versions.keys().next().value as string;
      this.versions.delete(oldest);
    }
  }

  getPointer(profile: string, now: number): Pointer | null | undefined {
    const hit = this.pointers.get(profile);
    if (!hit) return undefined;
    if (hit.expires <= now) {
      this.pointers.delete(profile);
      return undefined;
    }
    return hit.pointer;
  }

  setPointer(profile: string, pointer: Pointer | null, now: number): void {
    this.pointers.set(profile, { pointer, expires: now + this.pointerTtlMs });
  }

  clear(): void {
    this.versions.clear();
    this.pointers.clear();
  }
}

/** The cache shared by every request this isolate serves. */
export const isolateCache = new IsolateCache();
