import { describe, expect, it } from "vitest";
import { call, makeApp, riceReference, uniqueProfile, upload } from "../../test/worker/harness";

const app = makeApp();

describe("GET /v1/profiles, /versions, /versions/{version} (happy paths)", () => {
  it("lists profiles with their current pointer and the default profile", async () => {
    const profile = uniqueProfile();
    const v = await upload(app, riceReference({ profile, displayName: "test crop" }));
    const body = (await (await call(app, "/v1/profiles")).json()) as any;
    expect(body.defaultProfile).toBe("rice");
    expect(body.profiles.find((p: any) => p.profile === profile)).toMatchObject({ displayName: "test crop", current: { version: v } });
  });

  it("lists versions oldest first and reads one, embeddings only on request", async () => {
    const profile = uniqueProfile();
    const v1 = await upload(app, riceReference({ profile }));
    const v2 = await upload(app, riceReference({ profile }), { activate: false });
    const list = (await (await call(app, `/v1/profiles/${profile}/versions`)).json()) as any;
    expect(list.versions.map((v: any) => v.version)).toEqual([v1, v2]);
    expect(list.versions.map((v: any) => v.current)).toEqual([true, false]);

    const meta = (await (await call(app, `/v1/profiles/${profile}/versions/${v2}`)).json()) as any;
    expect(meta).toMatchObject({ profile, version: v2, current: false });
    expect(meta.reference.calibration).toBeDefined();
    expect(meta.reference.centroid).toBeUndefined();
    expect(meta.reference.prototypes).toBeUndefined();

    const full = (await (await call(app, `/v1/profiles/${profile}/versions/${v1}?include=embeddings`)).json()) as any;
    expect(full.current).toBe(true);
    expect(full.reference.centroid).toEqual(riceReference().centroid);
    expect(full.reference.prototypes.length).toBe(riceReference().prototypes.length);
  });
});
