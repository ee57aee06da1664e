// The web page in a real browser: Debian's Chromium driven by playwright-core (which never downloads a
// browser of its own) against `npm start` — wrangler dev with the bundled model and the seeded rice
// reference — on a free port. Screenshots go to test/artifacts/ (git-ignored): page-{desktop,phone}-
// {start,accepted,refused,blurred,uncertain}.png, each taken as the person first sees the answer.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import jpeg from "jpeg-js";
import { type Browser, type BrowserContextOptions, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import rawManifest from "../../models/manifest.json";
import { loadNodeEmbedder } from "../../src/cli/model";
import { imageToTensor } from "../../src/image";
import { ReferenceSchema } from "../../src/references/schema";
import { scoreEmbedding } from "../../src/scoring";
import { type LocalWorker, startLocalWorker } from "./npm-start";

const REPO = new URL("../../", import.meta.url).pathname;
const FIXTURES = join(REPO, "test/fixtures/images");
const ARTIFACTS = join(REPO, "test/artifacts");
const CHROMIUM = process.env.CROPGATE_CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const missing = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) or set CROPGATE_CHROMIUM`;
const provisional = (rawManifest as { provisional?: string }).provisional;
// A real iPhone photo (8 MP, EXIF orientation 3) from the shared data set; never copied into the repo.
const DATA = process.env.CROPGATE_DATA ?? join(REPO, "../shared/data");
const PHONE_PHOTO = join(DATA, "phone-photos/IMG_3438.JPG");
const noPhonePhoto = existsSync(PHONE_PHOTO) ? undefined : `${PHONE_PHOTO} not found (shared data set absent; set CROPGATE_DATA)`;

/** The profiles the tests add through the admin API (idempotent: each run adds one more version). */
const SECOND_CROP = "browser-test-crop";
const LOOKALIKE_CROP = "browser-test-lookalike";
/** The rice reference with an uncertain band placed around the rice photo's own score (contract §3). */
const BAND_CROP = "browser-test-band";

const VIEWPORTS: Record<string, BrowserContextOptions> = {
  desktop: { viewport: { width: 1280, height: 900 } },
  // An iPhone-sized screen: 390 × 844 CSS px, touch, 3× pixels.
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true },
};

type Box = { x: number; y: number; width: number; height: number };

type Shown = {
  verdict?: string;
  score?: number;
  threshold?: number;
  lowerThreshold?: number;
  profile?: string;
  reference?: string;
  message?: string;
  error?: string;
  quality?: string;
  note?: string;
  lookalike?: string;
  /** Where the meter's marker sits (per cent) and where its zones start and end. */
  marker?: number;
  zones?: { anomaly: number; uncertain: number; normal: number };
  /** Layout facts, read before the Details are opened. */
  detailsOpen?: boolean;
  scoreVisible?: boolean;
  take?: Box | null;
  result?: Box | null;
  capture?: Box | null;
  scrollWidth?: number;
  /** The /v1/check URL the page posted to, if it posted. */
  requestUrl?: string;
  /** The crop picker's options and, after a reload, the value it remembered. */
  options?: string[];
  remembered?: string;
  upload?: { type: string; width: number; height: number; bytes: number };
  uploads?: number;
};

// Runs in the page (a string: the repo's tsconfig has no DOM types). CDP does not hand over Blob request
// bodies, so the page's uploads are noted as it calls fetch: type, pixel size and bytes.
const RECORD_UPLOADS = `
  window.__uploads = [];
  const original = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const body = init && init.body;
    if (body instanceof Blob) {
      const type = new Headers(init.headers).get("content-type");
      const bitmap = await createImageBitmap(body).catch(() => undefined);
      window.__uploads.push({ type, width: bitmap ? bitmap.width : 0, height: bitmap ? bitmap.height : 0, bytes: body.size });
    }
    return original(input, init);
  };
