import { ApiError } from "../errors";

export type ImageFormat = "jpeg" | "png" | "gif" | "webp" | "bmp" | "tiff" | "heic" | "avif" | "jxl" | "unknown";

const ascii = (bytes: Uint8Array, start: number, end: number): string =>
  String.fromCharCode(...bytes.subarray(start, end));

// ISO-BMFF (ftyp) brands of HEIF stills; iPhones write "heic" (and "mif1" as a compatible brand).
const HEIF_BRANDS = new Set(["heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "mif1", "msf1"]);
const AVIF_BRANDS = new Set(["avif", "avis"]);

/** Identifies an image by its magic bytes; headers such as Content-Type are never trusted. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (b.length >= 8 && ascii(b, 0, 8) === "\x89PNG\r\n\x1a\n") return "png";
  if (b.length >= 6 && (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a")) return "gif";
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP") return "webp";
  if (b.length >= 2 && ascii(b, 0, 2) === "BM") return "bmp";
  if (b.length >= 4 && (ascii(b, 0, 4) === "II*\0" || ascii(b, 0, 4) === "MM\0*")) return "tiff";
  if ((b.length >= 2 && b[0] === 0xff && b[1] === 0x0a) || (b.length >= 12 && ascii(b, 4, 8) === "JXL ")) return "jxl";
  if (b.length >= 12 && ascii(b, 4, 8) === "ftyp") {
    // Major brand, then the compatible brands up to the box's end.
    const boxEnd = Math.min(b.length, ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0);
    const brands = [ascii(b, 8, 12)];
    for (let i = 16; i + 4 <= boxEnd; i += 4) brands.push(ascii(b, i, i + 4));
    if (brands.some((x) => AVIF_BRANDS.has(x))) return "avif";
    if (brands.some((x) => HEIF_BRANDS.has(x))) return "heic";
  }
  return "unknown";
}

const NAMES: Record<Exclude<ImageFormat, "jpeg">, string> = {
  png: "PNG",
  gif: "GIF",
  webp: "WebP",
  bmp: "BMP",
  tiff: "TIFF",
  heic: "HEIC/HEIF",
  avif: "AVIF",
  jxl: "JPEG XL",
  unknown: "not a recognised image",
};

/** Throws the 400/415 a client can act on unless the bytes are a JPEG. */
export function requireJpeg(bytes: Uint8Array): void {
  if (bytes.length === 0) {
    throw new ApiError(400, "empty_body", "The request body is empty: send the photo as a JPEG.");
  }
  const format = sniffImageFormat(bytes);
  if (format === "jpeg") return;
  const what = NAMES[format];
  throw new ApiError(
    415,
    "unsupported_image_format",
    format === "unknown"
      ? "The body is not a JPEG image. Send a JPEG photo (in the iOS Shortcut, add 'Convert Image' to JPEG before the request)."
      : `${what} images are not supported. Send a JPEG instead (in the iOS Shortcut, add 'Convert Image' to JPEG before the request).`,
    { format },
  );
}
