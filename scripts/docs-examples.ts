/**
 * `npm run docs:examples [-- file.md …]`: records every console example of README.md and docs/*.md from a
 * real run and rewrites it in place, stamped with the model and reference it ran with (scripts/docs/blocks.ts
 * describes the format; the drift test fails on a stale stamp).
 *
 * It starts its own `npm start` on a free port with a fresh local KV (a temporary folder: the rice reference
 * seeded, nothing else), runs each block's commands in one bash, in order, from the repository root, with
 * `ADMIN_TOKEN` from .dev.vars in the environment and 127.0.0.1:8787 pointed at that port (and written
 * back as 8787 in the output). `npm install` is not run (it already was); `npm start` shows the generator's
 * own server start. Needs only `npm install` and the repository; blocks marked `needs=<path>` (the shared
 * data set) are kept as they are, with a warning, when that path is missing.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { startLocalWorker } from "../test/node/npm-start";
import { type Block, type Command, formatMarker, parseBlocks, renderCommands } from "./docs/blocks";
import { shippedFacts } from "./docs/facts";

const REPO = join(import.meta.dirname, "..");
const DOC_PORT = "127.0.0.1:8787";
const COMMAND_TIMEOUT_MS = 10 * 60_000;
/** Separates the commands' outputs in the one bash a block runs in (ASCII record separator). */
const RS = "\x1e";

/** The docs whose console examples are recorded: the README and docs/*.md. */
export function docFiles(repo = REPO): string[] {
  return ["README.md", ...readdirSync(join(repo, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
}

/** The start of `npm start` as a person sees it: our own lines, then wrangler's "Ready on". */
function startOutput(log: string, port: string): string[] {
  const lines = log.split("\n").map((l) => l.replaceAll(port, DOC_PORT));
  const ours = lines.filter((l) => l.startsWith("start: "));
  const ready = lines.find((l) => l.includes("Ready on"));
  return [...ours, "...", ...(ready ? [ready.trim()] : [])];
}

function pretty(output: string): string {
  try {
    return JSON.stringify(JSON.parse(output), null, 2);
  } catch {
    return output;
  }
}

/** Runs a block's commands in one bash (so `$?`, variables and files carry over) and splits their outputs. */
async function runCommands(commands: readonly Command[], env: NodeJS.ProcessEnv, port: string): Promise<string[]> {
  const script = commands
    .map((c) => `${c.text.replaceAll(DOC_PORT, port)}\n__status=$?; printf '${RS}'; (exit $__status)`)
    .join("\n");
  const child = spawn("bash", ["-c", `exec 2>&1\n${script}`], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const timer = setTimeout(() => child.kill("SIGTERM"), COMMAND_TIMEOUT_MS * commands.length);
  await new Promise((resolve) => child.on("close", resolve));
  clearTimeout(timer);
  const parts = out.split(RS);
  if (parts.length < commands.length + 1) throw new Error(`the block stopped early:\n${out}`);
  return parts.slice(0, commands.length).map((p) => p.replace(/\n$/, "").replaceAll(port, DOC_PORT));
}

async function record(block: Block, lines: string[], ctx: { env: NodeJS.ProcessEnv; port: string; log: () => string }) {
  if (block.lang === "json") {
    const id = block.options.get("log");
    if (!id) return;
    const line = ctx.log().split("\n").find((l) => l.includes(`"id":"${id}"`));
    if (!line) throw new Error(`no worker log line with "id":"${id}" (is it after the console block that sends it?)`);
    lines.splice(block.open + 1, block.close - block.open - 1, line.slice(line.indexOf("{")).trim().replaceAll(ctx.port, DOC_PORT));
    return;
  }
  const runnable = block.commands.filter((c) => !/^npm (install|ci)\b/.test(c.text) && !/^npm start\b/.test(c.text));
  const outputs = await runCommands(runnable, ctx.env, ctx.port);
  let next = 0;
  const json = block.options.has("json");
  const commands = block.commands.map((c): Command => {
    if (/^npm (install|ci)\b/.test(c.text)) return { text: c.text, output: [] };
    if (/^npm start\b/.test(c.text)) return { text: c.text, output: startOutput(ctx.log(), ctx.port) };
    const output = outputs[next++]!;
    const shown = json ? pretty(output) : output;
    // A blank line after an output keeps the next "$" apart, as the docs always did.
    return { text: c.text, output: shown === "" ? [] : [...shown.split("\n")] };
  });
  const rendered = commands.flatMap((c, i) => [...renderCommands([c]), ...(i < commands.length - 1 && c.output.length > 0 ? [""] : [])]);
  lines.splice(block.open + 1, block.close - block.open - 1, ...rendered);
}

async function main() {
  const only = process.argv.slice(2);
  const files = only.length > 0 ? only.map((f) => relative(REPO, join(process.cwd(), f))) : docFiles();
  const { stamp } = shippedFacts(REPO);
  const state = mkdtempSync(join(tmpdir(), "cropgate-docs-"));
  console.log(`docs:examples: starting npm start with a fresh local KV (${state})…`);
  const server = await startLocalWorker(["--persist-to", join(state, "state")], 180_000);
  const port = server.base.replace("http://", "");
  // npm start has made .dev.vars by now; the admin examples use its token, as the docs tell people to.
  const token = /^ADMIN_TOKEN=(.+)$/m.exec(readFileSync(join(REPO, ".dev.vars"), "utf8"))?.[1] ?? "";
  const env = { ...process.env, ADMIN_TOKEN: token, NO_COLOR: "1", FORCE_COLOR: "0", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
  let recorded = 0;
  const kept: string[] = [];
  try {
    for (const file of files) {
      const path = join(REPO, file);
      const lines = readFileSync(path, "utf8").split("\n");
      // Commands run top-down; the new bodies are put in bottom-up, so the line numbers of the others hold.
      const blocks = parseBlocks(lines.join("\n"));
      const results: { block: Block; lines: string[] }[] = [];
      for (const block of blocks) {
        const needs = block.options.get("needs");
        if (needs && !existsSync(join(REPO, needs))) {
          kept.push(`${file}:${block.open + 1} (needs ${needs})`);
          continue;
        }
        const copy = [...lines];
        process.stdout.write(`  ${file}:${block.open + 1} ${block.commands.map((c) => c.text.split("\n")[0]).join(" · ").slice(0, 100)}\n`);
        await record(block, copy, { env, port, log: () => server.log() });
        results.push({ block, lines: copy.slice(block.open + 1, copy.length - (lines.length - block.close)) });
      }
      for (const { block, lines: body } of results.reverse()) {
        lines.splice(block.open + 1, block.close - block.open - 1, ...body);
        const options = new Map(block.options);
        options.set("model", stamp.model);
        options.set("reference", stamp.reference);
        if (block.markerLine >= 0) lines[block.markerLine] = formatMarker(options);
        else lines.splice(block.open, 0, formatMarker(options));
        recorded++;
      }
      writeFileSync(path, lines.join("\n"));
    }
  } finally {
    await server.stop();
    rmSync(state, { recursive: true, force: true });
  }
  console.log(`docs:examples: recorded ${recorded} examples (model ${stamp.model}, reference ${stamp.reference})`);
  if (kept.length > 0) console.warn(`docs:examples: kept ${kept.length} as they were (missing data): ${kept.join(", ")}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(`docs:examples: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
