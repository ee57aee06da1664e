import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile, copyFile, mkdir } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main";
import { loadNodeEmbedder } from "../../src/cli/model";
import { sha16 } from "../../src/cli/photo-file";
import { dot, l2normalize } from "../../src/cli/vectors";
import { imageToTensor, type Preprocessing } from "../../src/image";
import { describe as describeScores } from "../../src/cli/stats";

const REPO = new URL("../../", import.meta.url).pathname;
const FIX = join(REPO, "test/fixtures/images");
const TOMATO = join(FIX, "tomato");

async function run(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

let tmp: string;
let manifest: { model: { id: string; sha256: string } };
let riceEmbedding: number[];
let FEATURES_DIM: number;
let manifestPreprocessing: Preprocessing;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "cropgate-cli-"));
  const embedder = await loadNodeEmbedder();
  manifest = embedder.manifest;
  FEATURES_DIM = embedder.manifest.model.outputs!.find((o) => o.name === "features")!.shape[1];
  manifestPreprocessing = embedder.preprocessing;
  const bytes = new Uint8Array(await readFile(join(FIX, "rice-bacterial.jpg")));
  riceEmbedding = l2normalize((await embedder.embedBatch([imageToTensor(bytes, embedder.preprocessing).tensor]))[0]!);
  await embedder.release();
}, 60_000);
afterAll(() => rm(tmp, { recursive: true, force: true }));

/**
 * A reference whose centroid is the rice fixture's own embedding (or its opposite, `flip`: the rice
 * photo then scores exactly -1), with a chosen threshold: verdicts that do not depend on the model.
 */
async function referenceFile(name: string, threshold: number, sha = manifest.model.sha256, flip = false, extra: { lower?: number; data?: object } = {}) {
  const centroid = flip ? riceEmbedding.map((x) => -x) : riceEmbedding;
  const path = join(tmp, name);
  const ref = {
    schema: "cropgate.reference/v1",
    profile: "rice",
    displayName: "rice leaf",
    createdAt: "2026-11-27T19:00:00.000Z",
    createdBy: "cli-commands.test.ts",
    model: { id: manifest.model.id, sha256: sha, dimension: 512 },
    centroid,
    prototypes: [centroid],
    threshold: {
      value: threshold,
      ...(extra.lower === undefined ? {} : { lower: extra.lower }),
      score: "centroid-cosine",
      policy: { kind: "normal-accept-rate", target: 0.95 },
    },
    calibration: { method: "hand-made for a test", normal: describeScores([0.9, 0.95, 1]) },
    ...(extra.data ? { data: extra.data } : {}),
  };
  await writeFile(path, JSON.stringify(ref));
  return path;
}

describe("help", () => {
  it("every command answers --help with its usage and exit codes (exit 0); no command is a usage error (2)", async () => {
    for (const command of ["enroll", "evaluate", "check"]) {
      const r = await run(command, "--help");
      expect(r.code, command).toBe(0);
      expect(r.out).toMatch(new RegExp(`^usage: npm run ${command} -- `));
      expect(r.out).toMatch(/exit codes: 0 /);
    }
    expect((await run("--help")).code).toBe(0);
    const none = await run();
    expect(none.code).toBe(2);
    expect(none.out).toMatch(/^usage: cropgate <command>/);
  });
});

