import { describe, expect, it } from "vitest";
import { fixture } from "./fixtures";
import { exifOrientation, readJpegHeader } from "./jpeg-header";

describe("readJpegHeader", () => {
  it.each([
    ["chelsea.jpg", { width: 451, height: 300, components: 3, progressive: false, orientation: 1 }],
    ["variants/chelsea-progressive.jpg", { width: 451, height: 300, components: 3, progressive: true }],
    ["variants/chelsea-gray.jpg", { components: 1 }],
    ["variants/chelsea-cmyk.jpg", { components: 4, adobeTransform: 0 }],
    ["variants/chelsea-orientation-3.jpg", { width: 451, height: 300, orientation: 3 }],
    ["variants/chelsea-orientation-6.jpg", { width: 300, height: 451, orientation: 6 }],
    ["variants/chelsea-orientation-8.jpg", { width: 300, height: 451, orientation: 8 }],
    ["variants/sof-65535x65535.jpg", { width: 65535, height: 65535 }],
  ])("%s", (name, expected) => {
    expect(readJpegHeader(fixture(name))).toMatchObject(expected);
  });

  it("rejects a file cut inside its headers with 422", () => {
    const cut = fixture("chelsea.jpg").subarray(0, 100);
    expect(() => readJpegHeader(cut)).toThrow(expect.objectContaining({ status: 422, code: "invalid_jpeg" }));
  });

  it("rejects lossless and arithmetic-coded JPEGs clearly", () => {
    const bytes = fixture("chelsea.jpg").slice();
    const sof = findMarker(bytes, 0xc0);
    bytes[sof + 1] = 0xc9; // arithmetic sequential
    expect(() => readJpegHeader(bytes)).toThrow(expect.objectContaining({ status: 422, code: "unsupported_jpeg" }));
  });

  it("rejects a zero-height frame (DNL) with 422", () => {
    const bytes = fixture("chelsea.jpg").slice();
    const sof = findMarker(bytes, 0xc0);
    bytes[sof + 5] = 0;
    bytes[sof + 6] = 0;
    expect(() => readJpegHeader(bytes)).toThrow(expect.objectContaining({ status: 422 }));
  });
});

describe("exifOrientation", () => {
  const app1 = (little: boolean, tag: number, type: number, value: number) => {
    const b = new Uint8Array(6 + 8 + 2 + 12 + 4);
    b.set([0x45, 0x78, 0x69, 0x66, 0, 0]);
    const v = new DataView(b.buffer, 6);
    b.set(little ? [0x49, 0x49] : [0x4d, 0x4d], 6);
    v.setUint16(2, 42, little);
    v.setUint32(4, 8, little);
    v.setUint16(8, 1, little);
    v.setUint16(10, tag, little);
    v.setUint16(12, type, little);
    v.setUint32(14, 1, little);
    if (type === 3) v.setUint16(18, value, little);
    else v.setUint32(18, value, little);
    return b;
  };

  it("reads both byte orders", () => {
    expect(exifOrientation(app1(true, 0x0112, 3, 6))).toBe(6);
    expect(exifOrientation(app1(false, 0x0112, 3, 8))).toBe(8);
  });

  it("treats out-of-range values, other tags and garbage as 1", () => {
    expect(exifOrientation(app1(true, 0x0112, 3, 9))).toBe(1);
    expect(exifOrientation(app1(true, 0x0110, 3, 6))).toBe(1);
    expect(exifOrientation(app1(true, 0x0112, 3, 6).subarray(0, 20))).toBe(1);
    expect(exifOrientation(new Uint8Array([0x45, 0x78, 0x69, 0x66, 0, 0, 1, 2, 3]))).toBe(1);
  });
});

function findMarker(bytes: Uint8Array, marker: number): number {
  let i = 2;
  while (bytes[i + 1] !== marker) i += 2 + ((bytes[i + 2]! << 8) | bytes[i + 3]!);
  return i;
}
