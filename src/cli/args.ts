import { basename } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { PROFILE_PATTERN } from "../references/schema";
import { usageError } from "./cli-error";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util parseArgs in strict mode, with its errors turned into usage errors (exit 2, one line). */
export function parse<O extends Options>(argv: readonly string[], options: O, usage: string) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError(`${(err as Error).message}\n\n${usage}`);
  }
}

export function parseNumber(name: string, raw: string | undefined, fallback: number, check: (x: number) => boolean, what: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || !check(value)) throw usageError(`--${name} must be ${what}, got "${raw}"`);
  return value;
}

export const isShare = (x: number) => x > 0 && x < 1;
export const isPositiveInt = (x: number) => Number.isInteger(x) && x >= 1;

/** Short, unique labels for command-line paths: the last path segment unless two arguments share it. */
export function groupNames(paths: readonly string[]): Map<string, string> {
  const base = (p: string) => basename(p.replace(/[/\\]+$/, "")) || p;
  const counts = new Map<string, number>();
  for (const p of paths) counts.set(base(p), (counts.get(base(p)) ?? 0) + 1);
  return new Map(paths.map((p) => [p, counts.get(base(p))! > 1 ? p : base(p)]));
}

export function checkProfile(profile: string | undefined): string {
  if (profile === undefined) throw usageError("a profile name is required");
  if (!PROFILE_PATTERN.test(profile)) {
    throw usageError(`profile "${profile}" must match ${PROFILE_PATTERN.source} (lower-case letters, digits, dashes)`);
  }
  return profile;
}
