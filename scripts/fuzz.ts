// `npm run fuzz -- [jpeg|body|all] [--seconds N | --runs N] [--jobs-dir DIR]`: coverage-guided fuzzing
// with Jazzer.js (libFuzzer in-process) of the targets in test/fuzz/targets.ts.
//
// 1. esbuild bundles test/fuzz/<target>.fuzz.ts with src/ into .fuzz/build/<target>.fuzz.cjs (packages
//    stay external, so Jazzer.js instruments our code, not zod or hono);
// 2. scripts/jazzer-runtime.sh says how Node must be started for Jazzer.js's prebuilt addon (on Debian 12:
//    under Debian 13's glibc, see there);
// 3. Jazzer.js runs with the working corpus .fuzz/corpus/<target> (kept between runs), the committed seeds
//    (test/fuzz/seeds/<target>) and past findings (test/fuzz/regressions/<target>); crashes and timeouts
//    are written to .fuzz/findings/<target>/.
// Prints libFuzzer's final statistics and a one-line summary per target; exits non-zero on a finding.
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const ROOT = resolve(import.meta.dirname, "..");
const TARGETS = {
  // --sync: the JPEG target is synchronous (several times faster under Jazzer.js than async mode).
  jpeg: { sync: true, maxLen: 16384 },
  body: { sync: false, maxLen: 16384 },
} as const;
type Target = keyof typeof TARGETS;

function args() {
  const a = process.argv.slice(2);
  const opt = (name: string) => {
    const i = a.indexOf(name);
    if (i < 0) return undefined;
    const v = a[i + 1];
    a.splice(i, 2);
    return v;
  };
  const seconds = opt("--seconds");
  const runs = opt("--runs");
  const which = a[0] ?? "all";
  if (which !== "all" && !(which in TARGETS)) throw new Error(`unknown target ${which} (jpeg, body or all)`);
  return { targets: (which === "all" ? Object.keys(TARGETS) : [which]) as Target[], seconds: seconds ? Number(seconds) : undefined, runs: runs ? Number(runs) : undefined };
}

function loadAverage(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

async function main() {
  const { targets, seconds, runs } = args();
  if (seconds === undefined && runs === undefined) throw new Error("give --seconds N or --runs N");
  const prefix = spawnSync("bash", [join(ROOT, "scripts/jazzer-runtime.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (prefix.status !== 0) throw new Error("scripts/jazzer-runtime.sh failed: Jazzer.js's addon cannot be loaded here");
  const launcher = prefix.stdout.trim().split(/\s+/).filter(Boolean);
  const node = realpathSync(join(ROOT, "node_modules/.bin/node"));
  const cli = join(ROOT, "node_modules/@jazzer.js/core/dist/cli.js");
  let failed = false;
  for (const target of targets) {
    const cfg = TARGETS[target];
    const bundle = join(ROOT, ".fuzz/build", `${target}.fuzz.cjs`);
    await build({
      entryPoints: [join(ROOT, "test/fuzz", `${target}.fuzz.ts`)],
      outfile: bundle,
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node22",
      packages: "external",
      logLevel: "warning",
    });
    const corpus = join(ROOT, ".fuzz/corpus", target);
    const findings = join(ROOT, ".fuzz/findings", target) + "/";
    mkdirSync(corpus, { recursive: true });
    mkdirSync(findings, { recursive: true });
    const dirs = [corpus, join(ROOT, "test/fuzz/seeds", target), join(ROOT, "test/fuzz/regressions", target)].filter(existsSync);
    const jazzer = [
      cli,
      bundle,
      ...dirs,
      ...(cfg.sync ? ["--sync"] : []),
      // Hard bound on one input (a real hang); the targets' own per-megapixel budgets are far tighter.
      "--timeout=30000",
      "--",
      ...(seconds !== undefined ? [`-max_total_time=${seconds}`] : []),
      ...(runs !== undefined ? [`-runs=${runs}`] : []),
      `-max_len=${cfg.maxLen}`,
      // Memory: the decoder refuses more than 96 MiB (maxDecoderMemoryMB) and frames over 50 MP from the
      // header; the whole process (Node ≈ 180 MB idle) must stay under this or libFuzzer reports it.
      "-rss_limit_mb=1536",
      `-artifact_prefix=${findings}`,
      "-print_final_stats=1",
    ];
    console.log(`fuzz ${target}: ${new Date().toISOString()}, load average ${loadAverage()}; corpus dirs ${dirs.map((d) => d.replace(ROOT + "/", "")).join(", ")}`);
    const t0 = Date.now();
    // libFuzzer's output goes whole to a log file as it comes, and to the terminal without its NEW/REDUCE lines.
    mkdirSync(join(ROOT, ".fuzz/logs"), { recursive: true });
    const logPath = join(ROOT, ".fuzz/logs", `${target}-${new Date().toISOString().replace(/[:.]/g, "-")}.log`);
    const log = createWriteStream(logPath);
    const child = spawn(launcher[0] ?? node, [...(launcher.length ? [...launcher.slice(1), node] : []), ...jazzer], { cwd: ROOT, stdio: ["ignore", "inherit", "pipe"] });
    let stderr = "";
    let pending = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      log.write(chunk);
      stderr += chunk;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const l of lines) if (!/^#\d+\s+(NEW|REDUCE)\s/.test(l)) process.stderr.write(l + "\n");
    });
    const status = await new Promise<number | null>((ok) => child.on("close", (code) => ok(code)));
    log.end();
    if (pending) process.stderr.write(pending + "\n");
    const r = { status, stderr };
    console.log(`fuzz ${target}: full libFuzzer log in ${logPath.replace(ROOT + "/", "")}`);
    const stat = (name: string) => new RegExp(`stat::${name}:\\s+(\\d+)`).exec(r.stderr)?.[1];
    // libFuzzer prints its final statistics at a normal end; after a finding only its progress lines say how far it got.
    const progress = [...r.stderr.matchAll(/^#(\d+)\s/gm)].map((m) => Number(m[1]));
    // libFuzzer's last progress line ("#N DONE ... exec/s: R") when its final statistics did not make it out.
    const done = /^#(\d+)\s+DONE\s.*exec\/s: (\d+)/m.exec(r.stderr);
    const artifacts = readdirSync(findings).filter((f) => /^(crash|timeout|oom|leak|slow-unit)-/.test(f));
    const corpusSize = readdirSync(corpus).length;
    console.log(
      `fuzz ${target} summary: exit ${r.status}, ${stat("number_of_executed_units") ?? done?.[1] ?? (progress.length ? `≥ ${Math.max(...progress)}` : "?")} executions in ${((Date.now() - t0) / 1000).toFixed(0)} s ` +
        `(${stat("average_exec_per_sec") ?? done?.[2] ?? "?"}/s), new units ${stat("new_units_added") ?? "?"}, slowest unit ${stat("slowest_unit_time_sec") ?? "?"} s, ` +
        `peak RSS ${stat("peak_rss_mb") ?? "?"} MB, working corpus ${corpusSize} files, findings in ${findings.replace(ROOT + "/", "")}: ${artifacts.length ? artifacts.join(", ") : "none"}; load average ${loadAverage()}`,
    );
    if (r.status !== 0 || artifacts.length) failed = true;
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
