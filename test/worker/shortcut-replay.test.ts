import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { workflow } from "../../shortcuts/cropgate";
import { type Hooks, type ShortcutFile, runShortcut } from "../../shortcuts/simulate";
import type { Action, Plist } from "../../shortcuts/wf";
import { attachment, shortcutInput, textDictionary, text } from "../../shortcuts/wf";
import rawManifest from "../../models/manifest.json";
import { ADMIN_TOKEN, fixture, makeApp, riceReference, uniqueProfile, upload } from "./harness";

// Replays the iPhone Shortcut against the worker inside workerd: the requests are built by running the
// Shortcut's own actions (shortcuts/simulate.ts), and what the user would see comes from its own
// If/Otherwise logic applied to the worker's real answers. `workflow()` is the definition that
// shortcuts/shortcut.test.ts proves byte-identical to the committed cropgate.shortcut (the plist
// parser needs a DOM, which workerd lacks, so the file itself is parsed in the Node tests).

const app = makeApp();
// Until the trained model lands the bundled one has random weights: its verdicts mean nothing, so the
// tests that assert real verdicts say so and skip; every wiring and error-path test still runs.
const provisional = (rawManifest as { provisional?: string }).provisional;
const needsRealModel = (ctx: { skip: (note?: string) => void }) => {
  if (provisional) ctx.skip(`verdicts need the trained model; the bundled one is provisional (${provisional})`);
};
const profile = uniqueProfile("shortcut");
const URL_ANSWER = "https://cropgate.example.workers.dev/"; // as a user might paste it, trailing slash included

// iOS does the image editing; the photos here are already small JPEGs, so Resize and Convert keep them.
const hooks: Hooks = {
  resize: (file) => file,
  convert: (file, p) => {
    if (p.WFImageFormat !== "JPEG" || file.type !== "image/jpeg") throw new Error("only JPEG → JPEG is simulated");
    return { ...file, name: file.name.replace(/\.\w+$/, ".jpeg") };
  },
};

const photo = (name: string, as = name): ShortcutFile => ({
  name: as,
  type: /\.heic$/i.test(as) ? "image/heic" : "image/jpeg",
  bytes: fixture(name),
});

/** The worker behind the Shortcut's Get Contents of URL, with this test's bindings. */
function worker(bindings: Partial<Env> = {}) {
  return async (request: Request) =>
    // RATE_LIMIT off: the limiter bindings are real and shared by all test files (see harness.call).
    app.request(request, undefined, { ...env, ADMIN_TOKEN, API_KEYS: "", RATE_LIMIT: "off", DEFAULT_PROFILE: profile, ...bindings });
}

/** The same Shortcut with Request Body: Form, a File field under `field` (Shortcuts stores it as item type 5). */
function withFormBody(field: string): Plist {
  const wf = structuredClone(workflow()) as { WFWorkflowActions: Action[] };
  const download = wf.WFWorkflowActions.filter((a) => a.WFWorkflowActionIdentifier.endsWith(".downloadurl")).at(-1)!; // the POST (the first is the crop list)
  const p = download.WFWorkflowActionParameters;
  p.WFHTTPBodyType = "Form";
  const file = p.WFRequestVariable!;
  delete p.WFRequestVariable;
  const form = textDictionary([[field, text()]]);
  ((form.Value as { WFDictionaryFieldValueItems: Record<string, Plist>[] }).WFDictionaryFieldValueItems[0]!) = {
    WFItemType: 5,
    WFKey: text(field),
    WFValue: { Value: file, WFSerializationType: "WFTokenAttachmentParameterState" },
  };
  p.WFFormValues = form;
  return wf as unknown as Plist;
}

/** The Shortcut as someone might build it by hand without Convert Image: the shared photo goes out as is. */
function withoutConversion(): Plist {
  const wf = structuredClone(workflow()) as { WFWorkflowActions: Action[] };
  wf.WFWorkflowActions = wf.WFWorkflowActions.filter((a) => !/image\.(resize|convert)$/.test(a.WFWorkflowActionIdentifier));
  const download = wf.WFWorkflowActions.filter((a) => a.WFWorkflowActionIdentifier.endsWith(".downloadurl")).at(-1)!; // the POST (the first is the crop list)
  download.WFWorkflowActionParameters.WFRequestVariable = attachment(shortcutInput);
  return wf as unknown as Plist;
}

type CheckBody = { verdict: string; score: number; threshold: number; profile: string; message: string };
type ErrorBody = { error: { code: string; message: string } };

beforeAll(async () => {
  await upload(app, riceReference({ profile }));
});

