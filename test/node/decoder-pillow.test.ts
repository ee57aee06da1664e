// Differential test of the decoder against Pillow (libjpeg-turbo): every JPEG in the shared image set
// (../shared/data or CROPGATE_DATA, 4 000 files), decoded at full size and at every DCT scale (1/2, 1/4,
// 1/8), must give exactly Pillow's RGB bytes — full size as `Image.open(p).convert("RGB")`, scaled as
// Pillow's draft mode (libjpeg-turbo's scale_denom: its reduced IDCTs and chroma sizing). The expected
// sha256s come from test/pillow/decode_hashes.py run in models/.venv, streamed while Node decodes.
// Skips, saying why, without the shared data or the Python environment.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { decodeJpeg, type ScaleDenom } from "../../src/image";
import type { RgbImage } from "../../src/image/orientation";

const ROOT = resolve(import.meta.dirname, "../..");
const DATA = process.env.CROPGATE_DATA ?? join(ROOT, "..", "shared", "data");
const PYTHON = join(ROOT, "models/.venv/bin/python");
const noPython = existsSync(PYTHON) ? null : `${PYTHON} absent (run models/setup.sh)`;
const skip = noPython ?? (existsSync(DATA) ? null : `${DATA} absent (set CROPGATE_DATA)`);
const SCALES: ScaleDenom[] = [1, 2, 4, 8];

function jpegs(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && /\.jpe?g$/i.test(d.name))
    .map((d) => join(d.parentPath, d.name))
    .sort();
}

function rgbSha(img: RgbImage): string {
  let data = img.data;
  if (img.channels === 1) {
    // Pillow's convert("RGB") of an "L" image repeats the grey value.
    data = new Uint8Array(img.width * img.height * 3);
    for (let i = 0, n = img.width * img.height; i < n; i++) data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = img.data[i]!;
  }
  return createHash("sha256").update(data).digest("hex");
}

type Expected = Record<string, { width: number; height: number; sha256: string } | { error: string }>;

/** Decodes `files` at every scale while Pillow does the same in a child process; returns what differs. */
async function compareWithPillow(files: string[], base: string) {
  const py = spawn(PYTHON, [join(ROOT, "test/pillow/decode_hashes.py"), SCALES.join(",")], { stdio: ["pipe", "pipe", "inherit"] });
  py.stdin.end(files.join("\n") + "\n");
  const mismatches: string[] = [];
  const pillowErrors: string[] = [];
  let compared = 0;
  for await (const line of createInterface({ input: py.stdout })) {
    const { file, scales } = JSON.parse(line) as { file: string; scales: Expected };
    const bytes = new Uint8Array(readFileSync(file));
    for (const d of SCALES) {
      const want = scales[String(d)]!;
      let got: RgbImage | Error;
      try {
        got = decodeJpeg(bytes, { scaleDenom: d, maxMemoryBytes: 2 ** 30 });
      } catch (err) {
        got = err as Error;
      }
      if ("error" in want) {
        // A file Pillow refuses (truncated, a decompression bomb) must be refused here too.
        pillowErrors.push(`${relative(base, file)} 1/${d}: ${want.error}`);
        if (!(got instanceof Error)) mismatches.push(`${relative(base, file)} 1/${d}: Pillow refused it (${want.error}), ours decoded it`);
        continue;
      }
      if (got instanceof Error) mismatches.push(`${relative(base, file)} 1/${d}: ours threw ${got.message}`);
      else if (got.width !== want.width || got.height !== want.height || rgbSha(got) !== want.sha256) {
        mismatches.push(`${relative(base, file)} 1/${d}: ${got.width}×${got.height} vs Pillow ${want.width}×${want.height}, bytes differ`);
      }
      compared++;
    }
  }
  return { mismatches, pillowErrors, compared };
}

describe.skipIf(noPython !== null)(`decoder = Pillow on every committed JPEG fixture${noPython ? ` (skipped: ${noPython})` : ""}`, () => {
  it("gives Pillow's RGB bytes at full size and at 1/2, 1/4 and 1/8, and refuses what Pillow refuses", async () => {
    const dir = join(ROOT, "test/fixtures/images");
    const files = jpegs(dir);
    const { mismatches, pillowErrors, compared } = await compareWithPillow(files, dir);
    console.log(`decoder vs Pillow, fixtures: ${files.length} JPEGs × ${SCALES.length} scales, ${compared} decodes compared, ${mismatches.length} differ; refused by both: ${pillowErrors.length}`);
    expect(mismatches).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual((files.length - 2) * SCALES.length);
  }, 120_000);
});

describe.skipIf(skip !== null)(`decoder = Pillow on every JPEG in the shared data${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("gives Pillow's RGB bytes at full size and at 1/2, 1/4 and 1/8, for every file", async () => {
    const files = jpegs(DATA);
    expect(files.length).toBeGreaterThan(1000);
    const { mismatches, pillowErrors, compared } = await compareWithPillow(files, DATA);
    console.log(`decoder vs Pillow: ${files.length} JPEGs × ${SCALES.length} scales, ${compared} decodes compared, ${mismatches.length} differ, ${pillowErrors.length} Pillow could not decode`);
    expect(pillowErrors).toEqual([]);
    expect(mismatches).toEqual([]);
    expect(compared).toBe(files.length * SCALES.length);
  }, 900_000);
});
