import { basename } from "node:path";
import { LookalikeSchema, type Lookalike } from "../references/schema";
import { usageError } from "./cli-error";

/**
 * `enroll --negatives` → the reference's lookalikes: each negative group's label (its folder name, or
 * `label=dir`) and the normalised mean of its embeddings. Kept apart from commands/enroll.ts so the
 * enroll command only calls two functions.
 */

export interface NegativeArg {
  /** What was given on the command line. */
  arg: string;
  path: string;
  label: string;
}

// "label=dir": a label without path separators before the first "=".
const LABELLED = /^([^=/\\]+)=(.+)$/;

/** A folder name as words: "paddy-weeds" → "paddy weeds". */
export function labelFromPath(path: string): string {
  const name = basename(path.replace(/[/\\]+$/, "")).replace(/\.[a-z0-9]+$/i, "");
  return name.replace(/[-_\s]+/g, " ").trim().slice(0, 60) || "other photos";
}

export function parseNegatives(args: readonly string[]): NegativeArg[] {
  return args.map((arg) => {
    const m = LABELLED.exec(arg);
    const label = m ? m[1]!.trim() : labelFromPath(arg);
    const check = LookalikeSchema.shape.label.safeParse(label);
    if (!check.success) throw usageError(`--negatives ${arg}: the label must be 1–60 characters`);
    return { arg, path: m ? m[2]! : arg, label };
  });
}

/** One lookalike per label (groups sharing a label are pooled), at most 64, in first-seen order. */
export function lookalikesFrom(groups: readonly { label: string; embeddings: readonly number[][] }[]): Lookalike[] {
  const pooled = new Map<string, number[][]>();
  for (const g of groups) if (g.embeddings.length > 0) pooled.set(g.label, [...(pooled.get(g.label) ?? []), ...g.embeddings]);
  if (pooled.size > 64) throw usageError(`${pooled.size} negative labels; a reference holds at most 64 lookalikes`);
  return [...pooled].map(([label, embeddings]) => {
    const mean = new Array<number>(embeddings[0]!.length).fill(0);
    for (const e of embeddings) for (let i = 0; i < e.length; i++) mean[i]! += e[i]!;
    const n = Math.hypot(...mean);
    return { label, vector: mean.map((x) => x / n) };
  });
}
