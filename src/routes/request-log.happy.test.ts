import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../app";
import type { RequestLogLine } from "../http/observe";
import { IsolateCache } from "../references/cache";
import { ADMIN_TOKEN, admin, call, fixture, jpeg, makeApp, manifest, riceReference, uniqueProfile, upload } from "../../test/worker/harness";

const app = makeApp();
const profile = uniqueProfile("rice");
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Every console line written while `fn` runs, by level. */
async function captureLogs(fn: () => Promise<unknown>): Promise<{ level: string; text: string }[]> {
  const lines: { level: string; text: string }[] = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push({ level, text: args.map(String).join(" ") }));
  }
  await fn();
  vi.restoreAllMocks();
  return lines;
}
const parse = (text: string) => JSON.parse(text) as RequestLogLine;

beforeAll(async () => {
  await upload(app, riceReference({ profile }));
});
afterEach(() => vi.restoreAllMocks());

describe("X-Request-Id", () => {
  it("is on every response (verdicts, errors, unknown routes, preflights), a fresh UUID by default", async () => {
    const responses = [
      await call(app, `/v1/check?profile=${profile}`, jpeg(fixture("coffee.jpg"))),
      await call(app, `/v1/check?profile=${profile}`, { method: "POST", body: "" }),
      await call(app, "/v1/nowhere"),
      await call(app, "/health"),
      await call(app, "/v1/check", { method: "OPTIONS", headers: { origin: "https://a.example", "access-control-request-method": "POST" } }, { ALLOWED_ORIGINS: "*" }),
      await call(app, `/v1/profiles/${profile}/current`, { method: "PUT", body: "{}" }),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 400, 404, 200, 204, 401]);
    const ids = responses.map((r) => r.headers.get("x-request-id"));
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("keeps a sane client id and replaces anything else", async () => {
    const sane = "req_2026-11-29=abc";
    expect((await call(app, "/health", { headers: { "x-request-id": sane } })).headers.get("x-request-id")).toBe(sane);
    for (const insane of ["a".repeat(129), "has space", "quote\"d", "semi;colon", "<script>"]) {
      expect((await call(app, "/health", { headers: { "x-request-id": insane } })).headers.get("x-request-id"), insane).toMatch(UUID);
    }
  });
});

describe("the request log", () => {
  it("writes one JSON line per check with id, route, profile, version, verdict, score, status, timings and body bytes", async () => {
    const photo = fixture("rice-bacterial.jpg");
    let res!: Response;
    const lines = await captureLogs(async () => {
      res = await call(app, `/v1/check?profile=${profile}`, { ...jpeg(photo), headers: { "content-type": "image/jpeg", "content-length": String(photo.length), "x-request-id": "check-1" } });
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { verdict: string; score: number; reference: { version: string } };
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe("log");
    const line = parse(lines[0]!.text);
    expect(line).toMatchObject({
      message: "request",
      id: "check-1",
      method: "POST",
      route: "/v1/check",
      path: "/v1/check",
      status: 200,
      profile,
      version: body.reference.version,
      verdict: body.verdict,
      score: body.score,
      bodyBytes: photo.length,
    });
    expect(Object.keys(line.timings!).sort()).toEqual(["decodeMs", "inferenceMs", "preprocessMs", "totalMs"]);
    expect(typeof line.ms).toBe("number");
  });

  it("logs the route pattern, not only the path, and errors once in the same line", async () => {
    const lines = await captureLogs(async () => {
      await call(app, `/v1/profiles/${profile}/versions/20200101T000000000Z-000000000000`, { headers: { "x-request-id": "missing-1" } });
    });
    expect(lines).toHaveLength(1);
    expect(parse(lines[0]!.text)).toMatchObject({
      id: "missing-1",
      route: "/v1/profiles/:profile/versions/:version",
      status: 404,
      error: { code: expect.stringMatching(/not_found/) },
    });
  });

  it("never contains image bytes, API keys or the admin token", async () => {
    const photo = fixture("coffee.jpg");
    const b64 = btoa(Array.from(photo.subarray(0, 3000), (b) => String.fromCharCode(b)).join(""));
    const key = "secret-api-key-0123456789";
    const lines = await captureLogs(async () => {
      const keyed = { API_KEYS: key };
      await call(app, `/v1/check?profile=${profile}`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": key }, body: JSON.stringify({ image: b64 }) }, keyed);
      await call(app, `/v1/check?profile=${profile}`, { method: "POST", headers: { "content-type": "image/jpeg", "x-api-key": "wrong-key-9876" }, body: photo }, keyed);
      await call(app, `/v1/profiles/${profile}/current`, { method: "PUT", headers: { ...admin, "content-type": "application/json" }, body: "{}" });
      await call(app, `/v1/profiles/${profile}/current`, { method: "PUT", headers: { authorization: "Bearer guessed-token-555" }, body: "{}" });
    });
    expect(lines).toHaveLength(4);
    for (const { text } of lines) {
      for (const secret of [key, "wrong-key-9876", ADMIN_TOKEN, "guessed-token-555", b64.slice(0, 40), b64.slice(1000, 1040)]) expect(text).not.toContain(secret);
      expect(text.length).toBeLessThan(2000);
    }
  });

  it("logs an unexpected failure once, as an error with the stack, and tells the client nothing", async () => {
    const broken = createApp({
      manifest,
      getEmbedder: () => Promise.reject(new Error("wasm exploded")),
      referenceCache: new IsolateCache(),
      now: () => new Date(),
    });
    let res!: Response;
    const lines = await captureLogs(async () => {
      res = await call(broken, `/v1/check?profile=${profile}`, { ...jpeg(fixture("coffee.jpg")), headers: { "content-type": "image/jpeg", "x-request-id": "boom-1" } });
    });
    expect(res.status).toBe(500);
    expect(res.headers.get("x-request-id")).toBe("boom-1");
    expect(await res.text()).not.toContain("wasm exploded");
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe("error");
    const line = parse(lines[0]!.text);
    expect(line).toMatchObject({ id: "boom-1", status: 500, error: { code: "internal_error", message: "Error: wasm exploded" } });
    expect(line.error!.stack).toContain("wasm exploded");
  });
});
