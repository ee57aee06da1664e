// The CLI against the real worker: `npm start` (wrangler dev with the bundled model) on a free port with
// its KV in a temporary folder. enroll --upload stores a reference through the admin API, then the
// worker's verdicts (check --url) are compared with the CLI's local ones for the same reference: the
// whole path — JPEG decode, preprocessing, onnxruntime-web in workerd vs onnxruntime-node — must agree.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main";

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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let server: ChildProcess | undefined;
let serverLog = "";
let base = "";
let tmp = "";

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "cropgate-cli-worker-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // Own process group, so the whole tree (npm → tsx → wrangler → workerd) can be stopped.
  server = spawn("npm", ["start", "--", "--port", String(port), "--persist-to", join(tmp, "state")], {
    cwd: REPO,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
  });
  server.stdout!.on("data", (d) => (serverLog += d));
  server.stderr!.on("data", (d) => (serverLog += d));
  const until = Date.now() + 150_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`npm start exited:\n${serverLog}`);
    if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) break;
    if (Date.now() > until) throw new Error(`no /health within 150 s:\n${serverLog}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}, 180_000);

afterAll(async () => {
  if (server?.pid && server.exitCode === null) {
    process.kill(-server.pid, "SIGTERM");
    await new Promise((r) => server!.once("exit", r));
  }
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
  });
});
