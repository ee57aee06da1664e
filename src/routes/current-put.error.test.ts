import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, call, errorOf, makeApp, manifest, riceReference, uniqueProfile, upload } from "../../test/worker/harness";
import { createReferenceStore } from "../references/store";

const app = makeApp();
const put = (profile: string, body: string) =>
  call(app, `/v1/profiles/${profile}/current`, { method: "PUT", headers: { ...admin, "content-type": "application/json" }, body });

describe("PUT /v1/profiles/{profile}/current (errors)", () => {
  it("404 for an unknown profile or version", async () => {
    const version = "20261127T193000123Z-0123456789ab";
    expect(await errorOf(await put(uniqueProfile(), JSON.stringify({ version })))).toMatchObject({ status: 404, code: "profile_not_found" });
    const profile = uniqueProfile();
    await upload(app, riceReference({ profile }));
    expect(await errorOf(await put(profile, JSON.stringify({ version })))).toMatchObject({ status: 404, code: "version_not_found" });
  });

  it("400 for a malformed body or version id", async () => {
    const profile = uniqueProfile();
    for (const body of ["{", "{}", '{"version":"latest"}', '{"version":3}']) {
      expect(await errorOf(await put(profile, body)), body).toMatchObject({ status: 400 });
    }
  });

  it("409 for a version stored for another model, and the pointer is unchanged", async () => {
    const profile = uniqueProfile();
    const good = await upload(app, riceReference({ profile }));
    const otherModel = { id: "old", sha256: "b".repeat(64), dimension: 512 };
    const old = await createReferenceStore({ kv: env.REFERENCES, model: otherModel }).create(
      riceReference({ profile, model: otherModel }),
    );
    expect(await errorOf(await put(profile, JSON.stringify({ version: old.version.version })))).toMatchObject({ status: 409, code: "model_mismatch" });
    const listed = (await (await call(app, `/v1/profiles/${profile}/versions`)).json()) as any;
    expect(listed.current.version).toBe(good);
    expect(listed.versions.find((v: any) => v.version === old.version.version).compatible).toBe(false);
    expect(manifest.model.sha256).not.toBe(otherModel.sha256);
  });
});
