import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call, errorOf, makeApp, riceReference, uniqueProfile } from "../../test/worker/harness";

const app = makeApp();

describe("POST /v1/profiles/{profile}/versions (security)", () => {
  const attempts: Array<[string, Record<string, string>, Record<string, string>?]> = [
    ["no Authorization", {}],
    ["wrong token", { authorization: "Bearer not-the-token" }],
    ["token prefix", { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
    ["token with a suffix", { authorization: `Bearer ${ADMIN_TOKEN}x` }],
    ["Basic scheme", { authorization: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}` }],
    ["token in X-API-Key", { "x-api-key": ADMIN_TOKEN }],
    ["empty bearer when ADMIN_TOKEN is unset", { authorization: "Bearer " }, { ADMIN_TOKEN: "" }],
    ["any bearer when ADMIN_TOKEN is unset", { authorization: "Bearer anything" }, { ADMIN_TOKEN: "" }],
  ];

  it.each(attempts)("401 and nothing written: %s", async (_, headers, env) => {
    const profile = uniqueProfile();
    const res = await call(
      app,
      `/v1/profiles/${profile}/versions?activate=true`,
      { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(riceReference({ profile })) },
      env,
    );
    expect(await errorOf(res)).toMatchObject({ status: 401, code: "unauthorized" });
    expect((await call(app, `/v1/profiles/${profile}/versions`)).status).toBe(404);
    const profiles = (await (await call(app, "/v1/profiles")).json()) as { profiles: Array<{ profile: string }> };
    expect(profiles.profiles.map((p) => p.profile)).not.toContain(profile);
  });

  it("checks the token before the body: an invalid body without a token is 401, not 400", async () => {
    const res = await call(app, `/v1/profiles/${uniqueProfile()}/versions`, { method: "POST", headers: { "content-type": "application/json" }, body: "{" });
    expect(res.status).toBe(401);
  });
});
