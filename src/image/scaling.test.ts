import { describe, expect, it } from "vitest";
import { DEFAULT_PREPROCESSING, imageToTensor } from "./index";
import { fixture } from "./fixtures";
import { chooseScaleDenom, scaledCoeffs } from "./scaling";

describe("chooseScaleDenom", () => {
  it("takes the largest reduction keeping the shorter side ≥ the minimum", () => {
    expect(chooseScaleDenom(3264, 2448, 256)).toBe(8); // 306
    expect(chooseScaleDenom(4032, 3024, 256)).toBe(8);
    expect(chooseScaleDenom(1024, 1024, 256)).toBe(4);
    expect(chooseScaleDenom(1024, 768, 256)).toBe(2); // 384; 1/4 would be 192
    expect(chooseScaleDenom(600, 400, 256)).toBe(1);
    expect(chooseScaleDenom(512, 512, 256)).toBe(2);
    expect(chooseScaleDenom(8064, 6048, Infinity)).toBe(1);
  });
});

describe("scaledCoeffs", () => {
  it("spans whole reduced pixels when the crop is block-aligned", () => {
    // 1024×1024 at 1/4 → 256×256; each of the 128 outputs averages 2×2 reduced pixels exactly.
    const { horiz } = scaledCoeffs(1024, 1024, 1, 4, 128, 128);
    expect(Array.from(horiz.bounds.subarray(0, 4))).toEqual([0, 2, 2, 2]);
    expect(Array.from(horiz.kk.subarray(0, 2))).toEqual([0.5, 0.5]);
  });

  it("mirrors spans from the far edge on flipped axes", () => {
    // 451 wide at 1/8: 57 reduced columns cover 56.375 full-size blocks; rotating 180° puts the
    // partial column first, so the oriented spans start 0.625 reduced pixels in.
    const plain = scaledCoeffs(451, 300, 1, 8, 128, 128).horiz;
    const turned = scaledCoeffs(451, 300, 3, 8, 128, 128).horiz;
    const first = (c: typeof plain, i: number) => c.bounds[i * 2]!;
    expect(first(plain, 0)).toBe(9); // the center square starts at x = 75 → 75/8 = 9.375
    expect(first(turned, 0)).toBe(10); // 57 - (451 - 75)/8 = 10
  });

  // chelsea-progressive.jpg re-encodes chelsea.jpg with the same quality and sampling, so at any scale the
  // two decode to nearly the same pixels. Measured mean differences: 0.045 (1/2), 0.031 (1/4) and 0.008
  // (1/8, where the progressive decoder keeps only DC terms and skips the AC scans) levels of 255.
  it.each([[150, 1 / 2], [75, 1 / 4], [37, 1 / 8]] as const)("progressive decodes at min side %i (scale %d) like the baseline original", (minScaledSide, scale) => {
    const p = imageToTensor(fixture("variants/chelsea-progressive.jpg"), DEFAULT_PREPROCESSING, { minScaledSide });
    const b = imageToTensor(fixture("chelsea.jpg"), DEFAULT_PREPROCESSING, { minScaledSide });
    expect([p.info.scale, p.info.progressive, b.info.scale]).toEqual([scale, true, scale]);
    let s = 0;
    for (let i = 0; i < p.tensor.length; i++) s += Math.abs(p.tensor[i]! - b.tensor[i]!);
    expect((s / p.tensor.length) * 127.5).toBeLessThan(0.1);
  });

  // A grayscale JPEG whose 8×8 blocks are flat, with quantisation 1: its full-size decode is exact and
  // its 1/2, 1/4 and 1/8 decodes are exact block means. Resampling the reduced image by coverage must
  // then give the full-size tensor, for every orientation; any misplaced span (the far-edge offset of
  // mirrored axes, the partial last block) shows up as a difference.
  it.each([1, 2, 3, 4, 5, 6, 7, 8])("orientation %i: reduced decodes reproduce the full-size tensor of a block-flat image", (o) => {
    const bytes = blockFlatJpeg(363, 245, o);
    const full = imageToTensor(bytes, DEFAULT_PREPROCESSING, { minScaledSide: Infinity });
    expect(full.info).toMatchObject({ orientation: o, scale: 1, components: 1 });
    for (const [minSide, scale] of [[100, 1 / 2], [40, 1 / 4], [16, 1 / 8]] as const) {
      const r = imageToTensor(bytes, DEFAULT_PREPROCESSING, { minScaledSide: minSide });
      expect(r.info.scale).toBe(scale);
      let max = 0;
      for (let i = 0; i < full.tensor.length; i++) max = Math.max(max, Math.abs(full.tensor[i]! - r.tensor[i]!));
      expect(max).toBeLessThan(1e-5);
    }
  });
});

/** Baseline grayscale JPEG, every block flat (DC only), Q = 1, EXIF orientation `o`. */
function blockFlatJpeg(w: number, h: number, o: number): Uint8Array {
  const bw = Math.ceil(w / 8), bh = Math.ceil(h / 8);
  const out: number[] = [0xff, 0xd8];
  const seg = (marker: number, body: number[]) => out.push(0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 255, ...body);
  // APP1 Exif, big-endian IFD0 with one entry: Orientation (SHORT) = o.
  seg(0xe1, [0x45, 0x78, 0x69, 0x66, 0, 0, 0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, o, 0, 0, 0, 0, 0, 0]);
  seg(0xdb, [0, ...new Array(64).fill(1)]);
  seg(0xc0, [8, h >> 8, h & 255, w >> 8, w & 255, 1, 1, 0x11, 0]);
  // DC table: category c (0–11) coded as 4-bit c. AC table: only EOB, coded "0".
  seg(0xc4, [0x00, 0, 0, 0, 12, ...new Array(12).fill(0), ...Array.from({ length: 12 }, (_, i) => i)]);
  seg(0xc4, [0x10, 1, ...new Array(15).fill(0), 0]);
  seg(0xda, [1, 1, 0, 0, 63, 0]);
  let acc = 0, n = 0;
  const put = (v: number, bits: number) => {
    for (let b = bits - 1; b >= 0; b--) {
      acc = (acc << 1) | ((v >> b) & 1);
      if (++n === 8) {
        out.push(acc);
        if (acc === 0xff) out.push(0);
        acc = 0;
        n = 0;
      }
    }
  };
  let pred = 0;
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      const v = (bx * 37 + by * 91 + ((bx * by) % 23) * 5) % 256;
      const dc = 8 * (v - 128); // a flat block's DC coefficient
      const diff = dc - pred;
      pred = dc;
      const cat = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
      put(cat, 4);
      if (cat) put(diff > 0 ? diff : diff + (1 << cat) - 1, cat);
      put(0, 1); // EOB
    }
  }
  if (n) put(0xff, 8 - n); // pad with ones
  out.push(0xff, 0xd9);
  return Uint8Array.from(out);
}
