import { describe, expect, it } from "vitest";
import { admin, call, fixture, jpeg, makeApp, riceReference, thresholdAt, uniqueProfile, upload } from "../../test/worker/harness";

const app = makeApp();
const activate = (profile: string, version: string) =>
  call(app, `/v1/profiles/${profile}/current`, {
    method: "PUT",
    headers: { ...admin, "content-type": "application/json" },
    body: JSON.stringify({ version }),
  });

describe("PUT /v1/profiles/{profile}/current (happy paths)", () => {
  it("activates a new version and rolls back to the old one; checks follow at once in this isolate", async () => {
    const profile = uniqueProfile();
    const v1 = await upload(app, riceReference({ profile }));
    const v2 = await upload(app, riceReference({ profile, threshold: thresholdAt(-1) }), { activate: false });
    const checkVersion = async () =>
      ((await (await call(app, `/v1/check?profile=${profile}`, jpeg(fixture("coffee.jpg")))).json()) as any).reference.version;
    expect(await checkVersion()).toBe(v1);

    const res = await activate(profile, v2);
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.current.version).toBe(v2);
    expect(body.previous.version).toBe(v1);
    expect(body.propagation).toMatch(/60 seconds/);
    expect(await checkVersion()).toBe(v2);

    expect(((await (await activate(profile, v1)).json()) as any).current.version).toBe(v1); // roll back
    expect(await checkVersion()).toBe(v1);
    const listed = (await (await call(app, `/v1/profiles/${profile}/versions`)).json()) as any;
    expect(listed.versions.filter((v: any) => v.current).map((v: any) => v.version)).toEqual([v1]);
  });
});
