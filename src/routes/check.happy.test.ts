import { beforeAll, describe, expect, it } from "vitest";
import { call, fixture, jpeg, makeApp, manifest, riceReference, uniqueProfile, upload } from "../../test/worker/harness";

const app = makeApp();
const profile = uniqueProfile("rice");
let version: string;

beforeAll(async () => {
  version = await upload(app, riceReference({ profile }));
});

describe("POST /v1/check (happy paths)", () => {
  it("answers the full verdict shape for a rice photo", async () => {
    const res = await call(app, `/v1/check?profile=${profile}`, jpeg(fixture("rice-bacterial.jpg")));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, any>;
    expect(Object.keys(body).sort()).toEqual(
      ["confidence", "message", "model", "normal", "profile", "reference", "score", "threshold", "timings", "verdict"].sort(),
    );
    expect(body.profile).toBe(profile);
    expect(body.reference.version).toBe(version);
    expect(body.model).toEqual({ id: manifest.model.id, sha256: manifest.model.sha256 });
    expect(body.score).toBeGreaterThanOrEqual(-1);
    expect(body.score).toBeLessThanOrEqual(1);
    expect(body.threshold).toBe(riceReference().threshold.value);
    expect(body.normal).toBe(body.score >= body.threshold);
    expect(body.verdict).toBe(body.normal ? "normal" : "anomaly");
    expect(body.confidence).toBeGreaterThanOrEqual(0.5);
    expect(body.confidence).toBeLessThanOrEqual(1);
    expect(body.message).toMatch(/rice leaf/);
    for (const k of ["decodeMs", "preprocessMs", "inferenceMs", "totalMs"]) expect(typeof body.timings[k]).toBe("number");
  });
});
