import { describe, expect, it } from "vitest";
import { ApiError } from "../errors";
import { fixture } from "./fixtures";
import { DEFAULT_PREPROCESSING, PreprocessingSchema, decodeJpeg, imageToTensor } from "./index";

const toTensor = (name: string, limits?: Parameters<typeof imageToTensor>[2]) =>
  imageToTensor(fixture(name), DEFAULT_PREPROCESSING, limits);

const meanAbsLevels = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return (s / a.length) * 127.5;
};

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("did not throw");
}

describe("PreprocessingSchema", () => {
  it("accepts the contract's recipe and refuses another", () => {
    expect(PreprocessingSchema.parse(DEFAULT_PREPROCESSING)).toEqual(DEFAULT_PREPROCESSING);
    expect(() => PreprocessingSchema.parse({ ...DEFAULT_PREPROCESSING, layout: "NHWC" })).toThrow();
    expect(() => PreprocessingSchema.parse({ ...DEFAULT_PREPROCESSING, resize: { ...DEFAULT_PREPROCESSING.resize, filter: "bilinear" } })).toThrow();
  });
});

describe("imageToTensor", () => {
  it("makes a 1×3×128×128 tensor in [-1, 1] and reports what it decoded", () => {
    const { tensor, info, timings } = toTensor("chelsea.jpg");
    expect(tensor.length).toBe(3 * 128 * 128);
    expect(Math.min(...tensor)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...tensor)).toBeLessThanOrEqual(1);
    expect(info).toMatchObject({ format: "jpeg", width: 451, height: 300, orientation: 1, progressive: false, components: 3 });
    expect(timings.decodeMs).toBeGreaterThanOrEqual(0);
  });

  // Variants are re-encodings of chelsea.jpg (test/fixtures/images/README.md), so they differ from it by
  // JPEG noise: a mean of about 1 level. A wrong orientation or colour conversion costs over 10 levels.
  const base = toTensor("chelsea.jpg").tensor;
  it.each(["chelsea-progressive", "chelsea-cmyk", "chelsea-444", "chelsea-422", "chelsea-orientation-3", "chelsea-orientation-6", "chelsea-orientation-8"])(
    "%s gives chelsea.jpg's tensor back",
    (name) => {
      expect(meanAbsLevels(toTensor(`variants/${name}.jpg`).tensor, base)).toBeLessThan(2);
    },
  );

  it("decodes a lossless progressive + restart-marker transcode of chelsea.jpg to exactly its tensor", () => {
    const { tensor, info } = toTensor("variants/chelsea-progressive-restart.jpg");
    expect(info.progressive).toBe(true);
    expect(tensor).toEqual(base);
  });

  it.each([1, 2, 4, 8] as const)("decodes that transcode at 1/%i to exactly chelsea.jpg's pixels (its AC scans skipped past restart markers at 1/8)", (d) => {
    const opts = { scaleDenom: d, maxMemoryBytes: 2 ** 26 };
    const a = decodeJpeg(fixture("variants/chelsea-progressive-restart.jpg"), opts);
    const b = decodeJpeg(fixture("chelsea.jpg"), opts);
    expect([a.width, a.height]).toEqual([Math.ceil(451 / d), Math.ceil(300 / d)]);
    expect(a.data).toEqual(b.data);
  });

  it("decodes 4:4:0 (h1v2) like the 4:2:2 original transposed", () => {
    // chelsea-440.jpg is a lossless transpose of chelsea-422.jpg. Upsampling and colour conversion are
    // symmetric; only the IDCT's column-then-row rounding is not. Measured: max 3, mean 0.045 levels.
    const a = decodeJpeg(fixture("variants/chelsea-440.jpg"), { scaleDenom: 1, maxMemoryBytes: 2 ** 26 });
    const b = decodeJpeg(fixture("variants/chelsea-422.jpg"), { scaleDenom: 1, maxMemoryBytes: 2 ** 26 });
    expect([a.width, a.height, b.width, b.height]).toEqual([300, 451, 451, 300]);
    let max = 0, sum = 0;
    for (let y = 0; y < a.height; y++)
      for (let x = 0; x < a.width; x++)
        for (let c = 0; c < 3; c++) {
          const d = Math.abs(a.data[(y * a.width + x) * 3 + c]! - b.data[(x * b.width + y) * 3 + c]!);
          max = Math.max(max, d);
          sum += d;
        }
    expect(max).toBeLessThanOrEqual(3);
    expect(sum / a.data.length).toBeLessThan(0.06);
  });

  it("would notice a wrong orientation", () => {
    // orientation 6 stored pixels, decoded as if they were orientation 8: upside down
    const bytes = fixture("variants/chelsea-orientation-6.jpg").slice();
    const at = indexOfTag(bytes);
    bytes[at] = 8;
    expect(meanAbsLevels(imageToTensor(bytes, DEFAULT_PREPROCESSING).tensor, base)).toBeGreaterThan(10);
  });

  it("replicates grayscale to three equal channels", () => {
    const { tensor, info } = toTensor("variants/chelsea-gray.jpg");
    expect(info.components).toBe(1);
    const p = 128 * 128;
    expect(tensor.subarray(0, p)).toEqual(tensor.subarray(p, 2 * p));
    expect(tensor.subarray(0, p)).toEqual(tensor.subarray(2 * p, 3 * p));
  });

  describe("bad input", () => {
    it("400 for an empty body", () => {
      expect(apiError(() => imageToTensor(new Uint8Array(0), DEFAULT_PREPROCESSING))).toMatchObject({ status: 400, code: "empty_body" });
    });

    it.each(["tiny.png", "tiny.gif", "tiny.webp", "tiny.heic", "tiny.avif", "tiny.bmp", "tiny.tif"])("415 for %s", (name) => {
      expect(apiError(() => toTensor(`variants/${name}`))).toMatchObject({ status: 415, code: "unsupported_image_format" });
    });

    it("413 for too many bytes, before decoding", () => {
      const err = apiError(() => toTensor("coffee.jpg", { maxBytes: 1000 }));
      expect(err).toMatchObject({ status: 413, code: "image_too_large" });
    });

    it("413 for a tiny file that declares 65 535 × 65 535 pixels", () => {
      const err = apiError(() => toTensor("variants/sof-65535x65535.jpg"));
      expect(err).toMatchObject({ status: 413, code: "image_too_large", details: { width: 65535, height: 65535 } });
    });

    it("keeps a default when a limit is given as undefined, and refuses a nonsense limit", () => {
      expect(apiError(() => toTensor("variants/sof-65535x65535.jpg", { maxPixels: undefined }))).toMatchObject({ status: 413 });
      expect(() => toTensor("coffee.jpg", { maxBytes: Number.NaN })).toThrow(TypeError);
    });

    it("413 when the pixel limit is lower than the photo", () => {
      expect(apiError(() => toTensor("coffee.jpg", { maxPixels: 600 * 400 - 1 }))).toMatchObject({ status: 413 });
      expect(() => toTensor("coffee.jpg", { maxPixels: 600 * 400 })).not.toThrow();
    });

    it("422 for a truncated JPEG", () => {
      expect(apiError(() => toTensor("variants/coffee-truncated.jpg"))).toMatchObject({ status: 422, code: "invalid_jpeg" });
    });

    it("422 for a truncated JPEG with an EOI marker glued on (libjpeg would show gray blocks)", () => {
      const cut = fixture("variants/coffee-truncated.jpg");
      const glued = new Uint8Array(cut.length + 2);
      glued.set(cut);
      glued.set([0xff, 0xd9], cut.length);
      expect(apiError(() => imageToTensor(glued, DEFAULT_PREPROCESSING))).toMatchObject({ status: 422, code: "invalid_jpeg" });
      // …and at 1/8 too, where the decoder skips IDCTs (a 50 MP header with no data must not cost seconds).
      expect(apiError(() => imageToTensor(glued, DEFAULT_PREPROCESSING, { minScaledSide: 40 })).status).toBe(422);
    });

    it("422 for garbage after a JPEG signature", () => {
      const bytes = Uint8Array.from({ length: 4000 }, (_, i) => (i * 7919) % 251);
      bytes.set([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]);
      expect(apiError(() => imageToTensor(bytes, DEFAULT_PREPROCESSING)).status).toBe(422);
    });

    it("only a tensor or ApiError 413/415/422 for 300 randomly corrupted JPEGs (never another exception)", () => {
      let seed = 12345;
      const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
      const sources = ["chelsea.jpg", "variants/chelsea-progressive.jpg", "variants/chelsea-cmyk.jpg", "variants/chelsea-gray.jpg"].map(fixture);
      const outcomes = { ok: 0, 413: 0, 422: 0 };
      for (let i = 0; i < 300; i++) {
        const bytes = sources[i % sources.length]!.slice();
        const flips = 1 + Math.floor(rand() * 8);
        for (let f = 0; f < flips; f++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
        try {
          const { tensor } = imageToTensor(bytes, DEFAULT_PREPROCESSING);
          expect(tensor.every(Number.isFinite)).toBe(true);
          outcomes.ok++;
        } catch (err) {
          expect(err).toBeInstanceOf(ApiError);
          expect([413, 415, 422]).toContain((err as ApiError).status);
          if ((err as ApiError).status !== 415) outcomes[(err as ApiError).status as 413 | 422]++;
        }
      }
      // Most flips land in entropy-coded data, which decodes to a (damaged) picture, as libjpeg does.
      expect(outcomes.ok).toBeGreaterThan(0);
    });

    it("422, not a crash, for every prefix of a JPEG", () => {
      const full = fixture("variants/chelsea-progressive.jpg");
      for (let n = 3; n < full.length; n += 997) {
        const err = apiError(() => imageToTensor(full.subarray(0, n), DEFAULT_PREPROCESSING));
        expect(err.status).toBe(422);
      }
    });
  });
});

/** Offset of the Orientation value in the fixture's (big-endian) EXIF block. */
function indexOfTag(bytes: Uint8Array): number {
  for (let i = 0; i < 200; i++) if (bytes[i] === 0x01 && bytes[i + 1] === 0x12 && bytes[i + 2] === 0 && bytes[i + 3] === 3) return i + 9;
  throw new Error("no orientation tag");
}
