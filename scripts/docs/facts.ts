import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Facts } from "./drift";

/** The docs the drift check reads: the README, docs/*.md and the Shortcut guide. */
export function checkedDocs(repo: string): { file: string; text: string }[] {
  const files = ["README.md", ...readdirSync(join(repo, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`), "shortcuts/README.md"];
  return files.map((file) => ({ file, text: readFileSync(join(repo, file), "utf8") }));
}

/** What the docs must agree with, read from the files the worker ships (never constants). */
export function shippedFacts(repo: string, bundle?: Facts["bundle"]): Facts {
  const manifest = JSON.parse(readFileSync(join(repo, "models/manifest.json"), "utf8")) as {
    model: { id: string; sha256: string; input: { shape: (string | number)[] } };
  };
  const referenceBytes = readFileSync(join(repo, "models/references/rice.json"));
  const reference = JSON.parse(referenceBytes.toString("utf8")) as {
    profile: string;
    threshold: { value: number; lower?: number; prototypeValue?: number };
  };
  const { value, lower, prototypeValue } = reference.threshold;
  return {
    modelId: manifest.model.id,
    modelSha256: manifest.model.sha256,
    inputSize: Number(manifest.model.input.shape[2]),
    profile: reference.profile,
    thresholds: [value, lower, prototypeValue].filter((t): t is number => typeof t === "number"),
    stamp: { model: manifest.model.sha256.slice(0, 12), reference: createHash("sha256").update(referenceBytes).digest("hex").slice(0, 12) },
    ...(bundle ? { bundle } : {}),
  };
}
