import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openLocalStore, seedLocalReference } from "../../scripts/local-kv";
import { devArgs, ensureDevVars, persistPath } from "../../scripts/start";

const dir = await mkdtemp(join(tmpdir(), "cropgate-start-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("npm start helpers", () => {
  it("creates .dev.vars once, with a random ADMIN_TOKEN, and never overwrites it", async () => {
    const example = join(dir, "example");
    await writeFile(example, "# comment\nADMIN_TOKEN=\nAPI_KEYS=\n");
    const a = join(dir, "a.vars");
    const b = join(dir, "b.vars");
    expect(ensureDevVars(a, example)).toEqual({ created: true });
    expect(ensureDevVars(b, example)).toEqual({ created: true });
    const tokenA = /^ADMIN_TOKEN=(.+)$/m.exec(await readFile(a, "utf8"))?.[1];
    const tokenB = /^ADMIN_TOKEN=(.+)$/m.exec(await readFile(b, "utf8"))?.[1];
    expect(tokenA).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(tokenA).not.toBe(tokenB);
    expect(await readFile(a, "utf8")).toContain("API_KEYS=\n");
    await writeFile(a, "ADMIN_TOKEN=mine\n");
    expect(ensureDevVars(a, example)).toEqual({ created: false });
    expect(await readFile(a, "utf8")).toBe("ADMIN_TOKEN=mine\n");
  });

  it("passes wrangler dev options through, defaulting to 127.0.0.1:8787 with rate limiting off", () => {
    const off = ["--var", "RATE_LIMIT:off"];
    expect(devArgs([])).toEqual(["dev", "--ip", "127.0.0.1", "--port", "8787", ...off]);
    expect(devArgs(["--port", "9000"])).toEqual(["dev", "--ip", "127.0.0.1", ...off, "--port", "9000"]);
    expect(devArgs(["--port=9001", "--ip", "0.0.0.0"])).toEqual(["dev", ...off, "--port=9001", "--ip", "0.0.0.0"]);
    // The user's own RATE_LIMIT wins: ours is not added.
    expect(devArgs(["--var", "RATE_LIMIT:on"])).toEqual(["dev", "--ip", "127.0.0.1", "--port", "8787", "--var", "RATE_LIMIT:on"]);
    expect(devArgs(["--var=RATE_LIMIT:on"])).toEqual(["dev", "--ip", "127.0.0.1", "--port", "8787", "--var=RATE_LIMIT:on"]);
  });

  it("seeds where wrangler dev keeps its KV: --persist-to DIR means DIR/v3, the default .wrangler/state", () => {
    expect(persistPath([])).toBeUndefined();
    expect(persistPath(["--port", "1", "--persist-to", "/tmp/s"])).toBe("/tmp/s/v3");
    expect(persistPath(["--persist-to=/tmp/t"])).toBe("/tmp/t/v3");
  });

  it("seeds the rice reference into local KV idempotently", async () => {
    const persistPath = join(dir, "state");
    const first = await seedLocalReference("models/references/rice.json", { persistPath });
    expect(first.status).toBe("created");
    const again = await seedLocalReference("models/references/rice.json", { persistPath });
    expect(again).toEqual({ status: "unchanged", current: first.current });
    const { store, dispose } = await openLocalStore({ persistPath });
    try {
      expect((await store.listVersions("rice")).length).toBe(1);
      expect((await store.resolve("rice", undefined)).version).toBe(first.current.version);
    } finally {
      await dispose();
    }
  }, 120_000);
});
