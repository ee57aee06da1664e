// `npm run bench:memory [-- --requests 10000]`: one fresh isolate (bench/worker.ts via unstable_dev, which
// serves the production app under /v1/*) — first its cold first verdict split into stages, then N checks
// through the production POST /v1/check, sampling every N/10 requests the isolate's JS heap (V8's
// Runtime.getHeapUsage over wrangler's inspector: workerd gives the worker no heap figure without
// nodejs_compat), ORT's wasm memory (the bench worker's own debug-only report) and the workerd process's
// RSS. Figures are printed, not asserted.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { unstable_dev } from "wrangler";
import { descendants } from "./proc";

const ROOT = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "4" },
    image: { type: "string", default: join(ROOT, "test/fixtures/images/rice-brownspot.jpg") },
  },
});
const total = Math.max(10, Math.min(200_000, Number(values.requests)));
const concurrency = Math.max(1, Math.min(64, Number(values.concurrency)));
// 100 samples; the table prints every 10th. The inspector cannot force a GC in workerd, so a sample's JS
// heap includes garbage: the lowest sample of a stretch (just after a GC) is what the isolate retains.
const every = Math.max(1, Math.round(total / 100));
const image = readFileSync(values.image!);
const MiB = (b: number | null) => (b === null ? "n/a" : (b / 2 ** 20).toFixed(1));

function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) * 1024;
}
/** The user worker's workerd process: the largest workerd descendant of this process. */
function workerdPid(): number | undefined {
  const all = descendants(process.pid);
  const workerd = all.filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, "utf8").includes("workerd");
    } catch {
      return false;
    }
  });
  return workerd.sort((a, b) => rssBytes(b) - rssBytes(a))[0];
}

/** A minimal Chrome DevTools Protocol client over wrangler's inspector proxy (it wants a local Origin). */
async function inspector(port: number) {
  const list = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string }[];
  const ws = new WebSocket(list[0]!.webSocketDebuggerUrl, { headers: { origin: "http://127.0.0.1" } } as unknown as string[]);
  await new Promise((ok, fail) => ((ws.onopen = ok), (ws.onerror = fail)));
  let id = 0;
  const pending = new Map<number, (result: unknown) => void>();
  ws.onmessage = (e) => {
    const m = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
    if (m.id !== undefined) pending.get(m.id)?.(m.result), pending.delete(m.id);
  };
  const send = <T>(method: string) =>
    new Promise<T | null>((ok) => {
      const i = ++id;
      pending.set(i, ok as (r: unknown) => void);
      ws.send(JSON.stringify({ id: i, method, params: {} }));
      setTimeout(() => pending.delete(i) && ok(null), 5000); // never wait forever on a silent inspector
    });
  return {
    heap: () => send<{ usedSize: number; totalSize: number; backingStorageSize?: number }>("Runtime.getHeapUsage"),
    close: () => ws.close(),
  };
}

