import { beforeAll, describe, expect, it } from "vitest";
import { call, errorOf, fixture, jpeg, makeApp, riceReference, uniqueProfile, upload } from "../../test/worker/harness";

const app = makeApp();
const profile = uniqueProfile("rice");
const inactive = uniqueProfile("inactive");

beforeAll(async () => {
  await upload(app, riceReference({ profile }));
  await upload(app, riceReference({ profile: inactive }), { activate: false });
});

const post = (init: RequestInit, query = `profiles=${profile}`) => call(app, `/v1/identify?${query}`, { method: "POST", ...init });

describe("POST /v1/identify (errors are JSON with the right status)", () => {
  it("400 for an empty body, 415 for a PNG, 422 for a truncated JPEG, 413 for a huge declared size", async () => {
    expect(await errorOf(await post({ body: new Uint8Array(0) }))).toMatchObject({ status: 400, code: "empty_body" });
    expect((await errorOf(await post(jpeg(fixture("variants/tiny.png"))))).status).toBe(415);
    expect([400, 422]).toContain((await errorOf(await post(jpeg(fixture("variants/coffee-truncated.jpg"))))).status);
    expect((await errorOf(await post(jpeg(fixture("variants/sof-65535x65535.jpg"))))).status).toBe(413);
  });

  it("400 for a malformed ?profiles= list", async () => {
    for (const q of ["profiles=Rice", "profiles=,", `profiles=${Array.from({ length: 65 }, (_, i) => `p${i}`).join(",")}`]) {
      expect(await errorOf(await post(jpeg(fixture("coffee.jpg")), q))).toMatchObject({ status: 400, code: "invalid_request" });
    }
  });

  it("404 when a named profile does not exist", async () => {
    const missing = uniqueProfile("missing");
    expect(await errorOf(await post(jpeg(fixture("coffee.jpg")), `profiles=${profile},${missing}`))).toMatchObject({
      status: 404,
      code: "profile_not_found",
    });
  });

  it("leaves out a profile without an active reference, and answers 503 when none is left", async () => {
    const res = await post(jpeg(fixture("coffee.jpg")), `profiles=${profile},${inactive}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { profiles: unknown[]; unavailable: { profile: string; code: string }[] };
    expect(body.profiles).toHaveLength(1);
    expect(body.unavailable).toEqual([expect.objectContaining({ profile: inactive, code: "no_reference" })]);
    expect(await errorOf(await post(jpeg(fixture("coffee.jpg")), `profiles=${inactive}`))).toMatchObject({ status: 503, code: "no_reference" });
  });
});