describe("the Shortcut's File-body request (what cropgate.shortcut sends)", () => {
  it("POSTs the JPEG to <URL>/v1/check, gets a verdict and shows the worker's message line", async () => {
    const run = await runShortcut(workflow(), photo("rice-bacterial.jpg", "IMG_0001.JPG"), [URL_ANSWER, "", profile], worker(), hooks);
    const [request] = run.requests;
    expect(request!.method).toBe("POST");
    expect(request!.url).toBe(`https://cropgate.example.workers.dev/v1/check?profile=${profile}`);
    expect(request!.headers.get("content-type")).toBe("image/jpeg");
    const answer = run.answers[0]!;
    expect(answer.status).toBe(200);
    const body = answer.value as CheckBody;
    expect(body.profile).toBe(profile);
    expect(["normal", "anomaly"]).toContain(body.verdict);
    expect(body.message.length).toBeGreaterThan(0);
    expect(run.shown).toEqual([body.message]);
  });

  it("rice photos come back normal", async (ctx) => {
    needsRealModel(ctx);
    for (const name of ["rice-bacterial.jpg", "rice-brownspot.jpg", "rice-leafsmut.jpg"]) {
      const run = await runShortcut(workflow(), photo(name, "IMG_0001.JPG"), [URL_ANSWER, "", profile], worker(), hooks);
      const body = run.answers[0]!.value as CheckBody;
      expect(body.verdict, name).toBe("normal");
      expect(run.shown).toEqual([body.message]);
    }
  });

  it("non-crop photos come back as anomalies, and the Shortcut shows that", async (ctx) => {
    needsRealModel(ctx);
    for (const name of ["chelsea.jpg", "coffee.jpg", "astronaut.jpg"]) {
      const run = await runShortcut(workflow(), photo(name, "IMG_0002.JPG"), [URL_ANSWER, "", profile], worker(), hooks);
      const body = run.answers[0]!.value as CheckBody;
      expect(body.verdict, name).toBe("anomaly");
      expect(run.shown).toEqual([body.message]);
    }
  });

  it("sends the key the user entered, and shows the worker's refusal when it is wrong", async () => {
    const keyed = worker({ API_KEYS: "k-good,k-other" });
    const ok = await runShortcut(workflow(), photo("rice-brownspot.jpg"), [URL_ANSWER, "k-good", profile], keyed, hooks);
    expect(ok.requests[0]!.headers.get("x-api-key")).toBe("k-good");
    expect(ok.answers[0]!.status).toBe(200);

    const bad = await runShortcut(workflow(), photo("rice-brownspot.jpg"), [URL_ANSWER, "k-wrong", profile], keyed, hooks);
    expect(bad.answers[0]!.status).toBe(401);
    const { error } = bad.answers[0]!.value as ErrorBody;
    expect(error.message.length).toBeGreaterThan(0);
    expect(bad.shown).toEqual([error.message]);
  });
});

describe("the three verdicts (contract §3), as the Shortcut shows them", () => {
  it("shows the worker's words for normal, uncertain and anomaly: a pass, a retake hint, a refusal", async () => {
    const threshold = riceReference().threshold;
    // Bands chosen around every cosine: [-1, -1] passes all, [-1, 1) holds all, [1, 1] refuses all.
    const cases = [
      ["normal", { value: -1, lower: -1 }, "Rice photo: ready for the disease check."],
      ["uncertain", { value: 1, lower: -1 }, "Not sure this is rice: fill the frame with one leaf, in daylight."],
      ["anomaly", { value: 1, lower: 1 }, "This doesn't look like rice. Take a photo of the rice close up, in good light."],
    ] as const;
    for (const [verdict, band, words] of cases) {
      const p = uniqueProfile(verdict);
      await upload(app, riceReference({ profile: p, displayName: "rice", lookalikes: [], threshold: { ...threshold, ...band } }));
      const run = await runShortcut(workflow(), photo("rice-brownspot.jpg", "IMG_0004.JPG"), [URL_ANSWER, "", p], worker(), hooks);
      expect((run.answers[0]!.value as CheckBody).verdict).toBe(verdict);
      expect(run.shown, verdict).toEqual([words]);
    }
  });
});

