// Fuzz targets (issue 15): what one fuzzed input must satisfy. Jazzer.js drives them through
// test/fuzz/*.fuzz.ts (`npm run fuzz`); test/node/fuzz-regressions.test.ts replays the seed corpus and
// every past finding through the same functions, so the invariants are part of `npm test` too.
//
// A "finding" is anything these functions throw: an error that is not an ApiError with a 4xx status
// (the worker would answer 500), a broken invariant on a decoded image, or a decode that stays over
// its time budget when repeated.
import jpegJs from "jpeg-js";
import { ApiError } from "../../src/errors";
import { readImageBody } from "../../src/http/body";
import { DEFAULT_IMAGE_LIMITS, DEFAULT_PREPROCESSING, checkImage, decodeJpeg, imageToTensor, readJpegHeader, type ScaleDenom } from "../../src/image";
import { applyOrientation, type RgbImage } from "../../src/image/orientation";

/** Client errors a bad file or body may cause; anything else is a finding. */
const CLIENT_ERRORS = new Set([400, 413, 415, 422]);

/** The production limits, so the fuzzer explores what the worker accepts (50 MP declared, 96 MiB decoder cap). */
export const LIMITS = DEFAULT_IMAGE_LIMITS;
const MAX_DECODER_BYTES = LIMITS.maxDecoderMemoryMB * 2 ** 20;

/**
 * Time budget, per megapixel: a decode (or imageToTensor) of an input may take at most BUDGET_FACTOR
 * times what an ordinary photo costs per megapixel in this same process — measured once at first use
 * (referenceMsPerMP), so the budget follows the machine and Jazzer.js's instrumentation, which slows every
 * branch several times. Time is this process's CPU time (process.cpuUsage), not wall time, so other
 * jobs on a shared machine do not make an input look slow. Megapixels are the declared frame's at the
 * decoded scale, at least MIN_MP (fixed costs: the 160×160 resize, table building). A call over budget is
 * timed twice more and is a finding only if the best of the three is still over (a GC pause is not a
 * finding).
 */
export const BUDGET_FACTOR = 20;
export const MIN_MP = 0.25;
let reference: number | undefined;

/** CPU time of this process (user + system, all threads), in ms. */
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** CPU ms per megapixel of a full-size decode + imageToTensor of a 512×384 q90 photo-like JPEG, best of 5. */
export function referenceMsPerMP(): number {
  if (reference !== undefined) return reference;
  const w = 512, h = 384, rgba = new Uint8Array(w * h * 4);
  let seed = 7;
  for (let i = 0; i < w * h; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const x = i % w, y = (i / w) | 0, n = (seed >>> 25) & 15;
    rgba.set([(x * 200) / w + n, (y * 200) / h + n, 128 + 60 * Math.sin(x / 17 + y / 23) + n, 255], i * 4);
  }
  const bytes = new Uint8Array(jpegJs.encode({ data: rgba, width: w, height: h }, 90).data);
  let best = Infinity;
  for (let i = 0; i < 7; i++) {
    const t0 = cpuNow();
    decodeJpeg(bytes, { scaleDenom: 1, maxMemoryBytes: MAX_DECODER_BYTES });
    imageToTensor(bytes, DEFAULT_PREPROCESSING, { minScaledSide: Infinity });
    if (i >= 2) best = Math.min(best, cpuNow() - t0);
  }
  reference = best / ((w * h) / 1e6);
  return reference;
}

const budgetMs = (mp: number) => BUDGET_FACTOR * referenceMsPerMP() * Math.max(MIN_MP, mp);

export class Finding extends Error {
  override readonly name = "Finding";
}

/** Runs `fn`; an ApiError with a client status is an accepted outcome (returns undefined), anything else is rethrown. */
function accepted<T>(what: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ApiError && CLIENT_ERRORS.has(err.status)) return undefined;
    if (err instanceof ApiError) throw new Finding(`${what}: ApiError ${err.status} ${err.code}: ${err.message}`);
    throw err;
  }
}

function timed<T>(what: string, budgetMs: number, fn: () => T): T | undefined {
  let best = Infinity;
  let result: T | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const t0 = cpuNow();
    result = accepted(what, fn);
    best = Math.min(best, cpuNow() - t0);
    if (best <= budgetMs) return result;
  }
  throw new Finding(`${what}: ${best.toFixed(0)} ms, over its budget of ${budgetMs.toFixed(0)} ms (best of 3)`);
}

function expect(cond: boolean, message: string): void {
  if (!cond) throw new Finding(message);
}

