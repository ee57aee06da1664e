// The web page in a real browser: Debian's Chromium driven by playwright-core (which never downloads a
// browser of its own) against `npm start` — wrangler dev with the bundled model and the seeded rice
// reference — on a free port. Screenshots go to test/artifacts/ (git-ignored).
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import jpeg from "jpeg-js";
import { type Browser, type BrowserContextOptions, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import rawManifest from "../../models/manifest.json";
import { loadNodeEmbedder } from "../../src/cli/model";
import { imageToTensor } from "../../src/image";
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

const VIEWPORTS: Record<string, BrowserContextOptions> = {
  desktop: { viewport: { width: 1280, height: 900 } },
  // An iPhone-sized screen: 390 × 844 CSS px, touch, 3× pixels.
  phone: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true },
};

type Shown = {
  verdict?: string;
  score?: number;
  threshold?: number;
  profile?: string;
  reference?: string;
  message?: string;
  error?: string;
  quality?: string;
  hint?: string;
  lookalike?: string;
  /** The /v1/check URL the page posted to. */
  requestUrl?: string;
  /** The crop picker's options and, after a reload, the value it remembered. */
  options?: string[];
  remembered?: string;
  upload?: { type: string; width: number; height: number; bytes: number };
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

/** Uploads `file` through the page's file input and reads what the page shows. */
async function check(viewport: string, file: string, label: string, { screenshot = true, crop = "" } = {}): Promise<Shown> {
  const context = await browser!.newContext(VIEWPORTS[viewport]);
  const page = await context.newPage();
  page.on("request", (r) => {
    // blob: URLs of this origin are the page's own preview of the photo.
    if (!r.url().startsWith(base) && !r.url().startsWith(`blob:${base}/`)) foreignRequests.push(r.url());
  });
  await page.addInitScript(RECORD_UPLOADS);
  page.on("pageerror", (e) => pageErrors.push(`${label}: ${e.message}`));
  page.on("console", (m) => {
    // Chromium logs every 4xx answer; the HEIC upload is meant to get one (the page shows it).
    const expected = label === "heic" && /responded with a status of 415/.test(m.text());
    if (m.type() === "error" && !expected) pageErrors.push(`${label}: ${m.text()}`);
  });
  try {
    await page.goto(`${base}/`);
    const out: Shown = {};
    // The picker has loaded the worker's profiles (so an unchanged picker means the default crop).
    await page.waitForSelector("#crop[data-loaded]");
    if (crop) {
      out.options = await page.$$eval("#crop option", (os) => os.map((o) => (o as unknown as { value: string }).value));
      await page.selectOption("#crop", crop);
    }
    const uploaded = page.waitForRequest((r) => r.url().startsWith(`${base}/v1/check`) && r.method() === "POST");
    await page.setInputFiles("#file", file);
    out.requestUrl = (await uploaded).url();
    await page.waitForSelector("#result:not([hidden]), #error:not([hidden])", { timeout: 60_000 });
    const uploads = (await page.evaluate("window.__uploads")) as Shown["upload"][];
    expect(uploads).toHaveLength(1);
    out.upload = uploads[0];
    if (await page.isVisible("#result")) {
      out.verdict = (await page.getAttribute("#result", "data-verdict")) ?? undefined;
      out.score = Number(await page.textContent("#score"));
      out.threshold = Number(await page.textContent("#threshold"));
      out.profile = (await page.textContent("#profile")) ?? undefined;
      out.reference = (await page.textContent("#reference")) ?? undefined;
      out.message = (await page.textContent("#message")) ?? undefined;
      out.quality = (await page.textContent("#quality")) ?? undefined;
      out.hint = (await page.isVisible("#hint")) ? ((await page.textContent("#hint")) ?? undefined) : undefined;
      out.lookalike = (await page.isVisible("#lookalike")) ? ((await page.textContent("#lookalike")) ?? undefined) : undefined;
    } else {
      out.error = (await page.textContent("#error-message")) ?? undefined;
    }
    if (screenshot) await page.screenshot({ path: join(ARTIFACTS, `page-${viewport}-${label}.png`), fullPage: true });
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

    // A second crop profile (the rice reference under another name) for the picker; the local KV keeps it.
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
    // The rice reference plus one lookalike centred on the cat photo's own embedding (CLI embedder).
    const embedder = await loadNodeEmbedder();
    const [cat] = await embedder.embedBatch([imageToTensor(readFileSync(join(FIXTURES, "chelsea.jpg")), embedder.preprocessing).tensor]);
    await embedder.release();
    const norm = Math.hypot(...cat!);
    await store(LOOKALIKE_CROP, { lookalikes: [{ label: "a cat", vector: Array.from(cat!, (x) => x / norm) }] });

    const large = largeJpeg();
    for (const viewport of Object.keys(VIEWPORTS)) {
      shown.set(`${viewport}/rice`, await check(viewport, join(FIXTURES, "rice-bacterial.jpg"), "rice"));
      shown.set(`${viewport}/cat`, await check(viewport, join(FIXTURES, "chelsea.jpg"), "cat"));
    }
    shown.set("desktop/large", await check("desktop", large, "large"));
    shown.set("desktop/crop", await check("desktop", join(FIXTURES, "rice-brownspot.jpg"), "crop", { crop: SECOND_CROP }));
    shown.set("desktop/lookalike", await check("desktop", join(FIXTURES, "chelsea.jpg"), "lookalike", { crop: LOOKALIKE_CROP }));
    shown.set("phone/dark", await check("phone", join(FIXTURES, "quality/rice-brownspot-dark.jpg"), "dark"));
    shown.set("desktop/heic", await check("desktop", join(FIXTURES, "variants/tiny.heic"), "heic"));
    // No screenshot: the page would show the photo, whose licence forbids redistributing it.
    if (!noPhonePhoto) shown.set("phone/iphone", await check("phone", PHONE_PHOTO, "iphone-8mp", { screenshot: false }));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  it("shows a verdict, the score against the threshold, the profile and the reference version", (ctx) => {
    needsChromium(ctx);
    for (const viewport of Object.keys(VIEWPORTS)) {
      for (const photo of ["rice", "cat"]) {
        const s = shown.get(`${viewport}/${photo}`)!;
        expect(s.error, `${viewport}/${photo}`).toBeUndefined();
        expect(["normal", "anomaly"]).toContain(s.verdict);
        expect(s.score).toBeGreaterThanOrEqual(-1);
        expect(s.score).toBeLessThanOrEqual(1);
        expect(Number.isFinite(s.threshold)).toBe(true);
        // The verdict the page shows agrees with the numbers it shows (3 decimals, so not at the edge).
        if (Math.abs(s.score! - s.threshold!) > 0.001) expect(s.verdict).toBe(s.score! >= s.threshold! ? "normal" : "anomaly");
        expect(s.profile).toBe("rice");
        expect(s.reference).toMatch(/\S/);
        expect(s.message).toMatch(/\S/);
        expect(s.upload?.type).toBe("image/jpeg");
      }
    }
  });

  it("recognises the rice photo and rejects the cat", (ctx) => {
    needsChromium(ctx);
    if (provisional) ctx.skip(`verdicts need the trained model; the bundled one is provisional (${provisional})`);
    for (const viewport of Object.keys(VIEWPORTS)) {
      expect(shown.get(`${viewport}/rice`)!.verdict, viewport).toBe("normal");
      expect(shown.get(`${viewport}/cat`)!.verdict, viewport).toBe("anomaly");
    }
  });

  it("lists the worker's profiles in a picker, checks against the chosen one and remembers it", (ctx) => {
    needsChromium(ctx);
    const s = shown.get("desktop/crop")!;
    expect(s.options).toEqual(expect.arrayContaining(["rice", SECOND_CROP]));
    expect(new URL(s.requestUrl!).searchParams.get("profile")).toBe(SECOND_CROP);
    expect(s.profile).toBe(SECOND_CROP);
    expect(s.remembered).toBe(SECOND_CROP);
    // Without a choice, the page asks for the default crop.
    expect(new URL(shown.get("desktop/cat")!.requestUrl!).searchParams.get("profile")).toBe("rice");
    expect(shown.get("desktop/cat")!.quality).toBe("ok");
    expect(shown.get("desktop/cat")!.hint).toBeUndefined();
  });

  it("says what a refused photo looks more like when the reference has lookalikes", (ctx) => {
    needsChromium(ctx);
    const s = shown.get("desktop/lookalike")!;
    expect(s.verdict).toBe("anomaly");
    expect(s.lookalike).toMatch(/^a cat \(similarity (0\.9\d\d|1\.000)\)$/); // the page re-encodes the photo: near, not always equal
    expect(s.message).toMatch(/^This looks more like a cat than a rice (leaf|plant)\./);
    // The shipped rice reference carries lookalikes of its own (one per negative source): a refused cat gets
    // one of those or none, never another profile's.
    const shipped = JSON.parse(readFileSync(new URL("../../models/references/rice.json", import.meta.url), "utf8")) as { lookalikes?: { label: string }[] };
    const cat = shown.get("desktop/cat")!.lookalike;
    if (cat !== undefined) expect(shipped.lookalikes!.map((l) => l.label)).toContain(cat.replace(/ \(similarity [\d.]+\)$/, ""));
  });

  it("shows the quality issue and how to retake the photo", (ctx) => {
    needsChromium(ctx);
    const s = shown.get("phone/dark")!;
    expect(s.error).toBeUndefined();
    expect(s.quality).toBe("too dark");
    expect(s.hint).toMatch(/too dark/);
    expect(s.message).toMatch(/Too dark: retake in daylight\.$/);
  });

  it("shrinks a large photo to 1024 px in the browser before uploading it as JPEG", (ctx) => {
    needsChromium(ctx);
    const s = shown.get("desktop/large")!;
    expect(s.upload).toMatchObject({ type: "image/jpeg", width: 1024, height: 683 });
    expect(s.verdict).toBeDefined();
    // Small photos are not enlarged.
    expect(shown.get("desktop/cat")!.upload).toMatchObject({ width: 451, height: 300 });
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
    expect(["normal", "anomaly"]).toContain(s.verdict);
  });

  it("shows the worker's own error message when the photo is not a JPEG it can read", (ctx) => {
    needsChromium(ctx);
    const s = shown.get("desktop/heic")!;
    // Chromium cannot decode HEIC, so the page sends the file as it is and the worker explains.
    expect(s.upload?.type).not.toBe("image/jpeg");
    expect(s.verdict).toBeUndefined();
    expect(s.error).toMatch(/JPEG/);
  });

  it("loads nothing from other origins and runs without script errors (CSP included)", (ctx) => {
    needsChromium(ctx);
    expect(foreignRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

