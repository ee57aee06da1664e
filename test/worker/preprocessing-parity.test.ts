import { describe, expect, it } from "vitest";
import { DEFAULT_PREPROCESSING, imageToTensor } from "../../src/image";
import { fixture } from "../../src/image/fixtures";
import { rgbToTensor } from "../../src/image/tensor";
import { getEmbedder, manifest } from "../../src/model/bundled";

// models/test-vectors.json (docs/contracts.md §4) is written by the Python pipeline from the fixtures;
// this proves the worker's preprocessing gives the tensors and embeddings Python gives.
const found = import.meta.glob("../../models/test-vectors.json", { eager: true, import: "default" });
const vectors = Object.values(found)[0] as TestVectors | undefined;
const absent = "models/test-vectors.json is not committed yet (the model pipeline writes it)";
if (!vectors) console.warn(`preprocessing parity skipped: ${absent}`);

interface Summary {
  sum: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  sha256: string;
  sample: number[];
  sampleIndices: number[];
  channelMeans?: number[];
}
interface TestVectors {
  model: { sha256: string };
  preprocessing: string;
  images: { file: string; tensor: Summary; embeddingFp32: number[]; embeddingInt8: number[] }[];
  resizeVectors: { width: number; height: number; box: [number, number, number, number] | null; tensor: Summary }[];
}

const sha256 = async (t: Float32Array) =>
  [...new Uint8Array(await crypto.subtle.digest("SHA-256", t))].map((b) => b.toString(16).padStart(2, "0")).join("");

const maxSampleDiff = (t: Float32Array, s: Summary) => Math.max(...s.sampleIndices.map((i, k) => Math.abs(t[i]! - s.sample[k]!)));

const channelMeans = (t: Float32Array) => {
  const p = t.length / 3;
  return [0, 1, 2].map((c) => t.subarray(c * p, (c + 1) * p).reduce((a, v) => a + v, 0) / p);
};

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

describe.skipIf(!vectors)(`preprocessing parity with the Python pipeline${vectors ? "" : ` (skipped: ${absent})`}`, () => {
  const v = vectors!;

  it("uses the same recipe id", () => {
    expect(v.preprocessing).toBe(DEFAULT_PREPROCESSING.id);
    expect(manifest.preprocessing.id).toBe(v.preprocessing);
  });

  // Steps 3–5 without a decoder: the same generated RGB on both sides.
  it.each(v?.resizeVectors ?? [])("resize vector $width×$height box $box is exact", async ({ width, height, box, tensor: expected }) => {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = (x * 7 + y * 13 + c * 71 + ((x * y) % 17)) % 256;
    const t = rgbToTensor({ width, height, data, channels: 3 }, manifest.preprocessing, box ?? undefined);
    expect(maxSampleDiff(t, expected)).toBeLessThanOrEqual(1e-5);
    expect(t.reduce((a, x) => a + x, 0)).toBeCloseTo(expected.sum, 3);
    // Stronger than 1e-5: resize.ts reproduces Pillow's float operations, so the bytes are identical.
    expect(await sha256(t)).toBe(expected.sha256);
  });

  // Full-size decoding reproduces libjpeg-turbo's pixels (jpeg-idct.ts, jpeg-color.ts), so with DCT
  // scaling turned off the whole tensor is byte-identical to Python's.
  it.each(v?.images ?? [])("$file: full-size tensor is byte-identical", async ({ file, tensor: expected }) => {
    const { tensor } = imageToTensor(fixture(file.replace("test/fixtures/images/", "")), manifest.preprocessing, { minScaledSide: Infinity });
    expect(await sha256(tensor)).toBe(expected.sha256);
  });

  // What the worker really runs: images whose shorter side is ≥ 4 × the model input are decoded at 1/2 or
  // less (among the fixtures only astronaut-1024.jpg at the 160-px input). Measured on it: largest sample
  // difference 0.0242 (3.1 levels; 0.01667 on a 512-px photo at the former 128-px input, docs/images.md),
  // channel means within 0.0025. The bounds sit just above.
  it.each(v?.images ?? [])("$file: default (DCT-scaled when large) tensor matches within rounding", ({ file, tensor: expected }) => {
    const { tensor, info } = imageToTensor(fixture(file.replace("test/fixtures/images/", "")), manifest.preprocessing);
    const tol = info.scale === 1 ? 0 : { sample: 0.03, channelMean: 0.003 };
    if (tol === 0) {
      expect(maxSampleDiff(tensor, expected)).toBe(0);
      return;
    }
    expect(maxSampleDiff(tensor, expected)).toBeLessThan(tol.sample);
    channelMeans(tensor).forEach((m, c) => expect(Math.abs(m - expected.channelMeans![c]!)).toBeLessThan(tol.channelMean));
  });

  describe("embeddings", () => {
    it("vectors were made with the bundled model", () => {
      expect(v.model.sha256).toBe(manifest.model.sha256);
    });

    // int8 is the model the worker runs: the same tensor through the same graph must give Python's
    // embedding (measured with the first trained model, c6aab893: 0.999996–1.000000 at full size, 0.999917
    // for astronaut.jpg decoded at 1/2). fp32 is the unquantised model: no int8 runtime gets closer to it
    // than Python's own int8 embedding does (quantisation error: 0.998748–0.999876 on these fixtures; the
    // worker measured 0.998748–0.999914), so that bound is Python's gap minus 0.001, capped at 0.999.
    it.each(v?.images ?? [])("$file: cosine ≥ 0.999 to Python's int8 embedding, fp32 within Python's own int8 gap", async ({ file, embeddingInt8, embeddingFp32 }) => {
      const embedder = await getEmbedder();
      const { tensor } = imageToTensor(fixture(file.replace("test/fixtures/images/", "")), manifest.preprocessing);
      const e = await embedder.embed(tensor);
      const int8 = cosine(e, embeddingInt8);
      const fp32 = cosine(e, embeddingFp32);
      const pythonGap = cosine(embeddingInt8, embeddingFp32);
      console.log(`${file}: cosine to Python int8 ${int8.toFixed(6)}, to fp32 ${fp32.toFixed(6)} (Python int8 to fp32 ${pythonGap.toFixed(6)})`);
      expect(int8).toBeGreaterThanOrEqual(0.999);
      expect(fp32).toBeGreaterThanOrEqual(Math.min(0.999, pythonGap - 0.001));
    });
  });
});
