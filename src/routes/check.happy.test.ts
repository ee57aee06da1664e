import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PREPROCESSING, imageToTensor } from "../image";
import { getEmbedder } from "../model/bundled";
import { l2Normalize } from "../scoring";
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
    expect(body.message).toMatch(/rice leaf/);
    expect(body.quality).toEqual({ ok: true, issues: [] });
    expect(body.lookalike).toBeNull(); // the committed reference has no lookalikes
    for (const k of ["decodeMs", "preprocessMs", "inferenceMs", "totalMs"]) expect(typeof body.timings[k]).toBe("number");
  });

  // These assert the model's behaviour: they pass only with the trained model, not the random placeholder.
  it.each(["rice-bacterial.jpg", "rice-brownspot.jpg", "rice-leafsmut.jpg"])("%s is a rice leaf (normal)", async (name) => {
    const body = await check(fixture(name));
    expect(body.verdict, `score ${body.score} vs threshold ${body.threshold}`).toBe("normal");
    expect(body.message).toMatch(/rice leaf/);
    expect(body.message).not.toMatch(/doesn't|Not sure/);
  });

  it.each(["chelsea.jpg", "coffee.jpg", "astronaut.jpg", "apple-leaf-healthy.jpg"])("%s is not a rice leaf (anomaly)", async (name) => {
    const body = await check(fixture(name));
    expect(body.verdict, `score ${body.score} vs threshold ${body.threshold}`).toBe("anomaly");
    expect(body.message).toMatch(/doesn't look like a rice leaf|Not sure this is a rice leaf/);
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

  it("keeps the verdict of a crop photo with a quality issue, and says how to retake it", async () => {
    // Threshold -1: every photo passes, so only the quality part of the answer is under test.
    const lenient = uniqueProfile("lenient");
    await upload(app, riceReference({ profile: lenient, threshold: { ...riceReference().threshold, value: -1 } }));
    const dark = await check(fixture("quality/rice-brownspot-dark.jpg"), `profile=${lenient}`);
    expect(dark).toMatchObject({ verdict: "normal", quality: { ok: false, issues: ["dark"] } });
    expect(dark.message).toBe("This looks like a rice leaf. Too dark: retake in daylight.");
    const blurred = await check(fixture("quality/rice-brownspot-blur.jpg"));
    expect(blurred.quality.issues).toEqual(["blurry"]);
    expect(blurred.message).toMatch(/Blurred: hold the phone still/);
  });

  it("names a lookalike the refused photo is clearly nearer to, and never for a photo that passes", async () => {
    // Lookalikes centred on two photos' own embeddings: each of those photos is as near to its lookalike as can be.
    const embedder = await getEmbedder();
    const vectorOf = async (name: string) => Array.from(l2Normalize(await embedder.embed(imageToTensor(fixture(name), DEFAULT_PREPROCESSING).tensor)));
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
    expect(cat.message).toBe("This looks more like a cat than a rice leaf. Retake the photo of the rice leaf, close up and in good light.");
    const cup = await check(fixture("coffee.jpg"), `profile=${withLookalikes}`);
    expect(cup.lookalike.label).toBe("a coffee cup");
    const rice = await check(fixture("rice-brownspot.jpg"), `profile=${withLookalikes}`);
    expect(rice.verdict).toBe("normal");
    expect(rice.lookalike).toBeNull();
    // The same refused photo against the reference without lookalikes: the plain message.
    const plain = await check(fixture("chelsea.jpg"));
    expect(plain.lookalike).toBeNull();
    expect(plain.message).toMatch(/doesn't look like a rice leaf/);
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
