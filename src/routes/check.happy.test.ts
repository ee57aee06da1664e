import { beforeAll, describe, expect, it } from "vitest";
import { imageToTensor } from "../image";
import { getEmbedder } from "../model/bundled";
import { cosine, l2Normalize } from "../scoring";
import { call, fixture, jpeg, makeApp, manifest, riceReference, uniqueProfile, upload } from "../../test/worker/harness";

const app = makeApp();
const profile = uniqueProfile("rice");
let version: string;

type Check = Record<string, any>;
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
      ["confidence", "lookalike", "message", "model", "normal", "profile", "quality", "reference", "score", "threshold", "timings", "verdict"].sort(),
    );
    expect(body.profile).toBe(profile);
    expect(body.reference).toEqual({ version, createdAt: riceReference().createdAt });
    expect(body.model).toEqual({ id: manifest.model.id, sha256: manifest.model.sha256 });
    expect(body.score).toBeGreaterThanOrEqual(-1);
    expect(body.score).toBeLessThanOrEqual(1);
    expect(body.threshold).toBe(riceReference().threshold.value);
    expect(body.normal).toBe(body.score >= body.threshold);
    expect(body.verdict).toBe(body.normal ? "normal" : "anomaly");
    expect(body.confidence).toBeGreaterThanOrEqual(0.5);
    expect(body.confidence).toBeLessThanOrEqual(1);
    expect(body.message).toContain(riceReference().displayName);
    expect(body.quality).toEqual({ ok: true, issues: [] });
    expect(body.lookalike).toBeNull(); // a photo that passes never gets one
    for (const k of ["decodeMs", "preprocessMs", "inferenceMs", "totalMs"]) expect(typeof body.timings[k]).toBe("number");
  });

  // These assert the model's behaviour: they pass only with the trained model, not the random placeholder.
  it.each(["rice-bacterial.jpg", "rice-brownspot.jpg", "rice-leafsmut.jpg"])("%s is rice (normal)", async (name) => {
    const body = await check(fixture(name));
    expect(body.verdict, `score ${body.score} vs threshold ${body.threshold}`).toBe("normal");
    expect(body.message).toBe(`This looks like a ${riceReference().displayName}.`);
    expect(body.message).not.toMatch(/doesn't|Not sure/);
  });

  it.each(["chelsea.jpg", "coffee.jpg", "astronaut.jpg", "apple-leaf-healthy.jpg"])("%s is not rice (anomaly)", async (name) => {
    const body = await check(fixture(name));
    expect(body.verdict, `score ${body.score} vs threshold ${body.threshold}`).toBe("anomaly");
    const name_ = riceReference().displayName;
    const refusals = [`doesn't look like a ${name_}`, `Not sure this is a ${name_}`, `than a ${name_}`];
    expect(refusals.some((m) => body.message.includes(m)), body.message).toBe(true);
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
    const other = await upload(app, riceReference({ profile, threshold: { ...riceReference().threshold, value: -1 } }), { activate: false });
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
      threshold: { ...riceReference().threshold, value: 0.5 },
    });
    await upload(app, ref);
    const same = await check(fixture("tomato/healthy.jpg"), `profile=${enrolled}`);
    expect(same.score).toBeCloseTo(1, 5);
    expect(same.message).toMatch(/tomato leaf/);
    // Scored in `features`, not the head's `embedding`: the rice profile gives the same photo another score.
    const asRice = await check(fixture("tomato/healthy.jpg"));
    expect(Math.abs(asRice.score - same.score)).toBeGreaterThan(0.05);
    const all = await embedder.run(tensorOf("chelsea.jpg"));
    expect(Object.keys(all).sort()).toEqual(manifest.model.outputs!.map((o) => o.name).sort());
    expect((await check(fixture("chelsea.jpg"), `profile=${enrolled}`)).score).toBeCloseTo(cosine(all.features!, own), 6);
  });

  it("keeps the verdict of a crop photo with a quality issue, and says how to retake it", async () => {
    // Threshold -1: every photo passes, so only the quality part of the answer is under test.
    const lenient = uniqueProfile("lenient");
    await upload(app, riceReference({ profile: lenient, threshold: { ...riceReference().threshold, value: -1 } }));
    const dark = await check(fixture("quality/rice-brownspot-dark.jpg"), `profile=${lenient}`);
    expect(dark).toMatchObject({ verdict: "normal", quality: { ok: false, issues: ["dark"] } });
    expect(dark.message).toBe(`This looks like a ${riceReference().displayName}. Too dark: retake in daylight.`);
    const blurred = await check(fixture("quality/rice-brownspot-blur.jpg"));
    expect(blurred.quality.issues).toEqual(["blurry"]);
    expect(blurred.message).toMatch(/Blurred: hold the phone still/);
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
    expect(cat.message).toBe(`This looks more like a cat than a ${crop}. Retake the photo of the ${crop}, close up and in good light.`);
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
    expect(plain.message).toContain(`look like a ${crop}`);
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
