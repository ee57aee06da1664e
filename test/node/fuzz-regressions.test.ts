// Replays the fuzz seed corpus and every past fuzz finding (test/fuzz/regressions/, README there) through
// the fuzz targets, so the invariants `npm run fuzz` checks hold in every `npm test`, and a fixed finding
// stays fixed. Node, like the fuzzer (Jazzer.js runs in Node): the decoder is the same code in workerd.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { fuzzBody, fuzzJpeg } from "../fuzz/targets";

const ROOT = resolve(import.meta.dirname, "../..");
const inputs = (target: string) =>
  ["seeds", "regressions"].flatMap((kind) => {
    const dir = join(ROOT, "test/fuzz", kind, target);
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => !f.endsWith(".md"));
    } catch {
      /* no findings yet */
    }
    return files.sort().map((f) => [`${kind}/${target}/${f}`, join(dir, f)] as const);
  });

describe("fuzz corpus replay", () => {
  it("has seeds for both targets and at least one regression input", () => {
    expect(inputs("jpeg").filter(([n]) => n.startsWith("seeds/")).length).toBeGreaterThanOrEqual(20);
    expect(inputs("body").filter(([n]) => n.startsWith("seeds/")).length).toBeGreaterThanOrEqual(5);
    expect([...inputs("jpeg"), ...inputs("body")].filter(([n]) => n.startsWith("regressions/")).length).toBeGreaterThanOrEqual(1);
  });

  it.each(inputs("jpeg"))("jpeg target: %s", (_name, path) => {
    expect(() => fuzzJpeg(new Uint8Array(readFileSync(path)))).not.toThrow();
  });

  it.each(inputs("body"))("body target: %s", async (_name, path) => {
    await expect(fuzzBody(new Uint8Array(readFileSync(path)))).resolves.toBeUndefined();
  });
});
