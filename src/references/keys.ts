/**
 * KV layout (one namespace, binding REFERENCES). Profile names cannot contain ':' so prefixes never
 * collide.
 *   profile:<profile>               marker, written with every version (lists profiles)
 *   ref:<profile>:<version>         one immutable reference version (value: reference JSON)
 *   current:<profile>               pointer {version, activatedAt} naming the active version
 */
export const profileKey = (profile: string) => `profile:${profile}`;
export const PROFILE_PREFIX = "profile:";
export const versionKey = (profile: string, version: string) => `ref:${profile}:${version}`;
export const versionPrefix = (profile: string) => `ref:${profile}:`;
export const currentKey = (profile: string) => `current:${profile}`;

/** A new version id: UTC time to the millisecond (sorts chronologically) + 48 random bits. */
export function newVersionId(now: Date, random: Uint8Array = crypto.getRandomValues(new Uint8Array(6))): string {
  const stamp = now.toISOString().replace(/[-:.]/g, ""); // 20261127T193000123Z
  const hex = [...random].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${stamp}-${hex}`;
}
