// `npm run bench:load [-- --url http://127.0.0.1:8787 --concurrency 64 --requests 640 --image F]`:
// N uploads, C at a time, against a running worker (`npm start` by default), counting every answer by
// status and body code. Only for 127.0.0.1/localhost: it is a load generator.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:8787" },
    concurrency: { type: "string", default: "64" },
    requests: { type: "string", default: "640" },
    image: { type: "string", default: "test/fixtures/images/rice-brownspot.jpg" },
  },
});
const base = new URL(values.url!);
if (!["127.0.0.1", "localhost", "[::1]"].includes(base.hostname)) throw new Error(`bench:load only targets this machine, not ${base.hostname}`);
const concurrency = Math.max(1, Math.min(256, Number(values.concurrency)));
const total = Math.max(1, Math.min(100_000, Number(values.requests)));
const image = readFileSync(values.image!);

const outcomes = new Map<string, number>();
const latencies: number[] = [];
let next = 0;
const count = (k: string) => outcomes.set(k, (outcomes.get(k) ?? 0) + 1);

async function worker() {
  while (next < total) {
    next++;
    const t0 = performance.now();
    try {
      const res = await fetch(new URL("/v1/check", base), { method: "POST", headers: { "content-type": "image/jpeg" }, body: image });
      const text = await res.text();
      latencies.push(performance.now() - t0);
      let code = "";
      try {
        code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? "";
      } catch {
        code = `non-JSON: ${text.slice(0, 80).replace(/\s+/g, " ")}`;
      }
      count(`${res.status}${code ? ` ${code}` : ""}${res.headers.get("x-request-id") ? "" : " (no X-Request-Id)"}`);
    } catch (err) {
      count(`network error: ${err instanceof Error ? (err.cause as Error | undefined)?.message ?? err.message : String(err)}`);
    }
  }
}

const t0 = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]?.toFixed(0);
const ok = outcomes.get("200") ?? 0;
console.log(`bench:load ${values.url} — ${total} uploads of ${values.image} (${image.length} bytes), ${concurrency} at a time, ${seconds.toFixed(1)} s (${(total / seconds).toFixed(1)}/s)`);
console.log(`latency ms: p50 ${pct(50)}, p90 ${pct(90)}, p99 ${pct(99)}, max ${latencies.at(-1)?.toFixed(0)}`);
for (const [k, n] of [...outcomes].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(6)}  ${k}`);
console.log(`lost (anything but 200): ${total - ok} of ${total}`);
process.exitCode = total - ok === 0 ? 0 : 1;
