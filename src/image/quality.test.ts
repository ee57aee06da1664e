import { describe, expect, it } from "vitest";
import { fixture } from "./fixtures";
import { DEFAULT_PREPROCESSING, imageToTensor } from "./index";
import { QUALITY_THRESHOLDS, measureQuality, qualityIssues } from "./quality";

const quality = (name: string) => imageToTensor(fixture(name), DEFAULT_PREPROCESSING).quality;
const flat = (w: number, h: number, v: number) => ({ width: w, height: h, channels: 3, data: new Uint8Array(w * h * 3).fill(v) });

describe("photo quality", () => {
  it.each(["rice-bacterial.jpg", "rice-brownspot.jpg", "rice-leafsmut.jpg", "chelsea.jpg", "coffee.jpg", "astronaut.jpg"])("%s has no issue", (name) => {
    expect(quality(name)).toEqual({ ok: true, issues: [] });
  });

  // Degraded copies of rice-brownspot.jpg (test/fixtures/images/README.md): the ones the calibration uses.
  it.each([
    ["quality/rice-brownspot-dark.jpg", ["dark"]],
    ["quality/rice-brownspot-bright.jpg", ["overexposed"]],
    ["quality/rice-brownspot-blur.jpg", ["blurry"]],
    ["quality/rice-brownspot-96.jpg", ["low_resolution"]],
  ])("%s is flagged %j", (name, issues) => {
    expect(quality(name)).toEqual({ ok: false, issues });
  });

  it("judges size from the JPEG's declared size, not a DCT-scaled decode", () => {
    // 2000 × 1500 decoded at 1/8 is 250 × 188: still a big photo.
    const stats = measureQuality(flat(250, 188, 120), { width: 2000, height: 1500 });
    expect(qualityIssues(stats)).not.toContain("low_resolution");
    expect(qualityIssues(measureQuality(flat(150, 400, 120)))).toContain("low_resolution");
  });

  it("calls a flat mid-grey image blurry, a black one only dark, a white one overexposed", () => {
    expect(qualityIssues(measureQuality(flat(300, 300, 128)))).toEqual(["blurry"]);
    expect(qualityIssues(measureQuality(flat(300, 300, 0)))).toEqual(["dark"]);
    expect(qualityIssues(measureQuality(flat(300, 300, 255)))).toContain("overexposed");
  });

  it("keeps sharpness independent of exposure: a fine checkerboard is sharp whatever its contrast", () => {
    for (const [lo, hi] of [[100, 110], [60, 200]] as const) {
      const img = flat(256, 256, 0);
      for (let y = 0; y < 256; y++) for (let x = 0; x < 256; x++) img.data.fill(((x >> 2) + (y >> 2)) % 2 ? hi : lo, (y * 256 + x) * 3, (y * 256 + x) * 3 + 3);
      expect(measureQuality(img).sharpness).toBeGreaterThan(QUALITY_THRESHOLDS.minSharpness * 10);
    }
  });
});
