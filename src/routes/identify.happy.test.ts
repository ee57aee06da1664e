import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app";
import { imageToTensor } from "../image";
import type { Embedder } from "../model/session";
import { IsolateCache } from "../references/cache";
import { l2Normalize } from "../scoring";
import { call, fixture, jpeg, makeApp, manifest, riceReference, uniqueProfile, upload } from "../../test/worker/harness";
import { getEmbedder } from "../model/bundled";

const app = makeApp();
const rice = uniqueProfile("rice");
const cat = uniqueProfile("cat");
const cup = uniqueProfile("cup");
const unused = [uniqueProfile("x"), uniqueProfile("y")];
const mine = [rice, cat, cup, ...unused];

type Body = Record<string, any>;
const identify = async (bytes: Uint8Array, query = `profiles=${mine.join(",")}`, target = app): Promise<Body> => {
  const res = await call(target, `/v1/identify?${query}`, jpeg(bytes));
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Body;
};

/** A reference centred on one photo's embedding, with the rice reference's threshold and calibration. */
async function referenceOf(profile: string, displayName: string, photo: string) {
  const embedder = await getEmbedder();
  const centroid = Array.from(l2Normalize(await embedder.embed(imageToTensor(fixture(photo), manifest.preprocessing).tensor)));
  // Scored by its centroid: the rice reference's own prototypes are rice's, not this photo's.
  return riceReference({ profile, displayName, centroid, prototypes: [], threshold: { ...riceReference().threshold, score: "centroid-cosine" } });
}

beforeAll(async () => {
  await upload(app, riceReference({ profile: rice }));
  await upload(app, await referenceOf(cat, "cat", "chelsea.jpg"));
  await upload(app, await referenceOf(cup, "coffee cup", "coffee.jpg"));
  for (const p of unused) await upload(app, await referenceOf(p, "astronaut", "astronaut.jpg"));
});

describe("POST /v1/identify (happy paths)", () => {
  it("ranks every candidate, highest score first, and names the best passing one", async () => {
    const body = await identify(fixture("chelsea.jpg"));
    expect(Object.keys(body).sort()).toEqual(["best", "message", "model", "profiles", "quality", "timings", "unavailable"]);
    expect(body.profiles.map((p: Body) => p.profile).sort()).toEqual([...mine].sort());
    const scores = body.profiles.map((p: Body) => p.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(body.profiles[0]).toMatchObject({ profile: cat, displayName: "cat", normal: true });
    expect(body.profiles[0].score).toBeGreaterThan(0.999); // the photo its centroid was made from
    expect(body.best).toEqual(body.profiles[0]);
    expect(body.message).toBe("Cat photo: ready for the disease check.");
    expect(body.unavailable).toEqual([]);
    for (const p of body.profiles) {
      expect(Object.keys(p).sort()).toEqual(["confidence", "displayName", "lowerThreshold", "normal", "profile", "score", "threshold", "verdict", "version"]);
      expect(p.normal).toBe(p.score >= p.threshold);
      expect(p.normal).toBe(p.verdict === "normal");
    }
  });

  it("scores each profile exactly as /v1/check does", async () => {
    const photo = fixture("rice-brownspot.jpg");
    const body = await identify(photo);
    expect(body.best.profile).toBe(rice);
    for (const p of body.profiles) {
      const check = (await (await call(app, `/v1/check?profile=${p.profile}`, jpeg(photo))).json()) as Body;
      expect(p.score).toBe(check.score);
      expect(p.verdict).toBe(check.verdict);
      expect(p.lowerThreshold).toBe(check.lowerThreshold);
      expect(p.confidence).toBe(check.confidence);
      expect(p.version).toBe(check.reference.version);
    }
  });

  it("answers best: null when no profile passes, naming the crops it knows", async () => {
    const body = await identify(fixture("apple-leaf-healthy.jpg"), `profiles=${rice},${cat}`);
    expect(body.profiles.every((p: Body) => !p.normal)).toBe(true);
    expect(body.best).toBeNull();
    // The segmented apple leaf is on black, so "dark" leads the message.
    expect(body.message).toMatch(/(This|This photo) doesn't look like any crop checked here \((rice( leaf| plant)?, cat|cat, rice( leaf| plant)?)\)/);
  });

  it("never names an uncertain profile best: best is null and the message names the closest, asking for a retake", async () => {
    // The cat's reference with a band [0.5, 1): another encoding of the same cat lands in it.
    const unsure = uniqueProfile("unsure-cat");
    const catRef = await referenceOf(unsure, "cat", "chelsea.jpg");
    await upload(app, { ...catRef, threshold: { ...catRef.threshold, value: 1, lower: 0.5 } });
    const body = await identify(fixture("variants/chelsea-444.jpg"), `profiles=${unsure},${rice}`);
    expect(body.profiles[0]).toMatchObject({ profile: unsure, verdict: "uncertain", normal: false, threshold: 1, lowerThreshold: 0.5 });
    expect(body.profiles[1]).toMatchObject({ profile: rice, verdict: "anomaly" });
    expect(body.best).toBeNull();
    expect(body.message).toBe("Not sure which crop this is (closest: cat): fill the frame with one leaf, in daylight.");
    // A passing profile is best even when an uncertain one scores higher.
    const both = await identify(fixture("variants/chelsea-444.jpg"), `profiles=${unsure},${cat}`);
    expect(both.best.profile).toBe(cat);
  });

  it("runs one inference per request, whatever the number of profiles", async () => {
    let runs = 0;
    const counting = createApp({
      manifest,
      getEmbedder: async (): Promise<Embedder> => {
        const e = await getEmbedder();
        const run = (t: Float32Array) => (runs++, e.run(t));
        return { manifest: e.manifest, embed: (t, o) => e.embed(t, o), run };
      },
      referenceCache: new IsolateCache(),
      now: () => new Date(),
    });
    const body = await identify(fixture("coffee.jpg"), undefined, counting);
    expect(body.profiles).toHaveLength(5);
    expect(runs).toBe(1);
    expect(body.best.profile).toBe(cup);
  });

  it("considers every profile with an active reference when none is named", async () => {
    const body = await identify(fixture("coffee.jpg"), "");
    const names = body.profiles.map((p: Body) => p.profile);
    for (const p of mine) expect(names).toContain(p);
    expect(body.best.profile).toBe(cup);
  });

  it("reports quality: the lead of the message when no crop passes", async () => {
    const body = await identify(fixture("quality/rice-brownspot-dark.jpg"), `profiles=${cat}`);
    expect(body.quality).toEqual({ ok: false, issues: ["dark"] });
    expect(body.best).toBeNull();
    expect(body.message).toMatch(/^Too dark: retake the photo in daylight\. /);
  });
});