describe("check (local)", () => {
  it("prints one verdict per photo; exit 0 when all pass, 1 when one does not", { timeout: 60_000 }, async () => {
    const accepting = await referenceFile("accept-all.json", -1);
    const ok = await run("check", join(FIX, "rice-bacterial.jpg"), join(FIX, "chelsea.jpg"), "--reference", accepting);
    expect(ok.code).toBe(0);
    const lines = ok.out.trim().split("\n");
    expect(lines).toHaveLength(2);
    // Its own embedding: cosine 1; wording from the worker's src/scoring.
    expect(lines[0]).toBe(`${join(FIX, "rice-bacterial.jpg")}: normal (score 1.0000 ≥ -1.0000)  Rice leaf photo: ready for the disease check.`);

    const opposite = await referenceFile("opposite.json", 0, manifest.model.sha256, true);
    const bad = await run("check", join(FIX, "rice-bacterial.jpg"), "--reference", opposite);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/rice-bacterial\.jpg: anomaly \(score -1\.0000 < 0\.0000\)  This doesn't look like a rice leaf\./);
  });

  it("answers uncertain inside the reference's band (exit 1: not a pass) and prints how the score compares", { timeout: 60_000 }, async () => {
    // The rice photo scores 1 against its own embedding; the chelsea cat far lower.
    const band = await referenceFile("band.json", 1, manifest.model.sha256, false, { lower: -1 });
    const r = await run("check", "--json", "--reference", band, join(FIX, "chelsea.jpg"));
    expect(r.code).toBe(1);
    const [cat] = JSON.parse(r.out).results;
    expect(cat).toMatchObject({ verdict: "uncertain", threshold: 1, lowerThreshold: -1 });
    expect(cat.message).toBe("Not sure this is a rice leaf: fill the frame with one leaf, in daylight.");
    const text = await run("check", "--reference", band, join(FIX, "chelsea.jpg"));
    expect(text.out).toMatch(/chelsea\.jpg: uncertain \(-1\.0000 ≤ score -?0\.\d{4} < 1\.0000\)  Not sure this is a rice leaf/);
  });

  it("prints enough digits that a refused score never reads as equal to the threshold", { timeout: 60_000 }, async () => {
    const bytes = new Uint8Array(await readFile(join(FIX, "chelsea.jpg")));
    const embedder = await loadNodeEmbedder();
    const cat = l2normalize((await embedder.embedBatch([imageToTensor(bytes, embedder.preprocessing).tensor]))[0]!);
    await embedder.release();
    const score = dot(cat, riceEmbedding);
    // A threshold a hair above the cat's score: 4 decimals would print both the same.
    const ref = await referenceFile("hair.json", score + 2e-6);
    const r = await run("check", "--reference", ref, join(FIX, "chelsea.jpg"));
    expect(r.code).toBe(1);
    const [, shown, limit] = /score (-?[\d.]+) < (-?[\d.]+)\)/.exec(r.out) ?? [];
    expect(shown, r.out).toBeDefined();
    expect(shown).not.toBe(limit);
    expect(Number(shown)).toBeLessThan(Number(limit));
  });

  it("counts files in a folder that are not images instead of listing them; names PNGs in terminal words", { timeout: 60_000 }, async () => {
    const dir = join(tmp, "mixed");
    await mkdir(dir, { recursive: true });
    await copyFile(join(FIX, "rice-bacterial.jpg"), join(dir, "rice.jpg"));
    await writeFile(join(dir, "manifest.csv"), "file,label\nrice.jpg,rice\n");
    await writeFile(join(dir, "notes.md"), "# photos from the field\n");
    const ref = await referenceFile("mixed.json", 0.5);
    const quiet = await run("check", "--reference", ref, dir);
    expect(quiet.code, quiet.err).toBe(0); // nothing that is a photo was lost
    expect(quiet.err).toBe("ignored 2 files that are not an image\n");
    await copyFile(join(FIX, "variants/tiny.png"), join(dir, "tiny.png"));
    const png = await run("check", "--reference", ref, dir);
    expect(png.code).toBe(3);
    expect(png.err).toContain(`skipped 1 photo:\n  ${join(dir, "tiny.png")}: PNG image: cropgate reads JPEG only, convert it to JPEG first\n`);
    expect(png.err).not.toMatch(/Shortcut|unsupported_image_format/);
    // A file named on the command line is always reported, image or not.
    const named = await run("check", "--reference", ref, join(dir, "manifest.csv"));
    expect(named.code).toBe(3);
    expect(named.err).toMatch(/manifest\.csv: not an image/);
  });

  it("--json gives scores equal to the cosine with the centroid, and lists unusable files with reasons (exit 3)", { timeout: 60_000 }, async () => {
    const ref = await referenceFile("ref.json", 0.5);
    const r = await run("check", "--json", "--reference", ref, join(FIX, "rice-bacterial.jpg"), join(FIX, "variants"));
    expect(r.code).toBe(3);
    const json = JSON.parse(r.out);
    expect(json.results[0]).toMatchObject({ path: join(FIX, "rice-bacterial.jpg"), verdict: "normal", threshold: 0.5 });
    expect(json.results[0].score).toBeCloseTo(dot(riceEmbedding, riceEmbedding), 6);
    const reasons = Object.fromEntries(json.skipped.map((s: { path: string; reason: string }) => [s.path.replace(`${FIX}/variants/`, ""), s.reason]));
    expect(reasons["tiny.png"]).toBe("PNG image: cropgate reads JPEG only, convert it to JPEG first");
    expect(reasons["tiny.heic"]).toBe("HEIC image: cropgate reads JPEG only, convert it to JPEG first");
    expect(reasons["coffee-truncated.jpg"]).toMatch(/^The JPEG is truncated/);
    expect(reasons["sof-65535x65535.jpg"]).toMatch(/pixels|MiB|limit/);
    expect(json.results.map((x: { path: string }) => x.path)).toContain(join(FIX, "variants/chelsea-cmyk.jpg"));
    expect(r.err).toMatch(/skipped \d+ photos:\n {2}.*coffee-truncated\.jpg: The JPEG is truncated/);
  });

  it("usage errors exit 2 with one clear line, never a stack trace", async () => {
    for (const argv of [
      ["check"],
      ["check", "--bogus", "x.jpg"],
      ["check", join(tmp, "does-not-exist.jpg")],
      ["check", join(FIX, "chelsea.jpg"), "--profile", "no-such-profile"],
      ["check", join(FIX, "chelsea.jpg"), "--url", "ftp://example"],
      ["check", join(FIX, "chelsea.jpg"), "--url", "http://127.0.0.1:1", "--reference", "x.json"],
      ["frobnicate"],
    ]) {
      const r = await run(...argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.err, argv.join(" ")).toMatch(/^cropgate \S+: /);
      noStackTrace(r.err);
    }
    expect((await run("check", join(FIX, "chelsea.jpg"), "--profile", "no-such-profile")).err).toMatch(/no shipped reference for profile "no-such-profile"/);
  });

  it("refuses a reference made with another model (exit 2)", { timeout: 30_000 }, async () => {
    const other = await referenceFile("other-model.json", 0.5, "0".repeat(64));
    const r = await run("check", join(FIX, "chelsea.jpg"), "--reference", other);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/made with model .* re-enroll/);
    const broken = join(tmp, "broken.json");
    await writeFile(broken, JSON.stringify({ schema: "cropgate.reference/v1", profile: "rice" }));
    const b = await run("check", join(FIX, "chelsea.jpg"), "--reference", broken);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/broken\.json is not a cropgate reference: .*centroid/s);
  });
});