function checkOrientation(img: RgbImage, orientation: number): void {
  const out = applyOrientation(img, orientation);
  const swap = orientation >= 5 && orientation <= 8;
  expect(out.width === (swap ? img.height : img.width) && out.height === (swap ? img.width : img.height), `orientation ${orientation}: wrong size`);
  expect(out.data.length === img.data.length && out.channels === img.channels, `orientation ${orientation}: wrong length`);
  // A transposition moves pixels, never changes them: the byte sum is kept.
  let a = 0, b = 0;
  for (let i = 0; i < img.data.length; i++) (a += img.data[i]!), (b += out.data[i]!);
  expect(a === b, `orientation ${orientation}: pixel values changed`);
}

/**
 * One JPEG input: the header reader, the size checks, the decoder at every DCT scale (1/8, 1/4, 1/2,
 * full), orientation (the file's own and, on the smallest decode, all eight) and the whole
 * `imageToTensor` the worker runs.
 */
export function fuzzJpeg(bytes: Uint8Array): void {
  const header = accepted("readJpegHeader", () => readJpegHeader(bytes));
  if (header) {
    expect(header.width >= 1 && header.height >= 1 && header.orientation >= 1 && header.orientation <= 8, "readJpegHeader: impossible header");
  }
  const checked = accepted("checkImage", () => checkImage(bytes, LIMITS));
  if (checked) {
    const pixels = checked.width * checked.height;
    expect(pixels <= LIMITS.maxPixels, "checkImage let a frame over maxPixels through");
    for (const d of [8, 4, 2, 1] as ScaleDenom[]) {
      const mp = pixels / (d * d) / 1e6;
      const img = timed(`decodeJpeg 1/${d}`, budgetMs(mp), () => decodeJpeg(bytes, { scaleDenom: d, maxMemoryBytes: MAX_DECODER_BYTES }));
      if (!img) continue;
      const w = Math.ceil(checked.width / d), h = Math.ceil(checked.height / d);
      expect(img.width === w && img.height === h, `decodeJpeg 1/${d}: ${img.width}×${img.height}, expected ${w}×${h}`);
      expect(img.channels === 1 || img.channels === 3, `decodeJpeg 1/${d}: ${img.channels} channels`);
      expect(img.data.length === w * h * img.channels, `decodeJpeg 1/${d}: wrong data length`);
      expect(img.data.length <= MAX_DECODER_BYTES, `decodeJpeg 1/${d}: output over the memory cap`);
      if (d === 8 && img.data.length <= 1 << 16) for (let o = 1; o <= 8; o++) checkOrientation(img, o);
      else checkOrientation(img, checked.orientation);
    }
  }
  const mp = checked ? (checked.width * checked.height) / 1e6 : 0;
  const r = timed("imageToTensor", budgetMs(mp), () => imageToTensor(bytes, DEFAULT_PREPROCESSING));
  if (r) {
    const { width, height } = DEFAULT_PREPROCESSING.resize;
    expect(r.tensor.length === 3 * width * height, "imageToTensor: wrong tensor length");
    let lo = Infinity, hi = -Infinity;
    for (const v of r.tensor) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    expect(lo >= -1.0001 && hi <= 1.0001, `imageToTensor: values ${lo}..${hi} outside [-1, 1]`);
  }
}

const BOUNDARY = "cropgate-fuzz-boundary";

/**
 * One request body through `readImageBody` (the check routes' parser): the first input byte picks the
 * envelope and content type, the rest is the body as sent — a raw image, a multipart form (boundary
 * fixed, the fuzzer writes the parts) or JSON `{ "image": base64 }` text. Bodies it accepts go through
 * `checkImage` too. Runs on Node's Request/FormData (undici), not workerd's: the parser's own branches
 * and errors are what is fuzzed here.
 */
export async function fuzzBody(input: Uint8Array): Promise<void> {
  if (input.length === 0) return;
  const mode = input[0]! % 6;
  const body = input.subarray(1);
  const type = [
    "image/jpeg",
    "application/octet-stream",
    `multipart/form-data; boundary=${BOUNDARY}`,
    "multipart/form-data", // no boundary
    "application/json",
    "application/vnd.api+json",
  ][mode]!;
  const request = new Request("http://fuzz.invalid/v1/check", { method: "POST", headers: { "content-type": type }, body });
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readImageBody(request);
  } catch (err) {
    if (err instanceof ApiError && CLIENT_ERRORS.has(err.status)) return;
    if (err instanceof ApiError) throw new Finding(`readImageBody: ApiError ${err.status} ${err.code}`);
    throw err;
  }
  expect(bytes instanceof Uint8Array && bytes.length > 0, "readImageBody returned no bytes without an error");
  accepted("checkImage", () => checkImage(bytes, LIMITS));
}
