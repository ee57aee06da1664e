import { beforeAll, describe, expect, it, vi } from "vitest";
import { createApp } from "../app";
import { IsolateCache } from "../references/cache";
import { call, errorOf, fixture, jpeg, makeApp, manifest, riceReference, uniqueProfile, upload } from "../../test/worker/harness";

const app = makeApp();
const profile = uniqueProfile("rice");
const keys = { API_KEYS: "key-one-123, key-two-456" };

beforeAll(async () => {
  await upload(app, riceReference({ profile }));
});

describe("POST /v1/check (security)", () => {
  it("needs no key when API_KEYS is unset or blank", async () => {
    expect((await call(app, `/v1/check?profile=${profile}`, jpeg(fixture("coffee.jpg")), { API_KEYS: " , " })).status).toBe(200);
  });

  it("401 without X-API-Key or with a wrong one when API_KEYS is set; any listed key works", async () => {
    const url = `/v1/check?profile=${profile}`;
    expect(await errorOf(await call(app, url, jpeg(fixture("coffee.jpg")), keys))).toMatchObject({ status: 401, code: "unauthorized" });
    const wrong = { ...jpeg(fixture("coffee.jpg")), headers: { "content-type": "image/jpeg", "x-api-key": "key-one-12" } };
    expect((await call(app, url, wrong, keys)).status).toBe(401);
    for (const key of ["key-one-123", "key-two-456"]) {
      const ok = { ...jpeg(fixture("coffee.jpg")), headers: { "content-type": "image/jpeg", "x-api-key": key } };
      expect((await call(app, url, ok, keys)).status).toBe(200);
    }
  });

  it("checks the key before reading the body (a huge body without a key is 401, not 413)", async () => {
    const res = await call(
      app,
      `/v1/check?profile=${profile}`,
      { method: "POST", headers: { "content-type": "image/jpeg", "content-length": String(1e9) }, body: "x" },
      keys,
    );
    expect(res.status).toBe(401);
  });

  it("answers a generic 500 for a real bug, without internals, and logs it", async () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const broken = createApp({
      manifest,
      getEmbedder: () => Promise.reject(new Error("secret internal detail /srv/model")),
      referenceCache: new IsolateCache(),
      now: () => new Date(),
    });
    const res = await call(broken, `/v1/check?profile=${profile}`, jpeg(fixture("coffee.jpg")));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "internal_error", message: expect.any(String) } });
    expect(text).not.toContain("secret internal detail");
    expect(log).toHaveBeenCalled();
    log.mockRestore();
  });
});
