import { describe, expect, it } from "vitest";
import { DEFAULT_PREPROCESSING, imageToTensor } from "./index";
import { warmUpImagePipeline, warmupJpeg } from "./warmup";

describe("module-scope warm-up", () => {
  it("runs the path of a photo decoded at 1/2 with EXIF orientation", () => {
    const { info, tensor } = imageToTensor(warmupJpeg(), DEFAULT_PREPROCESSING, { minScaledSide: 32 });
    expect(info).toMatchObject({ width: 96, height: 64, orientation: 6, scale: 0.5, decodedWidth: 48, decodedHeight: 32, progressive: false, components: 3 });
    expect(tensor.every(Number.isFinite)).toBe(true);
  });

  it("returns how long it took, and throws nothing", () => {
    const ms = warmUpImagePipeline(DEFAULT_PREPROCESSING, 2);
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(ms)).toBe(true);
  });
});