`;

let server: LocalWorker | undefined;
let base = "";
let browser: Browser | undefined;
const shown = new Map<string, Shown>();
const start = new Map<string, Shown>();
const foreignRequests: string[] = [];
const pageErrors: string[] = [];

/** A 2400 × 1600 JPEG, larger than the page's 1024-px limit, to see the browser shrink it. */
function largeJpeg(): string {
  const width = 2400;
  const height = 1600;
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = (x * 255) / width;
      data[i + 1] = 140;
      data[i + 2] = (y * 255) / height;
      data[i + 3] = 255;
    }
  }
  const file = join(ARTIFACTS, "large-2400x1600.jpg");
  writeFileSync(file, jpeg.encode({ data, width, height }, 85).data);
  return file;
}

async function open(viewport: string, label: string) {
  const context = await browser!.newContext(VIEWPORTS[viewport]);
  const page = await context.newPage();
  page.on("request", (r) => {
    // blob: URLs of this origin are the page's own preview of the photo.
    if (!r.url().startsWith(base) && !r.url().startsWith(`blob:${base}/`)) foreignRequests.push(r.url());
  });
  await page.addInitScript(RECORD_UPLOADS);
  page.on("pageerror", (e) => pageErrors.push(`${label}: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") pageErrors.push(`${label}: ${m.text()}`);
  });
  await page.goto(`${base}/`);
  // The picker has loaded the worker's profiles (so an unchanged picker means the default crop).
  await page.waitForSelector("#crop[data-loaded]");
  return { context, page };
}

async function layout(page: Page, out: Shown) {
  out.detailsOpen = await page.$eval("#details", (d) => (d as unknown as { open: boolean }).open);
  out.scoreVisible = await page.isVisible("#score");
  out.take = await page.locator("#take").boundingBox();
  out.capture = await page.locator("#capture").boundingBox();
  out.result = (await page.isVisible("#result")) ? await page.locator("#result").boundingBox() : null;
  out.scrollWidth = (await page.evaluate("document.documentElement.scrollWidth")) as number;
}

/** The page before any photo: what a person sees first. */
async function empty(viewport: string): Promise<Shown> {
  const { context, page } = await open(viewport, `${viewport}/start`);
  try {
    const out: Shown = {};
    await layout(page, out);
    await page.screenshot({ path: join(ARTIFACTS, `page-${viewport}-start.png`) });
    return out;
  } finally {
    await context.close();
  }
}

/** Uploads `file` through the page's file input and reads what the page shows. */
async function check(viewport: string, file: string, label: string, { screenshot = true, crop = "" } = {}): Promise<Shown> {
  const { context, page } = await open(viewport, label);
  try {
    const out: Shown = {};
    if (crop) {
      out.options = await page.$$eval("#crop option", (os) => os.map((o) => (o as unknown as { value: string }).value));
      await page.selectOption("#crop", crop);
    }
    page.on("request", (r) => {
      if (r.url().startsWith(`${base}/v1/check`) && r.method() === "POST") out.requestUrl = r.url();
    });
    await page.setInputFiles("#file", file);
    await page.waitForSelector("#result:not([hidden]), #error:not([hidden])", { timeout: 60_000 });
    const uploads = (await page.evaluate("window.__uploads")) as Shown["upload"][];
    out.uploads = uploads.length;
    out.upload = uploads[0];
    out.note = (await page.isVisible("#note")) ? ((await page.textContent("#note")) ?? undefined) : undefined;
    if (await page.isVisible("#result")) {
      out.verdict = (await page.getAttribute("#result", "data-verdict")) ?? undefined;
      out.message = (await page.textContent("#message")) ?? undefined;
      out.marker = Number(await page.getAttribute("#meter", "data-position"));
      const width = async (id: string) => ((await page.locator(id).boundingBox())?.width ?? 0) / ((await page.locator("#meter").boundingBox())!.width / 100);
      out.zones = { anomaly: await width("#zone-anomaly"), uncertain: await width("#zone-uncertain"), normal: await width("#zone-normal") };
    } else {
      out.error = (await page.textContent("#error-message")) ?? undefined;
    }
    await layout(page, out);
    // Screenshots at the moment the person sees the answer: Details still closed.
    if (screenshot) await page.screenshot({ path: join(ARTIFACTS, `page-${viewport}-${label}.png`), fullPage: viewport === "desktop" });
    if (out.verdict) {
      await page.click("#details summary");
      out.score = Number(await page.textContent("#score"));
      out.threshold = Number.parseFloat((await page.textContent("#threshold")) ?? "");
      // "none (no uncertain band)": then the lower threshold is the threshold (contract §3).
      const lower = Number.parseFloat((await page.textContent("#lower-threshold")) ?? "");
      out.lowerThreshold = Number.isNaN(lower) ? out.threshold : lower;
      out.profile = (await page.textContent("#profile")) ?? undefined;
      out.reference = (await page.textContent("#reference")) ?? undefined;
      out.quality = (await page.textContent("#quality")) ?? undefined;
      const look = (await page.textContent("#lookalike")) ?? "–";
      out.lookalike = look === "–" ? undefined : look;
    }
    if (crop) {
      await page.reload();
      await page.waitForSelector("#crop[data-loaded]");
      out.remembered = await page.inputValue("#crop");
    }
    return out;
  } finally {
    await context.close();
  }
}

