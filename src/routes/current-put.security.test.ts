import { describe, expect, it } from "vitest";
import { call, errorOf, makeApp, riceReference, uniqueProfile, upload } from "../../test/worker/harness";

const app = makeApp();

describe("PUT /v1/profiles/{profile}/current (security)", () => {
  it.each([
    ["no token", {}],
    ["wrong token", { authorization: "Bearer wrong" }],
  ])("401 with %s, and the pointer does not move", async (_, headers) => {
    const profile = uniqueProfile();
    const v1 = await upload(app, riceReference({ profile }));
    const v2 = await upload(app, riceReference({ profile }), { activate: false });
    const res = await call(app, `/v1/profiles/${profile}/current`, {
      method: "PUT",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ version: v2 }),
    });
    expect(await errorOf(res)).toMatchObject({ status: 401, code: "unauthorized" });
    const listed = (await (await call(app, `/v1/profiles/${profile}/versions`)).json()) as any;
    expect(listed.current.version).toBe(v1);
  });
});
