import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ApiError } from "../errors";
import { sniffImageFormat } from "../image/sniff";
import { PHOTO_HASH_LENGTH } from "../references/schema";
import type { ImageFile } from "./discover";

/**
 * One candidate file, read once: a photo to score, a file to report as skipped (with a reason worded for
 * a terminal), or a file that is not an image at all. Files a folder happens to hold (manifest.csv,
 * README.md) are only counted; a file named on the command line is reported whatever it is.
 */
export type PhotoFile =
  | { kind: "photo"; file: ImageFile; bytes: Uint8Array<ArrayBuffer>; sha16: string }
  | { kind: "skipped"; file: ImageFile; reason: string }
  | { kind: "ignored"; file: ImageFile };

/** The first 16 hex digits of the file's sha256: `data.photos` of contract §3. */
export const sha16 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex").slice(0, PHOTO_HASH_LENGTH);

export async function readPhoto(file: ImageFile): Promise<PhotoFile> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(await readFile(file.path));
  } catch (err) {
    return { kind: "skipped", file, reason: `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  if (bytes.length === 0) return { kind: "skipped", file, reason: "empty file" };
  const format = sniffImageFormat(bytes);
  if (format === "unknown") return file.named ? { kind: "skipped", file, reason: "not an image" } : { kind: "ignored", file };
  if (format !== "jpeg") return { kind: "skipped", file, reason: notJpeg(format) };
  return { kind: "photo", file, bytes, sha16: sha16(bytes) };
}

const FORMAT_NAMES: Record<string, string> = { png: "PNG", gif: "GIF", webp: "WebP", bmp: "BMP", tiff: "TIFF", heic: "HEIC", avif: "AVIF", jxl: "JPEG XL" };

function notJpeg(format: string): string {
  return `${FORMAT_NAMES[format] ?? format} image: cropgate reads JPEG only, convert it to JPEG first`;
}

/**
 * Why a photo could not be used, for a terminal: the worker's own sentence (it is the same decoder and the
 * same limits) except where the worker speaks to a phone user (the 415 mentions the iOS Shortcut).
 */
export function terminalReason(code: string, message: string, details?: Record<string, unknown>): string {
  if (code === "unsupported_image_format") return details && typeof details.format === "string" ? notJpeg(details.format) : "not a JPEG image";
  if (code === "empty_body") return "empty file";
  return message;
}

export const reasonOf = (err: ApiError) => terminalReason(err.code, err.message, err.details);
