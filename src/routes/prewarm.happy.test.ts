import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../app";
import { getEmbedder, manifest } from "../model/bundled";
import { IsolateCache } from "../references/cache";
import { ADMIN_TOKEN } from "../../test/worker/harness";

/** An app whose getEmbedder counts its calls and the embeds (it wraps the shared, already loaded embedder). */
function countingApp() {
  const calls = { n: 0, embeds: 0 };
  const app = createApp({
    manifest,
    getEmbedder: async () => {
      calls.n++;
      const real = await getEmbedder();
      return { ...real, embed: (...args: Parameters<typeof real.embed>) => (calls.embeds++, real.embed(...args)) };
    },
    referenceCache: new IsolateCache(),
    now: () => new Date(),
  });
  const request = async (path: string, init: RequestInit = {}, vars: Partial<Env> = {}) => {
    const ctx = createExecutionContext();
    const res = await app.request(path, init, { ...env, ADMIN_TOKEN, API_KEYS: "", RATE_LIMIT: "off", ...vars }, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
  return { calls, request };
}

describe("prewarming the model", () => {
  it("GET / (the web page, a check follows) starts loading the model after answering, once", async () => {
    const { calls, request } = countingApp();
    expect((await request("/")).status).toBe(200);
    expect(calls).toEqual({ n: 1, embeds: 1 }); // the session and one warm-up inference
    // once per app (isolate): reloading the page costs no more model CPU
    expect((await request("/")).status).toBe(200);
    expect(calls).toEqual({ n: 1, embeds: 1 });
  });

  it("so does a browser's CORS preflight for POST /v1/check", async () => {
    const { calls, request } = countingApp();
    const preflight = { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "POST" } };
    expect((await request("/v1/check", preflight, { ALLOWED_ORIGINS: "https://app.example" })).status).toBe(204);
    expect(calls.n).toBe(1);
  });

  it("health probes, reads and unknown paths do not (they must cost no model CPU)", async () => {
    const { calls, request } = countingApp();
    for (const path of ["/health", "/v1/profiles", "/openapi.json", "/nowhere"]) await request(path);
    await request("/v1/check", { method: "OPTIONS", headers: { origin: "https://app.example", "access-control-request-method": "POST" } });
    expect(calls.n).toBe(0);
  });
});