describe("enroll", () => {
  it("builds a calibrated reference in the contract's shape, deterministically", { timeout: 120_000 }, async () => {
    const out1 = join(tmp, "tomato-1.json");
    const out2 = join(tmp, "tomato-2.json");
    const args = ["enroll", "tomato", TOMATO, "--negatives", join(FIX, "variants"), "--display-name", "tomato leaf"];
    const r1 = await run(...args, "--out", out1);
    expect(r1.code, r1.err).toBe(0);
    const r2 = await run(...args, "--out", out2, "--json");
    expect(r2.code).toBe(0);
    const a = JSON.parse(await readFile(out1, "utf8"));
    const b = JSON.parse(await readFile(out2, "utf8"));
    expect({ ...a, createdAt: 0 }).toEqual({ ...b, createdAt: 0 });

    expect(a).toMatchObject({
      schema: "cropgate.reference/v1",
      profile: "tomato",
      displayName: "tomato leaf",
      createdBy: "cropgate enroll 0.1.0",
      // Enrolled in the model's `features` output by default (measured better for crops the head never saw).
      model: { id: manifest.model.id, sha256: manifest.model.sha256, dimension: FEATURES_DIM, output: "features" },
      // With --negatives, the negatives place the threshold with the held-out crop photos.
      threshold: { score: "centroid-cosine", policy: { kind: "balanced-goals", normalAccept: 0.95, maxFalseAcceptPerGroup: 0.01 } },
    });
    expect(a.threshold.policy.worstGoalRatio).toBeGreaterThanOrEqual(0);
    expect(a.centroid).toHaveLength(FEATURES_DIM);
    expect(Math.hypot(...a.centroid)).toBeCloseTo(1, 6);
    expect(a.prototypes).toHaveLength(3);
    for (const p of a.prototypes) expect(Math.hypot(...p)).toBeCloseTo(1, 6);
    expect(a.calibration.normal.count).toBe(10);
    expect(a.calibration.normal.histogram.counts.reduce((x: number, y: number) => x + y, 0)).toBe(10);
    // Placed by the balanced rule: at or below the crop-only threshold (the held-out minimum) when the negatives
    // stay below it, never so high that the worst goal ratio is beaten by another candidate.
    expect(a.calibration.method).toMatch(/negatives together/);
    expect(Object.keys(a.calibration.negatives)).toEqual(["variants"]);
    expect(a.calibration.metrics).toHaveProperty("auroc");
    // Each negative folder becomes a lookalike: its label and the unit mean of its embeddings.
    expect(a.lookalikes.map((l: { label: string }) => l.label)).toEqual(["variants"]);
    expect(a.lookalikes[0].vector).toHaveLength(FEATURES_DIM);
    expect(Math.hypot(...a.lookalikes[0].vector)).toBeCloseTo(1, 6);

    // data.photos: every photo that made it (crop and negatives), by folder, as sha256-16 (contract §3).
    const tomatoFiles = (await readdir(TOMATO)).sort();
    const hashes = await Promise.all(tomatoFiles.map(async (f) => sha16(await readFile(join(TOMATO, f)))));
    expect(a.data.photos.hash).toBe("sha256-16");
    expect(Object.keys(a.data.photos.sources)).toEqual(["tomato", "variants"]);
    expect(a.data.photos.sources.tomato).toEqual(hashes);
    expect(a.data.photos.sources.variants).toContain(sha16(await readFile(join(FIX, "variants/chelsea-gray.jpg"))));
    expect(a.data.photos.sources.variants).not.toContain(sha16(await readFile(join(FIX, "variants/tiny.png")))); // skipped: did not make it

    const summary = JSON.parse(r2.out);
    expect(summary).toMatchObject({ profile: "tomato", normals: 10, negatives: { variants: { count: expect.any(Number) } } });
    expect(summary.falseAcceptRate).toBeGreaterThanOrEqual(0);
    expect(summary.skipped.length).toBeGreaterThan(0); // the variants' PNG, HEIC… are listed, not dropped
  });

  it("labels lookalikes by folder name, or by label=dir, and pools folders that share a label", { timeout: 120_000 }, async () => {
    const cats = join(tmp, "cat_photos");
    await mkdir(cats, { recursive: true });
    for (const f of ["chelsea.jpg", "variants/chelsea-444.jpg", "variants/chelsea-gray.jpg"]) await copyFile(join(FIX, f), join(cats, f.replace("variants/", "")));
    const out = join(tmp, "lookalikes.json");
    const r = await run("enroll", "tomato", TOMATO, "--out", out, "--negatives", cats, "--negatives", `everyday things=${join(FIX, "variants")}`);
    expect(r.code, r.err).toBe(0);
    const ref = JSON.parse(await readFile(out, "utf8"));
    expect(ref.lookalikes.map((l: { label: string }) => l.label)).toEqual(["cat photos", "everyday things"]);
    // Calibration keeps its per-folder groups, as before.
    expect(Object.keys(ref.calibration.negatives).sort()).toEqual(["cat_photos", "variants"]);
    const bad = await run("enroll", "tomato", TOMATO, "--negatives", `${"x".repeat(61)}=${cats}`);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/label must be 1–60 characters/);
  });

  it("says the false-accept rate is unknown without --negatives", { timeout: 60_000 }, async () => {
    const r = await run("enroll", "tomato", TOMATO, "--out", join(tmp, "t.json"), "--accept", "0.9");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/false-accept rate: UNKNOWN/);
    expect(JSON.parse(await readFile(join(tmp, "t.json"), "utf8")).threshold.policy.target).toBe(0.9);
  });

  it("needs enough usable photos (exit 3) and valid options (exit 2)", { timeout: 60_000 }, async () => {
    const few = join(tmp, "few");
    await mkdir(few);
    for (const f of ["healthy.jpg", "leaf-mold.jpg", "late-blight.jpg"]) await copyFile(join(TOMATO, f), join(few, f));
    const r = await run("enroll", "tomato", few, "--out", join(tmp, "few.json"));
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/only 3 usable tomato photos; enrolling needs at least 10/);
    for (const argv of [
      ["enroll", "Tomato!", TOMATO],
      ["enroll", "tomato"],
      ["enroll", "tomato", TOMATO, "--accept", "95"],
      ["enroll", "tomato", TOMATO, "--folds", "1"],
      ["enroll", "tomato", TOMATO, "--upload", "http://127.0.0.1:1"],
      ["enroll", "tomato", TOMATO, "--max-false-accept", "0.01"],
      ["enroll", "tomato", TOMATO, "--negatives", TOMATO],
      ["enroll", "tomato", TOMATO, "--out", join(tmp, "long.json"), "--display-name", "x".repeat(81)],
      ["check", join(FIX, "chelsea.jpg"), "--threads", "two"],
    ]) {
      const u = await run(...argv);
      expect(u.code, argv.join(" ")).toBe(2);
      noStackTrace(u.err);
    }
  });
});

