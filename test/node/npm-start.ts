import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";

const REPO = join(import.meta.dirname, "..", "..");

/** A running `npm start` on a free loopback port, for tests that need the real local worker. */
export interface LocalWorker {
  /** e.g. `http://127.0.0.1:43817` */
  readonly base: string;
  /** Everything npm, wrangler and workerd printed so far (for failure messages). */
  log(): string;
  /** Stops the whole process tree (npm → tsx → wrangler → workerd). */
  stop(): Promise<void>;
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

/** Starts `npm start -- --port <free port> [...args]` and resolves once `/health` answers. */
export async function startLocalWorker(args: string[] = [], timeoutMs = 150_000): Promise<LocalWorker> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let output = "";
  // Its own process group, so the whole tree can be stopped with one signal.
  const server = spawn("npm", ["start", "--", "--port", String(port), ...args], {
    cwd: REPO,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
  });
  server.stdout!.on("data", (d) => (output += d));
  server.stderr!.on("data", (d) => (output += d));
  const worker: LocalWorker = {
    base,
    log: () => output,
    async stop() {
      if (server.pid && server.exitCode === null) {
        process.kill(-server.pid, "SIGTERM");
        await new Promise((r) => server.once("exit", r));
      }
    },
  };
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`npm start exited:\n${output}`);
    if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) return worker;
    if (Date.now() > until) {
      await worker.stop();
      throw new Error(`no /health within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
