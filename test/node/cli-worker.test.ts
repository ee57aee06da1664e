// The CLI against the real worker: `npm start` (wrangler dev with the bundled model) on a free port with
// its KV in a temporary folder. enroll --upload stores a reference through the admin API, then the
// worker's verdicts (check --url) are compared with the CLI's local ones for the same reference: the
// whole path — JPEG decode, preprocessing, onnxruntime-web in workerd vs onnxruntime-node — must agree.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main";
import { type LocalWorker, startLocalWorker } from "./npm-start";

const REPO = new URL("../../", import.meta.url).pathname;
const FIX = join(REPO, "test/fixtures/images");
const PHOTOS = [
  "tomato/healthy.jpg",
  "tomato/late-blight.jpg",
  "rice-bacterial.jpg",
  "apple-leaf-healthy.jpg",
  "chelsea.jpg",
  "variants/chelsea-orientation-6.jpg",
  "variants/chelsea-cmyk.jpg",
  "variants/astronaut-1024.jpg", // decoded with DCT scaling
].map((f) => join(FIX, f));

async function run(...argv: string[]) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

let server: LocalWorker | undefined;
let base = "";
let tmp = "";

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "cropgate-cli-worker-"));
  server = await startLocalWorker(["--persist-to", join(tmp, "state")]);
  base = server.base;
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await rm(tmp, { recursive: true, force: true });
}, 30_000);

describe("the CLI against npm start", () => {
  it("enroll --upload, then the worker's scores equal the CLI's local scores (|Δ| ≤ 1e-4)", { timeout: 180_000 }, async () => {
    // npm start created .dev.vars (git-ignored) with the local admin token if it was not there.
    const token = /^ADMIN_TOKEN=(.+)$/m.exec(await readFile(join(REPO, ".dev.vars"), "utf8"))?.[1];
    expect(token, "ADMIN_TOKEN in .dev.vars").toBeTruthy();
    const ref = join(tmp, "tomato.json");
    const up = await run("enroll", "tomato", join(FIX, "tomato"), "--out", ref, "--upload", base, "--token", token!, "--json");
    expect(up.code, up.err).toBe(0);
    expect(JSON.parse(up.out).stored.upload).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{12}$/);

    const remote = await run("check", "--json", "--url", base, "--profile", "tomato", ...PHOTOS);
    const local = await run("check", "--json", "--reference", ref, ...PHOTOS);
    expect([remote.code, local.code]).not.toContain(2);
    const r = JSON.parse(remote.out);
    const l = JSON.parse(local.out);
    expect(r.skipped).toEqual([]);
    expect(r.results.map((x: { path: string }) => x.path)).toEqual(PHOTOS);
    const reference = JSON.parse(await readFile(ref, "utf8"));
    let worst = 0;
    for (const [i, w] of r.results.entries()) {
      expect(w.threshold).toBe(reference.threshold.value);
      worst = Math.max(worst, Math.abs(w.score - l.results[i].score));
    }
    console.log(`largest |worker score − CLI score| over ${PHOTOS.length} photos: ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-4);
  });

  it("evaluate --url reads the worker's threshold and reports the same groups", { timeout: 120_000 }, async () => {
    // After the test above: the worker's current tomato reference is the one enroll wrote.
    const e = await run("evaluate", "--json", "--url", base, "--profile", "tomato", "--normal", join(FIX, "tomato"), "--anomaly", join(FIX, "chelsea.jpg"));
    expect(e.code, e.err).toBe(0);
    const json = JSON.parse(e.out);
    const reference = JSON.parse(await readFile(join(tmp, "tomato.json"), "utf8"));
    expect(json.threshold).toBe(reference.threshold.value);
    expect(json.source).toBe(`worker ${base}`);
    expect([json.overall.normal.count, json.overall.anomaly.count]).toEqual([10, 1]);
    expect(json.lowerThreshold).toBe(reference.threshold.lower ?? reference.threshold.value);
    // enroll wrote data.photos; the worker serves it with the version, so the enrolled folder is in-sample.
    expect(json.groups[0]).toMatchObject({ name: "tomato", inSample: { photos: 10, sources: ["tomato"] } });
    expect(json.groups[1].inSample).toBeUndefined();
  });
});