describe("evaluate", () => {
  it("prints per-directory and overall metrics and writes a self-contained HTML report", { timeout: 120_000 }, async () => {
    const ref = join(tmp, "tomato-eval.json");
    expect((await run("enroll", "tomato", TOMATO, "--out", ref)).code).toBe(0);
    const report = join(tmp, "report.html");
    const anomalies = [join(FIX, "rice-bacterial.jpg"), join(FIX, "chelsea.jpg"), join(FIX, "coffee.jpg")];
    const r = await run(
      "evaluate", "--normal", TOMATO, ...anomalies.flatMap((a) => ["--anomaly", a]), "--reference", ref, "--report", report, "--json",
      "--scores", join(tmp, "scores.csv"),
    );
    expect(r.code, r.err).toBe(0);
    const json = JSON.parse(r.out);
    const threshold = JSON.parse(await readFile(ref, "utf8")).threshold.value;
    expect(json.threshold).toBe(threshold);
    expect(json.groups.map((g: { name: string; kind: string; count: number }) => [g.name, g.kind, g.count])).toEqual([
      ["tomato", "normal", 10],
      ["rice-bacterial.jpg", "anomaly", 1],
      ["chelsea.jpg", "anomaly", 1],
      ["coffee.jpg", "anomaly", 1],
    ]);
    expect(json.overall.normal.count).toBe(10);
    expect(json.overall.normal.accepted + json.overall.normal.rejected).toBe(10);
    expect(json.overall.anomaly.count).toBe(3);
    expect(json.overall.auroc).toBeGreaterThanOrEqual(0);
    expect(json.overall.auroc).toBeLessThanOrEqual(1);
    for (const m of json.mistakes.rejectedNormals) expect(m.score).toBeLessThan(threshold);
    for (const m of json.mistakes.acceptedAnomalies) expect(m.score).toBeGreaterThanOrEqual(threshold);
    expect(json.mistakes.rejectedNormals).toHaveLength(Math.min(5, json.overall.normal.rejected));

    const csv = (await readFile(join(tmp, "scores.csv"), "utf8")).trim().split("\n");
    expect(csv[0]).toBe("path,group,kind,score,verdict");
    expect(csv).toHaveLength(1 + 13);
    const [path, group, kind, score, verdict] = csv.find((l) => l.includes("coffee.jpg"))!.split(",");
    expect([path, group, kind]).toEqual([join(FIX, "coffee.jpg"), "coffee.jpg", "anomaly"]);
    expect(verdict).toBe(Number(score) >= threshold ? "normal" : "anomaly");

    const html = await readFile(report, "utf8");
    expect(html.match(/<svg/g)).toHaveLength(5); // 4 histograms + ROC
    // Self-contained: no scripts, no links; the only sources are inline data: thumbnails of the gallery.
    expect(html).not.toMatch(/<script|<link/i);
    expect(html.replace(/src="data:image\/jpeg;base64,[A-Za-z0-9+/=]+"/g, "")).not.toMatch(/src=/i);
    expect(html.replace(/http:\/\/www\.w3\.org\/[\w/]+/g, "")).not.toMatch(/https?:\/\//);
    expect(html).toContain("coffee.jpg");

    const text = await run("evaluate", "--normal", TOMATO, "--anomaly", anomalies[0]!, "--reference", ref);
    expect(text.out).toMatch(/^group\s+kind\s+photos\s+accepted\s+rejected/m);
    expect(text.out).toMatch(/^ALL\s+11\s/m);
  });

  it("shows the worst mistakes in the report's gallery as the model saw them, worst first and bounded", { timeout: 120_000 }, async () => {
    // Threshold -1: every anomaly is accepted, so the gallery's "accepted" side is known exactly.
    const ref = await referenceFile("all-pass.json", -1);
    const report = join(tmp, "gallery.html");
    const anomalies = ["chelsea.jpg", "coffee.jpg", "astronaut.jpg"].map((f) => join(FIX, f));
    const r = await run("evaluate", "--normal", TOMATO, ...anomalies.flatMap((a) => ["--anomaly", a]), "--reference", ref,
      "--report", report, "--gallery", "2", "--json");
    expect(r.code, r.err).toBe(0);
    const scores = new Map<string, number>(JSON.parse(r.out).mistakes.acceptedAnomalies.map((m: { path: string; score: number }) => [m.path, m.score]));
    const html = await readFile(report, "utf8");
    const accepted = html.slice(html.indexOf("Anomalies accepted, highest score first"), html.indexOf("Thumbnails show"));
    const figures = accepted.match(/<figure>.*?<\/figure>/gs) ?? [];
    expect(figures).toHaveLength(2); // --gallery 2 of the 3 accepted anomalies
    const shownScores = figures.map((f) => Number(/<b>([-\d.]+)<\/b>/.exec(f)![1]));
    expect(shownScores[0]).toBeGreaterThanOrEqual(shownScores[1]!); // worst (highest) first
    expect(Math.max(...scores.values())).toBeCloseTo(shownScores[0]!, 4);
    // Each thumbnail is a real JPEG of the model's input size.
    for (const f of figures) {
      const b64 = /src="data:image\/jpeg;base64,([^"]+)"/.exec(f)![1]!;
      const bytes = Buffer.from(b64, "base64");
      expect([bytes[0], bytes[1]]).toEqual([0xff, 0xd8]);
      expect(imageToTensor(new Uint8Array(bytes), manifestPreprocessing).info.width).toBe(manifestPreprocessing.resize.width);
    }
    expect(html).toMatch(/Crop photos refused, lowest score first[\s\S]*None\./); // threshold -1 refuses nothing
    expect((await run("evaluate", "--normal", TOMATO, "--anomaly", anomalies[0]!, "--reference", ref, "--gallery", "3")).code).toBe(2);
  });

  it("counts uncertain photos per directory and marks the directories the reference was built from", { timeout: 120_000 }, async () => {
    // Band [-1, 1): only the rice photo's own embedding reaches 1, every other photo is uncertain.
    const tomatoHashes = await Promise.all((await readdir(TOMATO)).map(async (f) => sha16(await readFile(join(TOMATO, f)))));
    const photos = { hash: "sha256-16", sources: { "plantvillage-tomato": tomatoHashes.slice(0, 4), other: ["0123456789abcdef"] } };
    const ref = await referenceFile("band-eval.json", 1, manifest.model.sha256, false, { lower: -1, data: { photos } });
    const report = join(tmp, "band.html");
    const args = ["evaluate", "--normal", TOMATO, "--anomaly", join(FIX, "chelsea.jpg"), "--reference", ref];
    const r = await run(...args, "--json", "--report", report);
    expect(r.code, r.err).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.lowerThreshold).toBe(-1);
    expect(json.groups[0]).toMatchObject({ name: "tomato", count: 10, accepted: 0, uncertain: 10, rejected: 0, inSample: { photos: 4, sources: ["plantvillage-tomato"] } });
    expect(json.groups[1]).toMatchObject({ name: "chelsea.jpg", uncertain: 1 });
    expect(json.groups[1].inSample).toBeUndefined();

    const text = await run(...args);
    expect(text.out).toMatch(/^group\s+kind\s+photos\s+accepted\s+uncertain\s+rejected\s+.*in-sample$/m);
    expect(text.out).toMatch(/^tomato\s+normal\s+10\s+0\s+10\s+0\s.*4\/10 \(plantvillage-tomato\)$/m);
    expect(text.out).toMatch(/uncertain = -1\.0000 ≤ score < 1\.0000/);
    expect(text.out).toMatch(/in-sample: 1 directory holds photos the reference was built from/);
    const html = await readFile(report, "utf8");
    expect(html).toContain("<th>uncertain</th>");
    expect(html).toMatch(/<tr class="normal in-sample"><td>tomato <span class="tag">in-sample<\/span>/);
    expect(html).toMatch(/<b>In-sample:<\/b> tomato holds photos/);

    // Without data.photos nothing is marked, and without a band there is no uncertain column.
    const plain = await run("evaluate", "--normal", TOMATO, "--anomaly", join(FIX, "chelsea.jpg"), "--reference", await referenceFile("plain.json", 0.5));
    expect(plain.out).not.toMatch(/in-sample|uncertain/);
  });

  it("errors: missing groups (2), a directory with no usable photo (3)", { timeout: 60_000 }, async () => {
    const r = await run("evaluate", "--normal", TOMATO);
    expect(r.code).toBe(2);
    const junk = join(tmp, "junk");
    await mkdir(junk);
    await copyFile(join(FIX, "variants/tiny.png"), join(junk, "tiny.png"));
    const e = await run("evaluate", "--normal", TOMATO, "--anomaly", junk, "--reference", await referenceFile("r2.json", 0.5));
    expect(e.code).toBe(3);
    expect(e.err).toMatch(/tiny\.png: PNG image: cropgate reads JPEG only/);
    expect(e.err).toMatch(/no usable photo in junk/);
  });
});