const INSPECTOR_PORT = 9300 + Math.floor(Math.random() * 600);
const adminToken = randomBytes(16).toString("hex");
const worker = await unstable_dev(join(ROOT, "bench/worker.ts"), {
  config: join(ROOT, "wrangler.toml"),
  ip: "127.0.0.1",
  logLevel: "none",
  inspectorPort: INSPECTOR_PORT,
  // Its own throwaway KV (the reference seeded below must not become a version in npm start's local KV).
  persistTo: mkdtempSync(join(tmpdir(), "cropgate-bench-memory-")),
  vars: { ADMIN_TOKEN: adminToken, API_KEYS: "", RATE_LIMIT: "off" },
  experimental: { disableExperimentalWarning: true, disableDevRegistry: true },
} as Parameters<typeof unstable_dev>[1]);
// The worker logs a JSON line per request; with 10 000 requests that is noise here.
const realLog = console.log;
try {
  await (await worker.fetch("/noop")).text(); // start the isolate (module load) before timing the cold verdict
  const cold = (await (await worker.fetch("/cold", { method: "POST", body: image })).json()) as Record<string, number | Record<string, number | null>>;
  const f = (k: string) => (cold[k] as number).toFixed(1);
  realLog(`cropgate bench:memory — ${new Date().toISOString()}, node ${process.version}, load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
  realLog(
    `cold first verdict (inside the isolate, performance.now()): wasm instantiation ${f("instantiateMs")} ms + model sha256 check ${f("sha256Ms")} ms + session creation ${f("sessionMs")} ms` +
      ` = embedder ${f("embedderMs")} ms; decode+preprocess ${f("decodeAndPreprocessMs")} ms; first inference ${f("firstInferenceMs")} ms (second: ${f("secondInferenceMs")} ms)` +
      `; total ${((cold.embedderMs as number) + (cold.decodeAndPreprocessMs as number) + (cold.firstInferenceMs as number)).toFixed(1)} ms`,
  );

  const reference = readFileSync(join(ROOT, "models/references/rice.json"));
  const seeded = await worker.fetch("/v1/profiles/rice/versions?activate=true", {
    method: "POST",
    headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
    body: reference,
  });
  if (seeded.status !== 201 && seeded.status !== 200) throw new Error(`seeding the reference failed: ${seeded.status} ${await seeded.text()}`);

  const pid = workerdPid();
  const cdp = await inspector(INSPECTOR_PORT).catch((err: unknown) => (realLog(`no inspector (${String(err)}): JS heap not sampled`), null));
  const samples: { done: number; wasm: number | null; heap: number | null; backing: number | null; rss: number | null }[] = [];
  const sample = async (done: number) => {
    const m = (await (await worker.fetch("/debug/memory")).json()) as { wasmMemoryBytes: number | null };
    const h = cdp ? await cdp.heap() : null;
    samples.push({ done, wasm: m.wasmMemoryBytes, heap: h?.usedSize ?? null, backing: h?.backingStorageSize ?? null, rss: pid ? rssBytes(pid) : null });
  };
  await sample(0);
  let next = 0, done = 0, failed = 0;
  const t0 = performance.now();
  console.log = () => {};
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const res = await worker.fetch("/v1/check?profile=rice", { method: "POST", headers: { "content-type": "image/jpeg" }, body: image });
        await res.arrayBuffer();
        if (res.status !== 200) failed++;
        if (++done % every === 0) await sample(done);
      }
    }),
  );
  console.log = realLog;
  const seconds = (performance.now() - t0) / 1000;
  realLog(`${total} checks of ${values.image} (${image.length} bytes), ${concurrency} at a time: ${seconds.toFixed(0)} s, ${failed} not 200`);
  cdp?.close();
  // After the memory run: these extra sessions grow ORT's wasm memory, which never shrinks.
  const levels = (await (await worker.fetch("/session-levels")).json()) as Record<string, { createMs: number; inferMs: number }>;
  realLog(
    `ORT session creation / median inference by graph optimisation level (warm wasm; the worker uses "all"): ` +
      Object.entries(levels).map(([k, v]) => `${k} ${v.createMs.toFixed(0)} / ${v.inferMs.toFixed(1)} ms`).join(", "),
  );

  realLog(`${"requests".padStart(9)} ${"JS heap used MiB".padStart(17)} ${"ArrayBuffers MiB".padStart(17)} ${"ORT wasm MiB".padStart(13)} ${"workerd RSS MiB".padStart(16)}`);
  for (const s of samples.filter((_, i) => i % 10 === 0 || i === samples.length - 1)) realLog(`${String(s.done).padStart(9)} ${MiB(s.heap).padStart(17)} ${MiB(s.backing).padStart(17)} ${MiB(s.wasm).padStart(13)} ${MiB(s.rss).padStart(16)}`);
  const warm = samples.find((s) => s.done >= total / 10)!, last = samples.at(-1)!;
  const growth = (a: number | null, b: number | null) => (a === null || b === null ? "n/a" : ((b - a) / 2 ** 20).toFixed(1));
  realLog(
    `growth after warm-up (${warm.done} → ${last.done} requests): JS heap ${growth(warm.heap, last.heap)} MiB, ArrayBuffers ${growth(warm.backing, last.backing)} MiB, ORT wasm memory ${growth(warm.wasm, last.wasm)} MiB` +
      ` (goal ≤ 1 MiB); workerd process RSS ${growth(warm.rss, last.rss)} MiB (the whole runtime, not the isolate's 128 MB budget)`,
  );
  // Retained memory: the floor (lowest JS heap + ArrayBuffers sample) of the first and of the second half after warm-up.
  const after = samples.filter((s) => s.done >= warm.done && s.heap !== null);
  const half = Math.floor(after.length / 2);
  const floor = (xs: typeof samples) => Math.min(...xs.map((s) => s.heap! + (s.backing ?? 0)));
  if (after.length >= 4) {
    const [a, b] = [floor(after.slice(0, half)), floor(after.slice(half))];
    realLog(
      `retained JS heap + ArrayBuffers (lowest sample): ${MiB(a)} MiB in requests ${after[0]!.done}–${after[half - 1]!.done}, ${MiB(b)} MiB in ${after[half]!.done}–${last.done}: ${((b - a) / 2 ** 20).toFixed(2)} MiB growth (goal ≤ 1 MiB)`,
    );
  }
  const peak = Math.max(...samples.map((s) => (s.heap ?? 0) + (s.backing ?? 0) + (s.wasm ?? 0)));
  realLog(`largest isolate total seen (JS heap + ArrayBuffers + ORT wasm): ${MiB(peak)} MiB (limit 128 MB)`);
} finally {
  console.log = realLog;
  await worker.stop();
}
