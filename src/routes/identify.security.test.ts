import { beforeAll, describe, expect, it } from "vitest";
import { call, errorOf, fixture, jpeg, makeApp, riceReference, uniqueProfile, upload } from "../../test/worker/harness";

const app = makeApp();
const profile = uniqueProfile("rice");
const keys = { API_KEYS: "key-one-123" };

beforeAll(async () => {
  await upload(app, riceReference({ profile }));
});

describe("POST /v1/identify (security)", () => {
  it("needs the same API key as /v1/check when API_KEYS is set", async () => {
    const url = `/v1/identify?profiles=${profile}`;
    expect(await errorOf(await call(app, url, jpeg(fixture("coffee.jpg")), keys))).toMatchObject({ status: 401, code: "unauthorized" });
    const ok = { ...jpeg(fixture("coffee.jpg")), headers: { "content-type": "image/jpeg", "x-api-key": "key-one-123" } };
    expect((await call(app, url, ok, keys)).status).toBe(200);
  });

  it("checks the key before reading the body (a huge body without a key is 401, not 413)", async () => {
    const init = { method: "POST", headers: { "content-type": "image/jpeg", "content-length": String(1e9) }, body: "x" };
    expect((await call(app, `/v1/identify?profiles=${profile}`, init, keys)).status).toBe(401);
  });
});
