/**
 * `npx tsx bench/identify.ts [rounds]`: the cost of `POST /v1/identify` with 5 active profiles against one
 * `POST /v1/check`, on the real worker (src/index.ts) in workerd via wrangler's unstable_dev, with a
 * throw-away local KV. Requests alternate check / identify so load swings hit both alike; the figures are
 * wall-clock medians from outside (goal: identify ≤ 1.10 × check). A benchmark, not a test.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { unstable_dev } from "wrangler";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ROUNDS = Number(process.argv[2] ?? 30);
const TOKEN = "bench-admin-token";
const rice = JSON.parse(readFileSync(join(ROOT, "models/references/rice.json"), "utf8")) as Record<string, unknown>;
const photos = ["rice-brownspot.jpg", "astronaut-1024.jpg"].map((n) => ({
  name: n,
  bytes: new Uint8Array(readFileSync(join(ROOT, "test/fixtures/images", n.includes("1024") ? `variants/${n}` : n))),
}));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const state = mkdtempSync(join(tmpdir(), "cropgate-bench-identify-"));
const worker = await unstable_dev(join(ROOT, "src/index.ts"), {
  config: join(ROOT, "wrangler.toml"),
  ip: "127.0.0.1",
  logLevel: "warn",
  vars: { ADMIN_TOKEN: TOKEN, API_KEYS: "" },
  persistTo: state,
  experimental: { disableExperimentalWarning: true, disableDevRegistry: true },
} as Parameters<typeof unstable_dev>[1]);

try {
  // Five active profiles: the rice reference under five names (scoring cost does not depend on the centroid).
  const profiles = ["rice", "bench-a", "bench-b", "bench-c", "bench-d"];
  for (const profile of profiles) {
    const res = await worker.fetch(`/v1/profiles/${profile}/versions?activate=true`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ ...rice, profile }),
    });
    if (res.status !== 201) throw new Error(`upload ${profile}: ${res.status} ${await res.text()}`);
  }
  const post = async (path: string, bytes: Uint8Array) => {
    const t0 = performance.now();
    const res = await worker.fetch(path, { method: "POST", headers: { "content-type": "image/jpeg" }, body: bytes });
    const body = (await res.json()) as { profiles?: unknown[] };
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - t0, body };
  };
  const query = `profiles=${profiles.join(",")}`;
  for (const p of photos) {
    // Warm up: ORT session, isolate caches of the five references.
    for (let i = 0; i < 3; i++) {
      await post("/v1/check?profile=rice", p.bytes);
      const id = await post(`/v1/identify?${query}`, p.bytes);
      if (id.body.profiles?.length !== profiles.length) throw new Error("identify did not score the five profiles");
    }
    const check: number[] = [];
    const identify: number[] = [];
    const identifyAll: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      check.push((await post("/v1/check?profile=rice", p.bytes)).ms);
      identify.push((await post(`/v1/identify?${query}`, p.bytes)).ms);
      identifyAll.push((await post("/v1/identify", p.bytes)).ms);
    }
    const c = median(check);
    const i5 = median(identify);
    const ia = median(identifyAll);
    console.log(
      `${p.name}: median of ${ROUNDS} — /v1/check ${c.toFixed(1)} ms, /v1/identify (5 profiles named) ${i5.toFixed(1)} ms = ${(i5 / c).toFixed(3)}×, ` +
        `/v1/identify (all active, listed from KV) ${ia.toFixed(1)} ms = ${(ia / c).toFixed(3)}× (goal ≤ 1.10×)`,
    );
  }
} finally {
  await worker.stop();
  rmSync(state, { recursive: true, force: true });
}
