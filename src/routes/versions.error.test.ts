import { describe, expect, it } from "vitest";
import { call, errorOf, makeApp, riceReference, uniqueProfile, upload } from "../../test/worker/harness";

const app = makeApp();

describe("GET /v1/profiles/{profile}/versions[/{version}] (errors)", () => {
  it("404 for unknown profiles and versions, 400 for malformed ones", async () => {
    expect(await errorOf(await call(app, `/v1/profiles/${uniqueProfile()}/versions`))).toMatchObject({ status: 404, code: "profile_not_found" });
    const profile = uniqueProfile();
    await upload(app, riceReference({ profile }));
    const missing = await call(app, `/v1/profiles/${profile}/versions/20991231T000000000Z-000000000000`);
    expect(await errorOf(missing)).toMatchObject({ status: 404, code: "version_not_found" });
    expect((await errorOf(await call(app, `/v1/profiles/${uniqueProfile()}/versions/20991231T000000000Z-000000000000`))).code).toBe("profile_not_found");
    expect(await errorOf(await call(app, "/v1/profiles/UPPER/versions"))).toMatchObject({ status: 400, code: "invalid_request" });
    expect(await errorOf(await call(app, `/v1/profiles/${profile}/versions/..%2F..%2Fcurrent`))).toMatchObject({ status: 400 });
    expect(await errorOf(await call(app, `/v1/profiles/${profile}/versions/20991231T000000000Z-000000000000?include=all`))).toMatchObject({ status: 400 });
  });

  it("404 JSON for unknown routes and methods", async () => {
    expect(await errorOf(await call(app, "/v2/nothing"))).toMatchObject({ status: 404, code: "not_found" });
    expect(await errorOf(await call(app, "/v1/check"))).toMatchObject({ status: 404 });
  });
});
