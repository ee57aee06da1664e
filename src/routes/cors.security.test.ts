import { beforeAll, describe, expect, it } from "vitest";
import { parseAllowedOrigins } from "../http/cors";
import { admin, call, fixture, jpeg, makeApp, riceReference, uniqueProfile, upload } from "../../test/worker/harness";

const app = makeApp();
const profile = uniqueProfile("rice");
const APP_ORIGIN = "https://app.example";
const listed = { ALLOWED_ORIGINS: `${APP_ORIGIN}, https://other.example/` };
const corsHeaders = (res: Response) => [...res.headers.keys()].filter((k) => k.startsWith("access-control-"));
const preflight = (method: string, headers = "content-type", origin = APP_ORIGIN) => ({
  method: "OPTIONS",
  headers: { origin, "access-control-request-method": method, "access-control-request-headers": headers },
});

beforeAll(async () => {
  await upload(app, riceReference({ profile }));
});

describe("CORS", () => {
  it("ALLOWED_ORIGINS parses a comma list (trailing slashes dropped) or *; blank is off", () => {
    expect(parseAllowedOrigins(undefined)).toBeNull();
    expect(parseAllowedOrigins(" , ")).toBeNull();
    expect(parseAllowedOrigins("https://a.example/, https://b.example")).toEqual(["https://a.example", "https://b.example"]);
    expect(parseAllowedOrigins("https://a.example,*")).toBe("*");
  });

  it("sends no CORS headers at all when ALLOWED_ORIGINS is unset (wrangler.toml's default)", async () => {
    const pre = await call(app, "/v1/check", preflight("POST"));
    expect(pre.status).toBe(404);
    expect(corsHeaders(pre)).toEqual([]);
    const res = await call(app, `/v1/check?profile=${profile}`, { ...jpeg(fixture("coffee.jpg")), headers: { "content-type": "image/jpeg", origin: APP_ORIGIN } });
    expect(res.status).toBe(200);
    expect(corsHeaders(res)).toEqual([]);
  });

  it("answers a listed origin's preflight for POST /v1/check with the headers a browser needs", async () => {
    const res = await call(app, `/v1/check?profile=${profile}`, preflight("POST", "content-type,x-api-key"), listed);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(res.headers.get("access-control-allow-methods")).toBe("POST");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase().split(",")).toEqual(expect.arrayContaining(["content-type", "x-api-key"]));
    expect(res.headers.get("access-control-max-age")).toBe("600");
    expect(res.headers.get("vary")).toMatch(/origin/i);
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });

  it("gives the check's answers, errors included, Allow-Origin and exposes X-Request-Id and Retry-After", async () => {
    const ok = await call(app, `/v1/check?profile=${profile}`, { ...jpeg(fixture("coffee.jpg")), headers: { "content-type": "image/jpeg", origin: APP_ORIGIN } }, listed);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(ok.headers.get("access-control-expose-headers")?.toLowerCase()).toBe("x-request-id,retry-after");
    const bad = await call(app, `/v1/check?profile=${profile}`, { method: "POST", headers: { origin: APP_ORIGIN }, body: "" }, listed);
    expect(bad.status).toBe(400);
    expect(bad.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    const unauthorized = await call(app, `/v1/check?profile=${profile}`, { method: "POST", headers: { origin: APP_ORIGIN }, body: "x" }, { ...listed, API_KEYS: "k-1" });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
  });

  it("gives an origin that is not listed no Allow-Origin (the browser then refuses)", async () => {
    const pre = await call(app, "/v1/check", preflight("POST", "content-type", "https://evil.example"), listed);
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    const res = await call(app, `/v1/profiles`, { headers: { origin: "https://evil.example" } }, listed);
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });

  it('"*" allows any origin', async () => {
    const res = await call(app, "/v1/check", preflight("POST", "content-type", "https://anyone.example"), { ALLOWED_ORIGINS: "*" });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("covers the read-only profile routes for GET", async () => {
    for (const path of ["/v1/profiles", `/v1/profiles/${profile}/versions`]) {
      const pre = await call(app, path, preflight("GET", "x-request-id"), listed);
      expect(pre.status, path).toBe(204);
      expect(pre.headers.get("access-control-allow-methods"), path).toBe("GET,HEAD");
      const res = await call(app, path, { headers: { origin: APP_ORIGIN } }, listed);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("access-control-allow-origin"), path).toBe(APP_ORIGIN);
    }
  });

  it("never answers admin routes cross-origin: no preflight, no headers, even for a listed origin or *", async () => {
    for (const origins of [listed, { ALLOWED_ORIGINS: "*" }]) {
      const createPre = await call(app, `/v1/profiles/${profile}/versions`, preflight("POST", "authorization,content-type"), origins);
      expect(corsHeaders(createPre)).toEqual([]);
      expect(createPre.status).not.toBe(204);
      const putPre = await call(app, `/v1/profiles/${profile}/current`, preflight("PUT", "authorization,content-type"), origins);
      expect(corsHeaders(putPre)).toEqual([]);
      expect(putPre.status).not.toBe(204);
      const create = await call(
        app,
        `/v1/profiles/${profile}/versions`,
        { method: "POST", headers: { ...admin, origin: APP_ORIGIN, "content-type": "application/json" }, body: JSON.stringify(riceReference({ profile })) },
        origins,
      );
      expect(create.status).toBe(201);
      expect(corsHeaders(create)).toEqual([]);
      const put = await call(app, `/v1/profiles/${profile}/current`, { method: "PUT", headers: { ...admin, origin: APP_ORIGIN, "content-type": "application/json" }, body: "{}" }, origins);
      expect(put.status).toBe(400);
      expect(corsHeaders(put)).toEqual([]);
    }
  });
});
