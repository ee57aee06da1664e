import { describe, expect, it } from "vitest";
import { admin, call, errorOf, makeApp, riceReference, uniqueProfile } from "../../test/worker/harness";
import { MAX_REFERENCE_BYTES } from "./version-create";

const app = makeApp();
const post = (profile: string, body: BodyInit, headers: Record<string, string> = { "content-type": "application/json" }) =>
  call(app, `/v1/profiles/${profile}/versions`, { method: "POST", headers: { ...admin, ...headers }, body });
const versionsOf = async (profile: string) => (await call(app, `/v1/profiles/${profile}/versions`)).status;

describe("POST /v1/profiles/{profile}/versions (errors)", () => {
  it("409 and nothing stored for a reference made with another model or dimension", async () => {
    const profile = uniqueProfile();
    const rice = riceReference({ profile });
    const other = await post(profile, JSON.stringify({ ...rice, model: { ...rice.model, sha256: "a".repeat(64) } }));
    const err = await errorOf(other);
    expect(err).toMatchObject({ status: 409, code: "model_mismatch" });
    expect(err.message).toMatch(/enroll it again with this model/);
    const centroid = rice.centroid.slice(0, 256);
    const n = Math.hypot(...centroid);
    const smaller = { ...rice, model: { ...rice.model, dimension: 256 }, centroid: centroid.map((v) => v / n), prototypes: [], lookalikes: [],
      threshold: { ...rice.threshold, score: "centroid-cosine" as const } };
    expect(await errorOf(await post(profile, JSON.stringify(smaller)))).toMatchObject({ status: 409, code: "model_mismatch" });
    // An output the model does not have, or the right output with the wrong dimension.
    const noSuchOutput = { ...rice, model: { ...rice.model, output: "logits" } };
    const bad = await errorOf(await post(profile, JSON.stringify(noSuchOutput)));
    expect(bad).toMatchObject({ status: 409, code: "model_mismatch" });
    expect(bad.message).toMatch(/output logits/);
    const wrongDim = { ...rice, model: { ...rice.model, output: "features" } }; // a 512-d centroid, features are not
    expect(await errorOf(await post(profile, JSON.stringify(wrongDim)))).toMatchObject({ status: 409, code: "model_mismatch" });
    expect(await versionsOf(profile)).toBe(404);
  });

  it("400 with the failing fields for a reference that breaks the schema", async () => {
    const profile = uniqueProfile();
    const rice = riceReference({ profile });
    const cases: Array<[string, unknown, RegExp]> = [
      ["short centroid", { ...rice, centroid: rice.centroid.slice(1) }, /centroid/],
      ["not normalised", { ...rice, centroid: rice.centroid.map((v) => v * 2) }, /normalised/],
      ["bad schema id", { ...rice, schema: "cropgate.reference/v9" }, /schema/],
      ["NaN-ish threshold", { ...rice, threshold: { ...rice.threshold, value: 7 } }, /threshold/],
      ["missing calibration", { ...rice, calibration: undefined }, /calibration/],
      ["band above the threshold", { ...rice, threshold: { ...rice.threshold, lower: rice.threshold.value + 0.1 } }, /threshold\.lower: .*above threshold\.value/],
      ["prototype score without prototypes", { ...rice, prototypes: [], threshold: { ...rice.threshold, score: "prototype-max-cosine" } }, /prototypes: threshold\.score 'prototype-max-cosine' needs at least one prototype/],
      ["unknown score", { ...rice, threshold: { ...rice.threshold, score: "knn" } }, /threshold\.score/],
      ["malformed photo hashes", { ...rice, data: { photos: { hash: "sha256-16", sources: { a: ["xyz"] } } } }, /data\.photos/],
    ];
    for (const [name, body, field] of cases) {
      const err = await errorOf(await post(profile, JSON.stringify(body)));
      expect(err.status, name).toBe(400);
      expect(err.code, name).toBe("invalid_request");
      expect(err.message, name).toMatch(field);
    }
    expect(await errorOf(await post(profile, "{not json"))).toMatchObject({ status: 400 });
    expect(await versionsOf(profile)).toBe(404);
  });

  it("400 when the body's profile differs from the path; 400 for an invalid profile name", async () => {
    const profile = uniqueProfile();
    expect(await errorOf(await post(profile, JSON.stringify(riceReference({ profile: "rice" }))))).toMatchObject({ status: 400, code: "profile_mismatch" });
    expect((await post("Bad Name", JSON.stringify(riceReference()))).status).toBe(400);
  });

  it("413 over the size limit, 415 for a non-JSON body", async () => {
    const profile = uniqueProfile();
    expect(await errorOf(await post(profile, "x".repeat(MAX_REFERENCE_BYTES + 1)))).toMatchObject({ status: 413 });
    expect(await errorOf(await post(profile, "abc", { "content-type": "text/plain" }))).toMatchObject({ status: 415 });
  });
});
