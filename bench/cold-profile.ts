// `npx tsx bench/cold-profile.ts [--image PATH] [--query level=basic] [--out FILE.cpuprofile]`: where an
// isolate's first verdict spends its time. Starts bench/worker.ts in a fresh workerd with wrangler's
// inspector, starts V8's sampling CPU profiler over the Chrome DevTools Protocol, sends the isolate its
// first request (module load) and then /cold (the first verdict), and prints the functions with the most
// self time, grouped: our JS (src/), ORT's JS glue, ORT's wasm, V8 (GC, compilation), other. The profile
// itself can be opened in Chrome DevTools. Figures are printed, never asserted.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { unstable_dev } from "wrangler";

const ROOT = resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    image: { type: "string", default: join(ROOT, "test/fixtures/images/variants/astronaut-1024.jpg") },
    query: { type: "string", default: "" },
    out: { type: "string", default: join(mkdtempSync(join(tmpdir(), "cropgate-cold-")), "cold.cpuprofile") },
    top: { type: "string", default: "25" },
  },
});

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

async function cdp(port: number) {
  const list = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string }[];
  const ws = new WebSocket(list[0]!.webSocketDebuggerUrl, { headers: { origin: "http://127.0.0.1" } } as unknown as string[]);
  await new Promise((ok, fail) => ((ws.onopen = ok), (ws.onerror = fail)));
  let id = 0;
  const pending = new Map<number, (r: unknown) => void>();
  ws.onmessage = (e) => {
    const m = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
    if (m.id !== undefined) pending.get(m.id)?.(m.result), pending.delete(m.id);
  };
  const send = <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((ok) => {
      const i = ++id;
      pending.set(i, ok as (r: unknown) => void);
      ws.send(JSON.stringify({ id: i, method, params }));
    });
  return { send, close: () => ws.close() };
}

function group(url: string, name: string): string {
  if (/\(garbage collector\)|\(program\)|\(idle\)|\(root\)/.test(name)) return "V8/runtime";
  if (url.includes("wasm://") || /^wasm-function|^\$/.test(name)) return "ORT wasm";
  if (/onnxruntime-web|ort\.|ort-wasm/.test(url)) return "ORT JS glue";
  if (/src\/image/.test(url)) return "src/image (decode, preprocess)";
  if (/src\//.test(url)) return "src/ other";
  if (/zod|hono/.test(url)) return "zod/hono";
  return url ? "other JS" : "V8/runtime";
}

async function main() {
  const port = 9400 + Math.floor(Math.random() * 500);
  const worker = await unstable_dev(join(ROOT, "bench/worker.ts"), {
    config: join(ROOT, "wrangler.toml"),
    ip: "127.0.0.1",
    logLevel: "none",
    inspectorPort: port,
    experimental: { disableExperimentalWarning: true, disableDevRegistry: true },
  } as Parameters<typeof unstable_dev>[1]);
  try {
    await (await worker.fetch("/noop")).text(); // module load first: the isolate exists, nothing of ORT or the decoder has run
    const c = await cdp(port);
    await c.send("Profiler.enable");
    await c.send("Profiler.setSamplingInterval", { interval: 200 });
    await c.send("Profiler.start");
    const t0 = performance.now();
    const res = await worker.fetch(`/cold${values.query ? `?${values.query}` : ""}`, { method: "POST", body: readFileSync(values.image!) });
    const stages = (await res.json()) as Record<string, unknown>;
    const wall = performance.now() - t0;
    const { profile } = await c.send<{ profile: Profile }>("Profiler.stop");
    c.close();
    writeFileSync(values.out!, JSON.stringify(profile));
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    const groups = new Map<string, number>();
    let total = 0;
    profile.samples.forEach((s, i) => {
      const n = byId.get(s)!;
      const dt = (profile.timeDeltas[i] ?? 0) / 1000;
      const { functionName, url, lineNumber } = n.callFrame;
      const key = `${functionName || "(anonymous)"}  ${url.split("/").slice(-2).join("/")}:${lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + dt);
      const g = group(url, functionName);
      groups.set(g, (groups.get(g) ?? 0) + dt);
      total += dt;
    });
    console.log(`cold first verdict: ${wall.toFixed(0)} ms from outside, stages inside: ${JSON.stringify(Object.fromEntries(Object.entries(stages).filter(([, v]) => typeof v === "number").map(([k, v]) => [k, Math.round(v as number)])))}`);
    console.log(`load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}; profile: ${values.out} (${total.toFixed(0)} ms sampled)`);
    for (const [g, ms] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`  ${ms.toFixed(1).padStart(8)} ms  ${g}`);
    console.log(`top ${values.top} functions by self time:`);
    for (const [k, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`  ${ms.toFixed(1).padStart(8)} ms  ${k}`);
  } finally {
    await worker.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
