// Large photos through src/image in Node: the real 8 MP iPhone JPEGs from the shared data (skipped,
// saying why, when absent) and a synthetic 12 MP JPEG made here with jpeg-js's encoder.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import jpeg from "jpeg-js";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/errors";
import { DEFAULT_PREPROCESSING, imageToTensor } from "../../src/image";

const DATA = process.env.CROPGATE_DATA ?? new URL("../../../shared/data", import.meta.url).pathname;
const PHONE = join(DATA, "phone-photos");
const phones = existsSync(PHONE) ? readdirSync(PHONE).filter((f) => /\.jpe?g$/i.test(f)) : [];
const noPhones = `no phone photos at ${PHONE} (set CROPGATE_DATA to the shared data folder)`;
if (phones.length === 0) console.warn(`images-large: phone-photo tests skipped: ${noPhones}`);

const meanAbsLevels = (a: Float32Array, b: Float32Array) => {
  let s = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    s += d;
    m = Math.max(m, d);
  }
  return { mean: (s / a.length) * 127.5, max: m * 127.5 };
};

describe.skipIf(phones.length === 0)(`iPhone 8 MP photos${phones.length ? "" : ` (skipped: ${noPhones})`}`, () => {
  it.each(phones)("%s: rotated 180° by EXIF, decoded at 1/8, close to the full-size tensor", (name) => {
    const bytes = new Uint8Array(readFileSync(join(PHONE, name)));
    const small = imageToTensor(bytes, DEFAULT_PREPROCESSING, { maxDecoderMemoryMB: 2 });
    expect(small.info).toMatchObject({ width: 3264, height: 2448, orientation: 3, scale: 1 / 8, decodedWidth: 408, decodedHeight: 306 });
    // The full-size path equals Pillow's (test/worker/preprocessing-parity.test.ts); this is the price
    // of DCT scaling on real photos. Measured on the four photos: mean 1.58–1.67 levels, max 15.7–18.5.
    const full = imageToTensor(bytes, DEFAULT_PREPROCESSING, { minScaledSide: Infinity });
    expect(full.info.scale).toBe(1);
    const d = meanAbsLevels(small.tensor, full.tensor);
    expect(d.mean).toBeLessThan(1.8);
    expect(d.max).toBeLessThan(20);
    // Without orientation the tensor would be upside down: far from the oriented one.
    const flipped = new Uint8Array(bytes);
    // The big-endian ("MM") IFD entry: tag 0x0112, type SHORT; its value's low byte sits 9 bytes on.
    const at = Buffer.from(flipped).indexOf(Buffer.from([0x01, 0x12, 0x00, 0x03]));
    expect(at).toBeGreaterThan(0);
    expect(flipped[at + 9]).toBe(3);
    flipped[at + 9] = 1;
    expect(meanAbsLevels(imageToTensor(flipped, DEFAULT_PREPROCESSING).tensor, small.tensor).mean).toBeGreaterThan(5);
  });

  it("the full-size decode needs ~50 MiB of decoder memory, refused with 413 under a 2 MiB cap", () => {
    const bytes = new Uint8Array(readFileSync(join(PHONE, phones[0]!)));
    let err: unknown;
    try {
      imageToTensor(bytes, DEFAULT_PREPROCESSING, { minScaledSide: Infinity, maxDecoderMemoryMB: 2 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 413, code: "image_too_large" });
  });
});

describe("synthetic 12 MP JPEG", () => {
  it("decodes at 1/8 inside a 2 MiB decoder budget", { timeout: 120_000 }, () => {
    const w = 4032, h = 3024;
    const rgba = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) rgba.set([(x * 255) / w, (y * 255) / h, ((x ^ y) & 63) * 4, 255], (y * w + x) * 4);
    const bytes = new Uint8Array(jpeg.encode({ data: rgba, width: w, height: h }, 80).data);
    const r = imageToTensor(bytes, DEFAULT_PREPROCESSING, { maxDecoderMemoryMB: 2 });
    expect(r.info).toMatchObject({ width: w, height: h, scale: 1 / 8, decodedWidth: 504, decodedHeight: 378 });
    // Left-to-right red ramp survives: first column dark, last column bright.
    expect(r.tensor[0]!).toBeLessThan(-0.5);
    expect(r.tensor[127]!).toBeGreaterThan(0.5);
    console.log(`synthetic 12 MP (${bytes.length} bytes): decode ${r.timings.decodeMs.toFixed(0)} ms, preprocess ${r.timings.preprocessMs.toFixed(0)} ms (printed, not asserted)`);
  });
});
