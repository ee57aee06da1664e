// `npm start [-- wrangler dev options]`: local secrets, local KV seeded with the bundled rice reference,
// then `wrangler dev` on 127.0.0.1:8787 (override with `--port N`, `--ip ...`).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import { seedLocalReference } from "./local-kv";

const DEV_VARS = ".dev.vars";

/** Creates .dev.vars from the example with a random local ADMIN_TOKEN, only when it does not exist. */
export function ensureDevVars(path = DEV_VARS, examplePath = ".dev.vars.example"): { created: boolean } {
  if (existsSync(path)) return { created: false };
  const token = randomBytes(24).toString("base64url");
  const text = readFileSync(examplePath, "utf8").replace(/^ADMIN_TOKEN=.*$/m, `ADMIN_TOKEN=${token}`);
  writeFileSync(path, text, { mode: 0o600, flag: "wx" });
  return { created: true };
}

/**
 * Adds the defaults `wrangler dev` needs unless the user passed their own. Rate limiting (on in
 * wrangler.toml for deploys) is off locally, so tests and load runs against `npm start` are not
 * throttled; `npm start -- --var RATE_LIMIT:on` keeps it on.
 */
export function devArgs(userArgs: string[]): string[] {
  const has = (flag: string) => userArgs.some((a) => a === flag || a.startsWith(`${flag}=`));
  const setsRateLimit = userArgs.some((a) => /^(--var=)?RATE_LIMIT:/.test(a));
  return [
    "dev",
    ...(has("--ip") ? [] : ["--ip", "127.0.0.1"]),
    ...(has("--port") ? [] : ["--port", "8787"]),
    ...(setsRateLimit ? [] : ["--var", "RATE_LIMIT:off"]),
    ...userArgs,
  ];
}

/** `--persist-to DIR` (wrangler dev's own option): the local KV is DIR/v3, and the seed goes there too. */
export function persistPath(userArgs: string[]): string | undefined {
  const i = userArgs.findIndex((a) => a === "--persist-to" || a.startsWith("--persist-to="));
  if (i < 0) return undefined;
  const dir = userArgs[i]!.includes("=") ? userArgs[i]!.slice("--persist-to=".length) : userArgs[i + 1];
  return dir ? join(dir, "v3") : undefined;
}

async function main() {
  // Offline, miniflare's fetch of Request.cf data (workers.cloudflare.com/cf.json) fails with a warning a
  // newcomer takes for an error; its own switch uses the placeholder instead. CLOUDFLARE_CF_FETCH_ENABLED=true
  // brings the fetch back.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
  if (ensureDevVars().created) console.log(`start: created ${DEV_VARS} with a random local ADMIN_TOKEN (see that file)`);
  const args = process.argv.slice(2);
  const persist = persistPath(args);
  const seeded = await seedLocalReference("models/references/rice.json", persist ? { persistPath: persist } : {});
  console.log(
    seeded.status === "unchanged"
      ? `start: local KV already has the rice reference (${seeded.current.version})`
      : `start: seeded the rice reference into local KV as ${seeded.version.version}`,
  );
  // Run wrangler's CLI directly (not its bin wrapper) so a signal sent to this process reaches `wrangler dev`,
  // which then stops its workerd children.
  const cli = createRequire(import.meta.url).resolve("wrangler");
  const child = spawn(process.execPath, ["--no-warnings", "--experimental-vm-modules", cli, ...devArgs(args)], {
    stdio: "inherit",
    env: { WRANGLER_SEND_METRICS: "false", ...process.env },
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => child.kill(signal));
  // tsx may exit this process on a signal before the handler above runs; never leave wrangler orphaned.
  process.on("exit", () => child.exitCode === null && child.kill("SIGTERM"));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err) => {
    console.error(`start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
