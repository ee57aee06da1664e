import { ApiError } from "../errors";

/** What the markers before the first scan say about a JPEG; read without decoding anything. */
export interface JpegHeader {
  width: number;
  height: number;
  components: number;
  precision: number;
  progressive: boolean;
  /** SOF marker type, e.g. 0xc0 baseline, 0xc2 progressive. */
  sof: number;
  /** EXIF Orientation (1–8); 1 when absent or unreadable. */
  orientation: number;
  /** Adobe APP14 transform code, or null without an Adobe marker. */
  adobeTransform: number | null;
}

const invalid = (message: string): ApiError => new ApiError(422, "invalid_jpeg", message);

/** SOF markers libjpeg knows; jpeg-js (and our decoder) only do Huffman baseline/extended/progressive. */
const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const SUPPORTED_SOF = new Set([0xc0, 0xc1, 0xc2]);

/**
 * Walks the marker segments from SOI to the first SOS. Throws 422 when the structure is broken or the
 * coding process is one we cannot decode (lossless, arithmetic, 12-bit).
 */
export function readJpegHeader(bytes: Uint8Array): JpegHeader {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) throw invalid("Not a JPEG (no SOI marker).");
  let offset = 2;
  let orientation = 1;
  let adobeTransform: number | null = null;
  let frame: Omit<JpegHeader, "orientation" | "adobeTransform"> | null = null;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) throw invalid(`Corrupt JPEG: expected a marker at byte ${offset}.`);
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      offset += 2;
      continue;
    }
    if (marker === 0xd9) break; // EOI before any scan
    const length = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    if (length < 2 || offset + 2 + length > bytes.length) throw invalid("Truncated JPEG: a header segment runs past the end of the file.");
    const seg = bytes.subarray(offset + 4, offset + 2 + length);
    if (marker === 0xda) {
      if (!frame) throw invalid("Corrupt JPEG: scan data before the frame header (SOF).");
      return { ...frame, orientation, adobeTransform };
    }
    if (SOF_MARKERS.has(marker)) {
      if (frame) throw invalid("Unsupported JPEG: more than one frame.");
      if (seg.length < 6) throw invalid("Corrupt JPEG: short frame header (SOF).");
      const components = seg[5]!;
      frame = {
        precision: seg[0]!,
        height: (seg[1]! << 8) | seg[2]!,
        width: (seg[3]! << 8) | seg[4]!,
        components,
        progressive: marker === 0xc2,
        sof: marker,
      };
      if (!SUPPORTED_SOF.has(marker)) {
        throw new ApiError(422, "unsupported_jpeg", "This JPEG uses lossless, hierarchical or arithmetic coding, which is not supported. Re-save it as a standard JPEG.", { sof: marker });
      }
      if (frame.precision !== 8) {
        throw new ApiError(422, "unsupported_jpeg", `This JPEG has ${frame.precision}-bit samples; only 8-bit JPEGs are supported.`);
      }
      if (frame.width === 0 || frame.height === 0) throw invalid("Corrupt JPEG: the frame header declares a zero width or height.");
      if (![1, 3, 4].includes(components) || seg.length < 6 + 3 * components) {
        throw invalid(`Unsupported JPEG: ${components} colour components (expected 1, 3 or 4).`);
      }
    } else if (marker === 0xe1 && orientation === 1) {
      orientation = exifOrientation(seg);
    } else if (marker === 0xee && seg.length >= 12 && String.fromCharCode(...seg.subarray(0, 5)) === "Adobe") {
      adobeTransform = seg[11]!;
    }
    offset += 2 + length;
  }
  throw invalid("Truncated JPEG: no image data (the file ends before the first scan).");
}

/**
 * EXIF Orientation (tag 0x0112 in IFD0) from an APP1 payload. Malformed EXIF yields 1, as image viewers
 * ignore it. ~30 lines instead of a library: we already walk the markers, the tag sits at a fixed place
 * in IFD0, and exifr — the obvious library — has only a Promise API while imageToTensor is synchronous.
 */
export function exifOrientation(app1: Uint8Array): number {
  if (app1.length < 14 || String.fromCharCode(...app1.subarray(0, 6)) !== "Exif\0\0") return 1;
  const tiff = app1.subarray(6);
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return 1;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  if (view.getUint16(2, little) !== 42) return 1;
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > tiff.length) return 1;
  const count = view.getUint16(ifd, little);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return 1;
    if (view.getUint16(entry, little) !== 0x0112) continue;
    const type = view.getUint16(entry + 2, little);
    const value = type === 3 ? view.getUint16(entry + 8, little) : type === 4 ? view.getUint32(entry + 8, little) : 0;
    return value >= 1 && value <= 8 ? value : 1;
  }
  return 1;
}