/** A stand-in for the worker's HTTP API (issue 3): enough to test the CLI's client side. */
function fakeWorker(handler: (req: IncomingMessage, body: Buffer) => { status: number; json: unknown }) {
  const requests: { method: string; url: string; headers: IncomingMessage["headers"]; body: Buffer }[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    const { status, json } = handler(req, body);
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(json));
  });
  return new Promise<{ url: string; requests: typeof requests; close: () => Promise<void> }>((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

describe("talking to a worker (--url, --upload)", () => {
  it("check --url posts the JPEG bytes and prints the worker's verdict; refused photos are skipped", { timeout: 30_000 }, async () => {
    const worker = await fakeWorker((req, body) =>
      body[0] === 0xff
        ? { status: 200, json: { verdict: "anomaly", normal: false, score: 0.2, threshold: 0.7, confidence: 0.1, profile: "rice", message: "This does not look like a rice leaf.", reference: { version: "v1" } } }
        : { status: 415, json: { error: { code: "unsupported_image_format", message: "PNG images are not supported." } } },
    );
    try {
      const r = await run("check", join(FIX, "chelsea.jpg"), join(FIX, "variants/tiny.png"), "--url", worker.url, "--profile", "rice");
      expect(r.code).toBe(3);
      expect(r.out).toBe(`${join(FIX, "chelsea.jpg")}: anomaly (score 0.2000 < 0.7000)  This does not look like a rice leaf.\n`);
      // Not even sent: the CLI knows a PNG from its bytes and says so in its own words.
      expect(r.err).toMatch(/tiny\.png: PNG image: cropgate reads JPEG only/);
      expect(worker.requests).toHaveLength(1);
      expect(worker.requests[0]).toMatchObject({ method: "POST", url: "/v1/check?profile=rice" });
      expect(worker.requests[0]!.headers["content-type"]).toBe("image/jpeg");
      expect(worker.requests[0]!.body.equals(await readFile(join(FIX, "chelsea.jpg")))).toBe(true);
    } finally {
      await worker.close();
    }
  });

  it("a worker error or an unreachable worker exits 4 with the reason", { timeout: 30_000 }, async () => {
    const worker = await fakeWorker(() => ({ status: 503, json: { error: { code: "no_reference", message: "No reference yet." } } }));
    try {
      const r = await run("check", join(FIX, "chelsea.jpg"), "--url", worker.url);
      expect(r.code).toBe(4);
      expect(r.err).toMatch(/answered 503 no_reference: No reference yet\./);
    } finally {
      await worker.close();
    }
    // The closed server's port: nothing listens there now.
    const down = await run("check", join(FIX, "chelsea.jpg"), "--url", worker.url);
    expect(down.code).toBe(4);
    expect(down.err).toBe(`cropgate check: cannot reach ${worker.url}: ECONNREFUSED\n`);
    noStackTrace(down.err);
  });

  it("enroll --upload stores the written reference through the admin API with the bearer token", { timeout: 60_000 }, async () => {
    const worker = await fakeWorker((req) =>
      req.headers.authorization === "Bearer s3cret"
        ? { status: 201, json: { profile: "tomato", version: { version: "20261127T190000000Z-0123456789ab", current: true }, current: null } }
        : { status: 401, json: { error: { code: "unauthorized", message: "Bad token." } } },
    );
    try {
      const out = join(tmp, "up.json");
      const ok = await run("enroll", "tomato", TOMATO, "--out", out, "--upload", worker.url, "--token", "s3cret");
      expect(ok.code, ok.err).toBe(0);
      expect(ok.out).toMatch(/uploaded and activated as version 20261127T190000000Z-0123456789ab/);
      const req = worker.requests[0]!;
      expect(req).toMatchObject({ method: "POST", url: "/v1/profiles/tomato/versions?activate=true" });
      expect(JSON.parse(req.body.toString())).toEqual(JSON.parse(await readFile(out, "utf8")));

      const refused = await run("enroll", "tomato", TOMATO, "--out", out, "--upload", worker.url, "--token", "wrong");
      expect(refused.code).toBe(4);
      expect(refused.err).toMatch(/upload refused by .*: 401 unauthorized: Bad token\./);
    } finally {
      await worker.close();
    }
  });
});

describe("enroll --local", () => {
  it("stores the reference in the local KV through the worker's store and activates it", { timeout: 120_000 }, async () => {
    const state = join(tmp, "wrangler-state");
    process.env.CROPGATE_WRANGLER_STATE = state;
    try {
      const out = join(tmp, "local.json");
      const r = await run("enroll", "tomato", TOMATO, "--out", out, "--local", "--json");
      expect(r.code, r.err).toBe(0);
      const version: string | undefined = JSON.parse(r.out).stored.local; // stdout stays pure JSON (no wrangler chatter)
      expect(version).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{12}$/);
      // Read it back the way the worker does: the pointer names that version, whose body is the file.
      const { getPlatformProxy } = await import("wrangler");
      const { createReferenceStore } = await import("../../src/references/store");
      const proxy = await getPlatformProxy<{ REFERENCES: KVNamespace }>({ configPath: join(REPO, "wrangler.toml"), persist: { path: state }, envFiles: [] });
      try {
        const store = createReferenceStore({ kv: proxy.env.REFERENCES, model: { id: manifest.model.id, sha256: manifest.model.sha256, dimension: 512 } });
        expect((await store.getPointer("tomato", { fresh: true }))?.version).toBe(version);
        const stored = await store.getVersion("tomato", version!);
        expect(stored?.reference).toEqual(JSON.parse(await readFile(out, "utf8")));
      } finally {
        await proxy.dispose();
      }
    } finally {
      delete process.env.CROPGATE_WRANGLER_STATE;
    }
  });
});

describe("as a process", () => {
  it("npm run check's entry point exits with the documented code and no stack trace", { timeout: 60_000 }, async () => {
    const tsx = join(REPO, "node_modules/.bin/tsx");
    const result = await promisify(execFile)(tsx, [join(REPO, "src/cli/main.ts"), "check", "--nope"], { cwd: REPO }).then(
      () => ({ code: 0, stderr: "" }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^cropgate check: Unknown option '--nope'/);
    noStackTrace(result.stderr);
  });
});
