import { describe, expect, it } from "vitest";
import { admin, call, makeApp, manifest, riceReference, uniqueProfile } from "../../test/worker/harness";

const app = makeApp();
const post = (profile: string, body: unknown, query = "") =>
  call(app, `/v1/profiles/${profile}/versions${query}`, {
    method: "POST",
    headers: { ...admin, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("POST /v1/profiles/{profile}/versions (happy paths)", () => {
  it("stores a version (201, Location) without activating it unless asked", async () => {
    const profile = uniqueProfile();
    const res = await post(profile, riceReference({ profile }));
    expect(res.status).toBe(201);
    const body = (await res.json()) as any;
    expect(body.current).toBeNull();
    expect(body.version).toMatchObject({
      displayName: riceReference().displayName,
      model: { sha256: manifest.model.sha256, dimension: 512 },
      current: false,
      compatible: true,
    });
    expect(res.headers.get("location")).toBe(`/v1/profiles/${profile}/versions/${body.version.version}`);
    const listed = (await (await call(app, `/v1/profiles/${profile}/versions`)).json()) as any;
    expect(listed.current).toBeNull();
    expect(listed.versions.map((v: any) => v.version)).toEqual([body.version.version]);
  });

  it("?activate=true makes it current", async () => {
    const profile = uniqueProfile();
    const body = (await (await post(profile, riceReference({ profile }), "?activate=true")).json()) as any;
    expect(body.current.version).toBe(body.version.version);
    expect(body.version.current).toBe(true);
  });

  it("keeps both of two concurrent uploads", async () => {
    const profile = uniqueProfile();
    const [a, b] = await Promise.all([post(profile, riceReference({ profile }), "?activate=true"), post(profile, riceReference({ profile }), "?activate=true")]);
    expect([a.status, b.status]).toEqual([201, 201]);
    const ids = [((await a.json()) as any).version.version, ((await b.json()) as any).version.version];
    expect(ids[0]).not.toBe(ids[1]);
    const listed = (await (await call(app, `/v1/profiles/${profile}/versions`)).json()) as any;
    expect(listed.versions.map((v: any) => v.version).sort()).toEqual([...ids].sort());
  });
});
