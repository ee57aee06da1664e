import { describe, expect, it } from "vitest";
import { centerSquareBox, precomputeCoeffs, resampleBox } from "./resize";

// The exact Pillow comparison is the resize vectors in test/worker/preprocessing-parity.test.ts; these
// pin properties that hold for any correct box filter.
describe("precomputeCoeffs (Pillow's BOX)", () => {
  it("averages whole source pixels on an integer downscale", () => {
    const { ksize, bounds, kk } = precomputeCoeffs(8, 0, 8, 2);
    expect(Array.from(bounds)).toEqual([0, 4, 4, 4]);
    expect(Array.from(kk.subarray(0, 4))).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(ksize).toBe(5);
  });

  it("weights sum to 1 for a fractional box", () => {
    const { ksize, bounds, kk } = precomputeCoeffs(97, 3.5, 90.75, 128);
    for (let i = 0; i < 128; i++) {
      let s = 0;
      for (let k = 0; k < bounds[i * 2 + 1]!; k++) s += kk[i * ksize + k]!;
      expect(s).toBeCloseTo(1, 12);
    }
  });
});

describe("resampleBox", () => {
  const plane = (w: number, h: number, f: (x: number, y: number) => number) => {
    const data = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
    return { data, width: w, height: h, stride: 1, channel: 0 };
  };

  it("is the identity at the same size", () => {
    const src = plane(5, 4, (x, y) => x * 10 + y);
    expect(Array.from(resampleBox(src, [0, 0, 5, 4], 5, 4))).toEqual(Array.from(src.data));
  });

  it("keeps a constant image constant", () => {
    const out = resampleBox(plane(301, 203, () => 77), centerSquareBox(301, 203), 128, 128);
    expect(out.every((v) => Math.abs(v - 77) < 1e-4)).toBe(true);
  });

  it("2×2-averages on a 2× downscale", () => {
    const out = resampleBox(plane(4, 2, (x) => (x % 2 === 0 ? 0 : 100)), [0, 0, 4, 2], 2, 1);
    expect(Array.from(out)).toEqual([50, 50]);
  });
});

describe("centerSquareBox", () => {
  it("floors odd margins", () => {
    expect(centerSquareBox(301, 203)).toEqual([49, 0, 252, 203]);
    expect(centerSquareBox(300, 451)).toEqual([0, 75, 300, 375]);
    expect(centerSquareBox(64, 64)).toEqual([0, 0, 64, 64]);
  });
});