/** A PNG of the rice photo (lossless, so the page must convert it): written with the browser's own canvas. */
async function pngOf(jpegFile: string): Promise<string> {
  // about:blank, not the page: its CSP rightly refuses data: images.
  const context = await browser!.newContext();
  const page = await context.newPage();
  try {
    const b64 = readFileSync(jpegFile).toString("base64");
    const png = (await page.evaluate(`(async () => {
      const img = new Image(); img.src = "data:image/jpeg;base64,${b64}"; await img.decode();
      const c = document.createElement("canvas"); c.width = img.naturalWidth; c.height = img.naturalHeight;
      c.getContext("2d").drawImage(img, 0, 0);
      return c.toDataURL("image/png").split(",")[1];
    })()`)) as string;
    const file = join(ARTIFACTS, "rice-bacterial.png");
    writeFileSync(file, Buffer.from(png, "base64"));
    return file;
  } finally {
    await context.close();
  }
}

/** Every test says why it skips when there is no browser (beforeAll then starts nothing). */
const needsChromium = (ctx: { skip: (note?: string) => void }) => {
  if (missing) ctx.skip(missing);
};

describe("the web page in headless Chromium against npm start", () => {
  beforeAll(async () => {
    if (missing) return;
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startLocalWorker([], 120_000);
    base = server.base;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

    // Extra crop profiles for the picker and the verdicts (the rice reference changed); the local KV keeps them.
    const token = /^ADMIN_TOKEN=(.+)$/m.exec(readFileSync(join(REPO, ".dev.vars"), "utf8"))?.[1];
    const reference = JSON.parse(readFileSync(join(REPO, "models/references/rice.json"), "utf8"));
    const store = async (profile: string, changes: object) => {
      const up = await fetch(`${base}/v1/profiles/${profile}/versions?activate=true`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ ...reference, profile, ...changes }),
      });
      expect(up.status, await up.text()).toBe(201);
    };
    await store(SECOND_CROP, { displayName: "paddy rice" });
    // The rice reference plus one lookalike centred on the cat photo's own embedding (CLI embedder), and
    // a band [s − 0.06, s + 0.04) around the rice photo's own score s: it lands in "uncertain" even after
    // the page re-encodes it (a few thousandths of cosine).
    const embedder = await loadNodeEmbedder();
    const embed = async (name: string) => {
      const [v] = await embedder.embedBatch([imageToTensor(readFileSync(join(FIXTURES, name)), embedder.preprocessing).tensor]);
      const n = Math.hypot(...v!);
      return Array.from(v!, (x) => x / n);
    };
    const cat = await embed("chelsea.jpg");
    const rice = await embed("rice-bacterial.jpg");
    await embedder.release();
    const s = scoreEmbedding(rice, ReferenceSchema.parse(reference)).score;
    await store(LOOKALIKE_CROP, { lookalikes: [{ label: "a cat", vector: cat }] });
    await store(BAND_CROP, { displayName: "rice", threshold: { ...reference.threshold, value: s + 0.04, lower: s - 0.06 } });

    const large = largeJpeg();
    const png = await pngOf(join(FIXTURES, "rice-bacterial.jpg"));
    for (const viewport of Object.keys(VIEWPORTS)) {
      start.set(viewport, await empty(viewport));
      shown.set(`${viewport}/accepted`, await check(viewport, join(FIXTURES, "rice-bacterial.jpg"), "accepted"));
      shown.set(`${viewport}/refused`, await check(viewport, join(FIXTURES, "chelsea.jpg"), "refused"));
      shown.set(`${viewport}/blurred`, await check(viewport, join(FIXTURES, "quality/rice-brownspot-blur.jpg"), "blurred"));
      shown.set(`${viewport}/uncertain`, await check(viewport, join(FIXTURES, "rice-bacterial.jpg"), "uncertain", { crop: BAND_CROP }));
    }
    shown.set("desktop/large", await check("desktop", large, "large", { screenshot: false }));
    shown.set("desktop/png", await check("desktop", png, "png", { screenshot: false }));
    shown.set("desktop/crop", await check("desktop", join(FIXTURES, "rice-brownspot.jpg"), "crop", { crop: SECOND_CROP, screenshot: false }));
    shown.set("desktop/lookalike", await check("desktop", join(FIXTURES, "chelsea.jpg"), "lookalike", { crop: LOOKALIKE_CROP, screenshot: false }));
    shown.set("phone/dark", await check("phone", join(FIXTURES, "quality/rice-brownspot-dark.jpg"), "dark", { screenshot: false }));
    shown.set("desktop/heic", await check("desktop", join(FIXTURES, "variants/tiny.heic"), "heic", { screenshot: false }));
    // No screenshot: the page would show the photo, whose licence forbids redistributing it.
    if (!noPhonePhoto) shown.set("phone/iphone", await check("phone", PHONE_PHOTO, "iphone-8mp", { screenshot: false }));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  it("shows the worker's message as the verdict, and the numbers (under Details) agree with it", (ctx) => {
    needsChromium(ctx);
    for (const viewport of Object.keys(VIEWPORTS)) {
      for (const photo of ["accepted", "refused", "blurred", "uncertain"]) {
        const s = shown.get(`${viewport}/${photo}`)!;
        const at = `${viewport}/${photo}`;
        expect(s.error, at).toBeUndefined();
        expect(["normal", "uncertain", "anomaly"]).toContain(s.verdict);
        expect(s.score).toBeGreaterThanOrEqual(-1);
        expect(s.score).toBeLessThanOrEqual(1);
        // Printed with enough digits to compare: the verdict the page shows follows from the numbers it shows.
        const expected = s.score! >= s.threshold! ? "normal" : s.score! >= s.lowerThreshold! ? "uncertain" : "anomaly";
        expect(s.verdict, at).toBe(expected);
        expect(s.profile).toBe(photo === "uncertain" ? BAND_CROP : "rice");
        expect(s.reference).toMatch(/\S/);
        expect(s.message).toMatch(/\S/);
        expect(s.message, at).not.toMatch(/Looks right|healthy/i);
        expect(s.upload?.type).toBe("image/jpeg");
      }
    }
  });

  it("accepts the rice photo, refuses the cat, and answers uncertain inside the band", (ctx) => {
    needsChromium(ctx);
    if (provisional) ctx.skip(`verdicts need the trained model; the bundled one is provisional (${provisional})`);
    for (const viewport of Object.keys(VIEWPORTS)) {
      const accepted = shown.get(`${viewport}/accepted`)!;
      expect(accepted.verdict, viewport).toBe("normal");
      expect(accepted.message).toMatch(/ photo: ready for the disease check\.$/);
      const refused = shown.get(`${viewport}/refused`)!;
      expect(refused.verdict, viewport).toBe("anomaly");
      expect(refused.message).toMatch(/^This doesn't look like (a )?rice/);
      const unsure = shown.get(`${viewport}/uncertain`)!;
      expect(unsure.verdict, viewport).toBe("uncertain");
      expect(unsure.message).toBe("Not sure this is rice: fill the frame with one leaf, in daylight.");
    }
  });

  it("draws where the score falls: the marker in the verdict's zone, the band only when the reference has one", (ctx) => {
    needsChromium(ctx);
    for (const viewport of Object.keys(VIEWPORTS)) {
      for (const photo of ["accepted", "refused", "blurred", "uncertain"]) {
        const s = shown.get(`${viewport}/${photo}`)!;
        const { anomaly, uncertain } = s.zones!;
        const at = `${viewport}/${photo}: marker ${s.marker}, zones ${JSON.stringify(s.zones)}`;
        if (s.verdict === "normal") expect(s.marker, at).toBeGreaterThanOrEqual(anomaly + uncertain - 0.5);
        if (s.verdict === "anomaly") expect(s.marker, at).toBeLessThanOrEqual(anomaly + 0.5);
        if (s.verdict === "uncertain") {
          expect(s.marker, at).toBeGreaterThanOrEqual(anomaly - 0.5);
          expect(s.marker, at).toBeLessThanOrEqual(anomaly + uncertain + 0.5);
        }
        // The shipped rice reference has no band yet: two zones; the band profile has three.
        const band = s.lowerThreshold! < s.threshold!;
        if (band) expect(uncertain, at).toBeGreaterThan(5);
        else expect(uncertain, at).toBeLessThan(0.5);
      }
      // A refused photo is no longer an empty grey bar: its marker sits well inside the refused zone.
      expect(shown.get(`${viewport}/refused`)!.marker).toBeLessThan(shown.get(`${viewport}/accepted`)!.marker!);
    }
  });

  it("keeps developer details under a collapsed Details: the first screen is the photo, the verdict and what to do", (ctx) => {
    needsChromium(ctx);
    for (const [key, s] of [...shown].filter(([k]) => /accepted|refused|blurred|uncertain/.test(k))) {
      expect(s.detailsOpen, key).toBe(false);
      expect(s.scoreVisible, key).toBe(false);
    }
    for (const [viewport, s] of start) {
      expect(s.detailsOpen, viewport).toBe(false);
      expect(s.scoreVisible, viewport).toBe(false);
    }
  });

  it("lays the page out for a desktop (side by side) and a 390-px phone (one column, capture button under the thumb)", (ctx) => {
    needsChromium(ctx);
    const desk = shown.get("desktop/accepted")!;
    // Photo left, answer right: the two columns share the first screen.
    expect(desk.result!.x).toBeGreaterThan(desk.capture!.x + desk.capture!.width - 1);
    expect(desk.result!.y).toBeLessThan(900);
    for (const s of [start.get("phone")!, ...["accepted", "refused", "blurred", "uncertain"].map((p) => shown.get(`phone/${p}`)!)]) {
      const take = s.take!;
      // Visible without scrolling, in the lower third of the 844-px screen, big enough for a thumb.
      expect(take.y).toBeGreaterThanOrEqual(844 * (2 / 3));
      expect(take.y + take.height).toBeLessThanOrEqual(844);
      expect(take.height).toBeGreaterThanOrEqual(48);
      expect(take.width).toBeGreaterThanOrEqual(150);
      expect(s.scrollWidth).toBeLessThanOrEqual(390); // nothing wider than the phone
    }
    // The verdict of a checked photo is on the first screen too, above the button bar.
    const phone = shown.get("phone/accepted")!;
    expect(phone.result!.y).toBeLessThan(844 - 100);
  });

  it("opens the camera from the capture button (capture attribute), and lets the person choose a photo instead", async (ctx) => {
    needsChromium(ctx);
    const html = await (await fetch(`${base}/`)).text();
    expect(html).toMatch(/<input id="camera" type="file" accept="image\/\*" capture="environment">/);
    expect(html).toMatch(/<input id="file" type="file" accept="image\/\*">/);
  });

  it("says a quality issue gently on a photo that passes, and leads with it on one that does not", (ctx) => {
    needsChromium(ctx);
    for (const viewport of Object.keys(VIEWPORTS)) {
      const s = shown.get(`${viewport}/blurred`)!;
      expect(s.quality).toBe("blurred");
      if (s.verdict === "normal") expect(s.message).toMatch(/ready for the disease check\. Tip: the photo is a little blurred/);
      else expect(s.message).toMatch(/^Blurred: /);
    }
    const dark = shown.get("phone/dark")!;
    expect(dark.error).toBeUndefined();
    expect(dark.quality).toBe("too dark");
    expect(dark.message).toMatch(dark.verdict === "normal" ? /Tip: the photo is dark/ : /^Too dark: retake the photo in daylight\./);
  });

  it("lists the worker's profiles in a picker, checks against the chosen one and remembers it", (ctx) => {
    needsChromium(ctx);
    const s = shown.get("desktop/crop")!;
    expect(s.options).toEqual(expect.arrayContaining(["rice", SECOND_CROP]));
    expect(new URL(s.requestUrl!).searchParams.get("profile")).toBe(SECOND_CROP);
    expect(s.profile).toBe(SECOND_CROP);
    expect(s.remembered).toBe(SECOND_CROP);
    // Without a choice, the page asks for the default crop.
    expect(new URL(shown.get("desktop/refused")!.requestUrl!).searchParams.get("profile")).toBe("rice");
    expect(shown.get("desktop/refused")!.quality).toBe("ok");
  });

  it("says what a refused photo looks more like when the reference has lookalikes", (ctx) => {
    needsChromium(ctx);
    const s = shown.get("desktop/lookalike")!;
    expect(s.verdict).toBe("anomaly");
    expect(s.lookalike).toMatch(/^a cat \(similarity (0\.9\d\d|1\.000)\)$/); // the page re-encodes the photo: near, not always equal
    expect(s.message).toMatch(/^This doesn't look like (a )?rice( plant)? — it looks more like a cat\./);
    // The shipped rice reference carries lookalikes of its own (one per negative source): a refused cat gets
    // one of those or none, never another profile's.
    const shipped = JSON.parse(readFileSync(new URL("../../models/references/rice.json", import.meta.url), "utf8")) as { lookalikes?: { label: string }[] };
    const cat = shown.get("desktop/refused")!.lookalike;
    if (cat !== undefined) expect(shipped.lookalikes!.map((l) => l.label)).toContain(cat.replace(/ \(similarity [\d.]+\)$/, ""));
  });

  it("shrinks a large photo to 1024 px in the browser before uploading it as JPEG", (ctx) => {
    needsChromium(ctx);
    const s = shown.get("desktop/large")!;
    expect(s.upload).toMatchObject({ type: "image/jpeg", width: 1024, height: 683 });
    expect(s.verdict).toBeDefined();
    // Small photos are not enlarged.
    expect(shown.get("desktop/refused")!.upload).toMatchObject({ width: 451, height: 300 });
  });

  it("converts a PNG to JPEG on the device and says so (the API itself takes JPEG only)", (ctx) => {
    needsChromium(ctx);
    const s = shown.get("desktop/png")!;
    expect(s.upload?.type).toBe("image/jpeg");
    expect(s.note).toBe("Your PNG photo was converted to JPEG on this device before it was sent.");
    expect(s.verdict).toBeDefined();
    expect(shown.get("desktop/accepted")!.note).toBeUndefined(); // a JPEG needs no such note
  });

  it("shrinks a real 8 MP iPhone photo on the phone-sized page and gets a verdict", (ctx) => {
    needsChromium(ctx);
    if (noPhonePhoto) ctx.skip(noPhonePhoto);
    const s = shown.get("phone/iphone")!;
    // 3264 × 2448 turned 180° by its EXIF tag stays landscape: 1024 × 768, upright pixels, no tag.
    expect(s.upload).toMatchObject({ type: "image/jpeg", width: 1024, height: 768 });
    console.log(`iPhone photo: ${statSync(PHONE_PHOTO).size} bytes on disk, ${s.upload!.bytes} bytes uploaded by the page`);
    expect(s.upload!.bytes).toBeLessThan(statSync(PHONE_PHOTO).size / 4);
    expect(s.error).toBeUndefined();
    expect(["normal", "uncertain", "anomaly"]).toContain(s.verdict);
  });

  it("says itself that it cannot open a HEIC in this browser, and sends nothing", (ctx) => {
    needsChromium(ctx);
    const s = shown.get("desktop/heic")!;
    // Chromium cannot decode HEIC: the page explains, without a round trip that could only end in a 415.
    expect(s.uploads).toBe(0);
    expect(s.requestUrl).toBeUndefined();
    expect(s.verdict).toBeUndefined();
    expect(s.error).toMatch(/^This browser cannot open HEIC photos, so nothing was sent\. Choose a JPEG/);
  });

  it("loads nothing from other origins and runs without script errors (CSP included)", (ctx) => {
    needsChromium(ctx);
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