describe("choosing the crop", () => {
  it("checks against the profile answered at import, not the worker's default", async () => {
    const other = uniqueProfile("other");
    await upload(app, riceReference({ profile: other, displayName: "other crop" }));
    const run = await runShortcut(workflow(), photo("rice-brownspot.jpg"), [URL_ANSWER, "", other], worker(), hooks);
    expect(new URL(run.requests[0]!.url).searchParams.get("profile")).toBe(other);
    const body = run.answers[0]!.value as CheckBody;
    expect(body.profile).toBe(other);
    expect(body.message).toMatch(/other crop/i);
  });

  it("answered \"ask\": offers the worker's GET /v1/profiles list in a menu and checks against the pick", async () => {
    let offered: unknown[] = [];
    const run = await runShortcut(workflow(), photo("rice-brownspot.jpg"), [URL_ANSWER, "", "ask"], worker(), {
      ...hooks,
      choose: (items) => ((offered = items), items.find((i) => i === profile)),
    });
    expect(run.requests.map((r) => r.method)).toEqual(["GET", "POST"]);
    expect(run.requests[0]!.url).toBe("https://cropgate.example.workers.dev/v1/profiles");
    expect(offered).toContain(profile);
    expect(offered.every((i) => typeof i === "string")).toBe(true);
    expect(new URL(run.requests[1]!.url).searchParams.get("profile")).toBe(profile);
    const body = run.answers[1]!.value as CheckBody;
    expect(body.profile).toBe(profile);
    expect(run.shown).toEqual([body.message]);
  });

  it("shows the worker's explanation for a crop it does not know", async () => {
    const run = await runShortcut(workflow(), photo("rice-brownspot.jpg"), [URL_ANSWER, "", "no-such-crop"], worker(), hooks);
    expect(run.answers[0]!.status).toBe(404);
    const { error } = run.answers[0]!.value as ErrorBody;
    expect(error.message).toMatch(/no-such-crop/);
    expect(run.shown).toEqual([error.message]);
  });
});

describe("the Form-body variant (Request Body: Form, one File field)", () => {
  for (const field of ["image", "photo"]) {
    it(`sends multipart/form-data with the file under "${field}" and gets the same verdict as the File body`, async () => {
      const input = photo("rice-bacterial.jpg", "IMG_0001.JPG");
      const run = await runShortcut(withFormBody(field), input, [URL_ANSWER, "", profile], worker(), hooks);
      const request = run.requests[0]!;
      expect(request.headers.get("content-type")).toMatch(/^multipart\/form-data; boundary=/);
      // Bytes, not .text(): workerd warns when a multipart body is read as text (it is binary, with a JPEG inside).
      const sent = new TextDecoder("latin1").decode(await request.clone().arrayBuffer());
      expect(sent).toContain(`Content-Disposition: form-data; name="${field}"; filename="IMG_0001.jpeg"`);
      expect(sent).toContain("Content-Type: image/jpeg");
      expect(run.answers[0]!.status).toBe(200);
      const body = run.answers[0]!.value as CheckBody;
      const fileBody = (await runShortcut(workflow(), input, [URL_ANSWER, "", profile], worker(), hooks)).answers[0]!.value as CheckBody;
      expect(body.score).toBe(fileBody.score);
      expect(body.verdict).toBe(fileBody.verdict);
      expect(run.shown).toEqual([body.message]);
    });
  }
});

describe("error paths the Shortcut shows sensibly", () => {
  it("a HEIC photo sent without Convert Image: 415, and the message says to convert to JPEG", async () => {
    const run = await runShortcut(withoutConversion(), photo("variants/tiny.heic", "IMG_0003.HEIC"), [URL_ANSWER, "", profile], worker(), hooks);
    expect(run.requests[0]!.headers.get("content-type")).toBe("image/heic");
    expect(run.answers[0]!.status).toBe(415);
    const { error } = run.answers[0]!.value as ErrorBody;
    expect(error.message).toMatch(/Convert Image/);
    expect(error.message).toMatch(/JPEG/);
    expect(run.shown).toEqual([error.message]);
  });

  it("a JPEG that cannot be decoded: the worker's explanation, not an empty result", async () => {
    const run = await runShortcut(workflow(), photo("variants/coffee-truncated.jpg"), [URL_ANSWER, "", profile], worker(), hooks);
    expect(run.answers[0]!.status).toBeGreaterThanOrEqual(400);
    expect(run.answers[0]!.status).toBeLessThan(500);
    const { error } = run.answers[0]!.value as ErrorBody;
    expect(run.shown).toEqual([error.message]);
    expect(error.message.length).toBeGreaterThan(10);
  });

  it("a URL that is not cropgate's: the worker's 404 JSON is shown", async () => {
    const run = await runShortcut(workflow(), photo("rice-bacterial.jpg"), ["https://cropgate.example.workers.dev/api", "", profile], worker(), hooks);
    expect(run.requests[0]!.url).toBe(`https://cropgate.example.workers.dev/api/v1/check?profile=${profile}`);
    expect(run.answers[0]!.status).toBe(404);
    const { error } = run.answers[0]!.value as ErrorBody;
    expect(run.shown).toEqual([error.message]);
  });
});
