import { beforeAll, describe, expect, it } from "vitest";
import { imageToTensor } from "../image";
import { getEmbedder } from "../model/bundled";
import { cosine, cropPhrase, l2Normalize } from "../scoring";
import { call, fixture, jpeg, makeApp, manifest, riceReference, thresholdAt, uniqueProfile, upload } from "../../test/worker/harness";

const app = makeApp();
const profile = uniqueProfile("rice");
let version: string;

type Check = Record<string, any>;
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const check = async (bytes: Uint8Array, query = `profile=${profile}`): Promise<Check> => {
  const res = await call(app, `/v1/check?${query}`, jpeg(bytes));
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Check;
};

beforeAll(async () => {
  version = await upload(app, riceReference({ profile }));
});

describe("POST /v1/check (happy paths)", () => {
  it("answers the full verdict shape", async () => {
    const body = await check(fixture("rice-bacterial.jpg"));
    expect(Object.keys(body).sort()).toEqual(
      ["confidence", "lookalike", "lowerThreshold", "message", "model", "normal", "profile", "quality", "reference", "score", "threshold", "timings", "verdict"].sort(),
    );
    expect(body.profile).toBe(profile);
    expect(body.reference).toEqual({ version, createdAt: riceReference().createdAt });
    expect(body.model).toEqual({ id: manifest.model.id, sha256: manifest.model.sha256 });
    expect(body.score).toBeGreaterThanOrEqual(-1);
    expect(body.score).toBeLessThanOrEqual(1);
    expect(body.threshold).toBe(riceReference().threshold.value);
    expect(body.lowerThreshold).toBe(riceReference().threshold.lower ?? body.threshold);
    expect(body.normal).toBe(body.score >= body.threshold);
    expect(body.normal).toBe(body.verdict === "normal");
    expect(body.confidence).toBeGreaterThanOrEqual(0.5);
    expect(body.confidence).toBeLessThanOrEqual(1);
    expect(body.message).toContain(body.normal ? cap(riceReference().displayName) : riceReference().displayName);
    expect(body.quality).toEqual({ ok: true, issues: [] });
    expect(body.lookalike).toBeNull(); // a photo that passes never gets one
    for (const k of ["decodeMs", "preprocessMs", "inferenceMs", "totalMs"]) expect(typeof body.timings[k]).toBe("number");
  });

  // These assert the model's behaviour: they pass only with the trained model, not the random placeholder.
  it.each(["rice-bacterial.jpg", "rice-brownspot.jpg", "rice-leafsmut.jpg"])("%s is rice (normal)", async (name) => {
    const body = await check(fixture(name));
    expect(body.verdict, `score ${body.score} vs threshold ${body.threshold}`).toBe("normal");
    expect(body.message).toBe(`${cap(riceReference().displayName)} photo: ready for the disease check.`);
  });

  it.each(["chelsea.jpg", "coffee.jpg", "astronaut.jpg", "apple-leaf-healthy.jpg"])("%s is not rice (anomaly)", async (name) => {
    const body = await check(fixture(name));
    expect(body.verdict, `score ${body.score} vs threshold ${body.threshold}`).toBe("anomaly");
    const refusal = `(This|This photo) doesn't look like ${cropPhrase(riceReference().displayName)}[ .]`;
    // The apple leaf is segmented on black: "dark" leads its message (a quality issue leads a refusal).
    expect(body.message).toMatch(new RegExp(body.quality.ok ? `^${refusal}` : `^Too dark: .* ${refusal}`));
  });

  it("scores the same photo identically as raw bytes, multipart (any field name) and base64 JSON", async () => {
    const bytes = fixture("rice-brownspot.jpg");
    const raw = await check(bytes);
    const form = new FormData();
    form.append("note", "a text field is ignored");
    form.append("whatever", new File([bytes], "leaf.jpg", { type: "image/jpeg" }));
    const multipart = (await (await call(app, `/v1/check?profile=${profile}`, { method: "POST", body: form })).json()) as Check;
    let binary = "";
    for (const b of bytes) binary += String.fromCharCode(b);
    const json = (await (
      await call(app, `/v1/check?profile=${profile}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ image: `data:image/jpeg;base64,${btoa(binary)}` }),
      })
    ).json()) as Check;
    const octet = (await (
      await call(app, `/v1/check?profile=${profile}`, { method: "POST", headers: { "content-type": "application/octet-stream" }, body: bytes })
    ).json()) as Check;
    expect(multipart.score).toBe(raw.score);
    expect(json.score).toBe(raw.score);
    expect(octet.score).toBe(raw.score);
  });

  it("uses DEFAULT_PROFILE when no profile is given, and a pinned version when asked", async () => {
    const other = await upload(app, riceReference({ profile, threshold: thresholdAt(-1) }), { activate: false });
    const res = await call(app, "/v1/check", jpeg(fixture("coffee.jpg")), { DEFAULT_PROFILE: profile });
    const byDefault = (await res.json()) as Check;
    expect(byDefault.profile).toBe(profile);
    expect(byDefault.reference.version).toBe(version);
    const pinned = await check(fixture("coffee.jpg"), `profile=${profile}&version=${other}`);
    expect(pinned.reference.version).toBe(other);
    expect(pinned.threshold).toBe(-1);
    expect(pinned.verdict).toBe("normal"); // every cosine is >= -1
  });

  it("scores a reference in the output it names: an enrolled crop in `features`", async () => {
    // What `npm run enroll` writes for a crop the head was never trained on: vectors of the model's `features`
    // output. Built here from the worker's own features of one photo, so that photo must score 1.
    const features = manifest.model.outputs!.find((o) => o.name === "features")!;
    const embedder = await getEmbedder();
    const tensorOf = (name: string) => imageToTensor(fixture(name), manifest.preprocessing).tensor;
    const own = l2Normalize(await embedder.embed(tensorOf("tomato/healthy.jpg"), "features"));
    const enrolled = uniqueProfile("tomato");
    const ref = riceReference({
      profile: enrolled,
      displayName: "tomato leaf",
      model: { ...riceReference().model, dimension: features.shape[1], output: "features" },
      centroid: Array.from(own),
      prototypes: [],
      lookalikes: [],
      threshold: { ...thresholdAt(0.5), score: "centroid-cosine" },
    });
    await upload(app, ref);
    const same = await check(fixture("tomato/healthy.jpg"), `profile=${enrolled}`);
    expect(same.score).toBeCloseTo(1, 5);
    expect(same.message).toMatch(/^Tomato leaf photo: /);
    // Scored in `features`, not the head's `embedding`: the rice profile gives the same photo another score.
    const asRice = await check(fixture("tomato/healthy.jpg"));
    expect(Math.abs(asRice.score - same.score)).toBeGreaterThan(0.05);
    const all = await embedder.run(tensorOf("chelsea.jpg"));
    expect(Object.keys(all).sort()).toEqual(manifest.model.outputs!.map((o) => o.name).sort());
    expect((await check(fixture("chelsea.jpg"), `profile=${enrolled}`)).score).toBeCloseTo(cosine(all.features!, own), 6);
  });

  it("keeps the verdict of a crop photo with a quality issue: a tip when it passes, the lead when it does not", async () => {
    // Threshold -1: every photo passes; 1.01 (above any cosine): none does. Only the quality part is under test.
    const lenient = uniqueProfile("lenient");
    const strict = uniqueProfile("strict");
    const threshold = riceReference().threshold;
    await upload(app, riceReference({ profile: lenient, displayName: "rice", threshold: { ...threshold, value: -1, lower: -1 } }));
    await upload(app, riceReference({ profile: strict, displayName: "rice", lookalikes: [], threshold: { ...threshold, value: 1, lower: 1 } }));
    const dark = await check(fixture("quality/rice-brownspot-dark.jpg"), `profile=${lenient}`);
    expect(dark).toMatchObject({ verdict: "normal", quality: { ok: false, issues: ["dark"] } });
    expect(dark.message).toBe("Rice photo: ready for the disease check. Tip: the photo is dark; in daylight the disease check sees more.");
    const refused = await check(fixture("quality/rice-brownspot-dark.jpg"), `profile=${strict}`);
    expect(refused.verdict).toBe("anomaly");
    expect(refused.message).toBe("Too dark: retake the photo in daylight. This photo doesn't look like rice.");
    const blurred = await check(fixture("quality/rice-brownspot-blur.jpg"), `profile=${lenient}`);
    expect(blurred.quality.issues).toEqual(["blurry"]);
    expect(blurred.message).toMatch(/^Rice photo: ready for the disease check\. Tip: the photo is a little blurred/);
  });

  it("names a lookalike the refused photo is clearly nearer to, and never for a photo that passes", async () => {
    // Lookalikes centred on two photos' own embeddings: each of those photos is as near to its lookalike as can be.
    const embedder = await getEmbedder();
    const vectorOf = async (name: string) => Array.from(l2Normalize(await embedder.embed(imageToTensor(fixture(name), manifest.preprocessing).tensor)));
    const withLookalikes = uniqueProfile("lookalikes");
    await upload(
      app,
      riceReference({
        profile: withLookalikes,
        lookalikes: [
          { label: "a cat", vector: await vectorOf("chelsea.jpg") },
          { label: "a coffee cup", vector: await vectorOf("coffee.jpg") },
        ],
      }),
    );
    const cat = await check(fixture("chelsea.jpg"), `profile=${withLookalikes}`);
    expect(cat.verdict).toBe("anomaly");
    expect(cat.lookalike.label).toBe("a cat");
    expect(cat.lookalike.similarity).toBeGreaterThan(0.999);
    const crop = riceReference().displayName;
    expect(cat.message).toBe(`This doesn't look like ${cropPhrase(crop)} — it looks more like a cat. Take a photo of the ${crop} close up, in good light.`);
    const cup = await check(fixture("coffee.jpg"), `profile=${withLookalikes}`);
    expect(cup.lookalike.label).toBe("a coffee cup");
    const rice = await check(fixture("rice-brownspot.jpg"), `profile=${withLookalikes}`);
    expect(rice.verdict).toBe("normal");
    expect(rice.lookalike).toBeNull();
    // The same refused photo against a reference without lookalikes: the plain message.
    const none = uniqueProfile("no-lookalikes");
    await upload(app, riceReference({ profile: none, lookalikes: [] }));
    const plain = await check(fixture("chelsea.jpg"), `profile=${none}`);
    expect(plain.lookalike).toBeNull();
    expect(plain.message).toContain(`look like ${cropPhrase(crop)}.`);
  });

  it("answers 20 concurrent checks in one isolate, each as it would alone", async () => {
    const names = ["rice-bacterial.jpg", "rice-brownspot.jpg", "chelsea.jpg", "coffee.jpg", "astronaut.jpg"];
    const alone = new Map<string, number>();
    for (const name of names) alone.set(name, (await check(fixture(name))).score);
    const jobs = Array.from({ length: 20 }, (_, i) => names[i % names.length]!);
    const results = await Promise.all(jobs.map(async (name) => ({ name, body: await check(fixture(name)) })));
    for (const { name, body } of results) expect(body.score).toBe(alone.get(name));
  });
});

// Contract §3's uncertain band and prototype scoring, proven with references stored in the real (Miniflare) KV
// before any shipped reference carries them.
describe("POST /v1/check: threshold.lower (the uncertain band) and threshold.score", () => {
  const photo = fixture("rice-brownspot.jpg");
  const base = riceReference();
  const stored = async (changes: Partial<typeof base>) => {
    const p = uniqueProfile("band");
    await upload(app, riceReference({ profile: p, displayName: "rice", ...changes }));
    return p;
  };

  it("answers uncertain with a retake hint when lower <= score < value, anomaly below lower", async () => {
    const { score } = await check(photo);
    const unsure = await stored({ threshold: { ...base.threshold, value: score + 0.02, lower: score - 0.02 } });
    const body = await check(photo, `profile=${unsure}`);
    expect(body).toMatchObject({ verdict: "uncertain", normal: false, lookalike: null });
    expect(body.score).toBe(score);
    expect(body.threshold).toBeCloseTo(score + 0.02, 12);
    expect(body.lowerThreshold).toBeCloseTo(score - 0.02, 12);
    expect(body.message).toBe("Not sure this is rice: fill the frame with one leaf, in daylight.");
    expect(body.confidence).toBeGreaterThanOrEqual(0.5);

    const below = await stored({ threshold: { ...base.threshold, value: score + 0.02, lower: score + 0.01 } });
    expect(await check(photo, `profile=${below}`)).toMatchObject({ verdict: "anomaly", normal: false });
    const above = await stored({ threshold: { ...base.threshold, value: score - 0.01, lower: score - 0.02 } });
    expect(await check(photo, `profile=${above}`)).toMatchObject({ verdict: "normal", normal: true, message: "Rice photo: ready for the disease check." });
  });

  it("without a band, lowerThreshold equals threshold and there are two verdicts", async () => {
    const { lower: _l, ...noBand } = base.threshold;
    const p = await stored({ threshold: noBand });
    const body = await check(fixture("chelsea.jpg"), `profile=${p}`);
    expect(body.lowerThreshold).toBe(body.threshold);
    expect(body.verdict).toBe("anomaly");
  });

  it("scores prototype-max-cosine against the nearest prototype, not the centroid", async () => {
    // One prototype on the cat photo's own embedding: under the prototype score the cat is as near as can be.
    const embedder = await getEmbedder();
    const cat = Array.from(l2Normalize(await embedder.embed(imageToTensor(fixture("chelsea.jpg"), manifest.preprocessing).tensor)));
    const prototypes = [...base.prototypes, cat];
    const byPrototype = await stored({ prototypes, threshold: { ...base.threshold, score: "prototype-max-cosine" } });
    const byCentroid = await stored({ prototypes, threshold: { ...base.threshold, score: "centroid-cosine" } });
    const p = await check(fixture("chelsea.jpg"), `profile=${byPrototype}`);
    expect(p.score).toBeGreaterThan(0.999);
    expect(p.verdict).toBe("normal");
    const c = await check(fixture("chelsea.jpg"), `profile=${byCentroid}`);
    expect(c.verdict).toBe("anomaly");
    expect(c.score).toBeCloseTo(cosine(cat, base.centroid), 5);
    // The rice photo: its prototype score is the largest of its cosines to the stored prototypes.
    const rice = Array.from(l2Normalize(await embedder.embed(imageToTensor(photo, manifest.preprocessing).tensor)));
    expect((await check(photo, `profile=${byPrototype}`)).score).toBeCloseTo(Math.max(...prototypes.map((q) => cosine(rice, q))), 6);
  });
});
