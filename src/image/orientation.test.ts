import { describe, expect, it } from "vitest";
import { applyOrientation } from "./orientation";

// A 3×2 one-channel image:  a b c
//                           d e f
const img = { width: 3, height: 2, channels: 1, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };

// What Pillow's exif_transpose displays for each tag (PIL Transpose ops written out by hand).
const expected: Record<number, { w: number; h: number; rows: number[][] }> = {
  1: { w: 3, h: 2, rows: [[1, 2, 3], [4, 5, 6]] },
  2: { w: 3, h: 2, rows: [[3, 2, 1], [6, 5, 4]] }, // FLIP_LEFT_RIGHT
  3: { w: 3, h: 2, rows: [[6, 5, 4], [3, 2, 1]] }, // ROTATE_180
  4: { w: 3, h: 2, rows: [[4, 5, 6], [1, 2, 3]] }, // FLIP_TOP_BOTTOM
  5: { w: 2, h: 3, rows: [[1, 4], [2, 5], [3, 6]] }, // TRANSPOSE
  6: { w: 2, h: 3, rows: [[4, 1], [5, 2], [6, 3]] }, // ROTATE_270 (90° clockwise)
  7: { w: 2, h: 3, rows: [[6, 3], [5, 2], [4, 1]] }, // TRANSVERSE
  8: { w: 2, h: 3, rows: [[3, 6], [2, 5], [1, 4]] }, // ROTATE_90 (90° counter-clockwise)
};

describe("applyOrientation", () => {
  it.each(Object.keys(expected).map(Number))("orientation %i", (o) => {
    const out = applyOrientation(img, o);
    const e = expected[o]!;
    expect([out.width, out.height]).toEqual([e.w, e.h]);
    expect(Array.from(out.data)).toEqual(e.rows.flat());
  });

  it("moves whole pixels of interleaved RGB", () => {
    const rgb = { width: 2, height: 1, channels: 3, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    expect(Array.from(applyOrientation(rgb, 2).data)).toEqual([4, 5, 6, 1, 2, 3]);
  });

  it("ignores out-of-range tags", () => {
    expect(applyOrientation(img, 0)).toBe(img);
    expect(applyOrientation(img, 9)).toBe(img);
  });
});
