import { describe, expect, it } from "vitest";
import { ApiError } from "../errors";
import { fixture } from "./fixtures";
import { requireJpeg, sniffImageFormat } from "./sniff";

const bytes = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));

describe("sniffImageFormat", () => {
  it.each([
    ["chelsea.jpg", "jpeg"],
    ["variants/chelsea-progressive.jpg", "jpeg"],
    ["variants/tiny.png", "png"],
    ["variants/tiny.gif", "gif"],
    ["variants/tiny.webp", "webp"],
    ["variants/tiny.bmp", "bmp"],
    ["variants/tiny.tif", "tiff"],
    ["variants/tiny.heic", "heic"],
    ["variants/tiny.avif", "avif"],
  ])("%s is %s", (name, format) => {
    expect(sniffImageFormat(fixture(name))).toBe(format);
  });

  it("does not call an MP4 (ftyp isom) an image, nor text, nor a lone JPEG prefix", () => {
    expect(sniffImageFormat(bytes("\0\0\0\x18ftypisom\0\0\0\0isomiso2"))).toBe("unknown");
    expect(sniffImageFormat(bytes("hello world"))).toBe("unknown");
    expect(sniffImageFormat(bytes("\xff\xd8"))).toBe("unknown");
    expect(sniffImageFormat(new Uint8Array(0))).toBe("unknown");
  });

  it("finds HEIF by a compatible brand when the major brand is generic", () => {
    expect(sniffImageFormat(bytes("\0\0\0\x18ftypmif1\0\0\0\0heicmiaf"))).toBe("heic");
  });
});

describe("requireJpeg", () => {
  const error = (b: Uint8Array): ApiError => {
    try {
      requireJpeg(b);
    } catch (err) {
      if (err instanceof ApiError) return err;
      throw err;
    }
    throw new Error("did not throw");
  };

  it("answers 400 for an empty body", () => {
    expect(error(new Uint8Array(0))).toMatchObject({ status: 400, code: "empty_body" });
  });

  it.each(["tiny.png", "tiny.gif", "tiny.webp", "tiny.bmp", "tiny.tif", "tiny.heic", "tiny.avif"])("answers 415 for %s, naming the fix", (name) => {
    const err = error(fixture(`variants/${name}`));
    expect(err.status).toBe(415);
    expect(err.code).toBe("unsupported_image_format");
    expect(err.message).toMatch(/JPEG/);
    expect(err.message).toMatch(/Convert Image/);
  });

  it("answers 415 for bytes that are no image", () => {
    expect(error(bytes("%PDF-1.7 ..."))).toMatchObject({ status: 415, details: { format: "unknown" } });
  });

  it("lets a JPEG through", () => {
    expect(() => requireJpeg(fixture("coffee.jpg"))).not.toThrow();
  });
});
