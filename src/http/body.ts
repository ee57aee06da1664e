import { z } from "zod";
import { bodyLimit } from "hono/body-limit";
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../errors";

/** Largest image accepted, in bytes (matches src/image's DEFAULT_IMAGE_LIMITS.maxBytes). */
export const MAX_IMAGE_BYTES = 16 * 1024 * 1024;
/** Room for multipart boundaries and part headers. */
const MULTIPART_OVERHEAD = 64 * 1024;
/** Base64 inflates by 4/3; allow whitespace and the JSON wrapper on top. */
export const MAX_IMAGE_REQUEST_BYTES = Math.ceil(MAX_IMAGE_BYTES / 3) * 4 + MULTIPART_OVERHEAD;

/**
 * Refuses a body larger than `maxBytes` with 413 while it is read (hono's bodyLimit checks
 * Content-Length up front and counts a streamed body chunk by chunk), before any parsing or model work.
 */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new ApiError(413, "payload_too_large", `The request body is larger than ${maxBytes} bytes.`, { maxBytes });
    },
  });
}

export const ImageJsonBodySchema = z.object({
  image: z.string().min(1, "image must be a non-empty base64 string"),
});

const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

type FromBase64 = (text: string, options: { alphabet: "base64" | "base64url" }) => Uint8Array;
// workerd has the built-in decoder, which needs no intermediate binary string; runtimes without it
// (Node 20) fall back to atob.
const fromBase64 = (Uint8Array as unknown as { fromBase64?: FromBase64 }).fromBase64?.bind(Uint8Array);

/** Decodes standard or URL-safe base64, with or without a `data:...;base64,` prefix and whitespace. */
export function decodeBase64(text: string): Uint8Array {
  const invalid = () => new ApiError(400, "invalid_base64", "The 'image' field is not valid base64.");
  const payload = text.startsWith("data:") ? text.slice(text.indexOf(",") + 1) : text;
  if (fromBase64) {
    try {
      return fromBase64(payload, { alphabet: /[-_]/.test(payload) ? "base64url" : "base64" });
    } catch {
      throw invalid();
    }
  }
  const compact = payload.replace(/\s+/g, "");
  if (!BASE64.test(compact) || compact.length % 4 === 1) throw invalid();
  let binary: string;
  try {
    binary = atob(compact.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    // atob also refuses padding in the wrong place ("…//=" after 43 characters): found by fuzzing (issue 15).
    throw invalid();
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function mediaType(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

/**
 * The image bytes of a check request, whatever the envelope: a raw body (any content type: the format is
 * sniffed from the bytes later), `multipart/form-data` with exactly one file part under any field name,
 * or JSON `{ "image": "<base64>" }`. Size limits are enforced by `limitBody` before this runs.
 */
export async function readImageBody(request: Request, maxImageBytes = MAX_IMAGE_BYTES): Promise<Uint8Array> {
  const type = mediaType(request);
  let bytes: Uint8Array;
  if (type === "multipart/form-data") {
    bytes = await readMultipartFile(request);
  } else if (type === "application/json" || type.endsWith("+json")) {
    bytes = await readJsonImage(request);
  } else {
    bytes = new Uint8Array(await request.arrayBuffer());
  }
  if (bytes.length === 0) throw new ApiError(400, "empty_body", "The request body is empty: send the photo as a JPEG.");
  if (bytes.length > maxImageBytes) {
    throw new ApiError(413, "payload_too_large", `The image is ${bytes.length} bytes; the limit is ${maxImageBytes} bytes.`, {
      maxBytes: maxImageBytes,
    });
  }
  return bytes;
}

async function readMultipartFile(request: Request): Promise<Uint8Array> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw new ApiError(400, "invalid_multipart", "The multipart/form-data body could not be parsed (check the boundary).");
  }
  const files: File[] = [];
  for (const [, value] of form.entries()) if (typeof value !== "string") files.push(value);
  if (files.length === 0) throw new ApiError(400, "no_file", "The multipart body has no file part: attach the photo as a file.");
  if (files.length > 1) throw new ApiError(400, "multiple_files", `The multipart body has ${files.length} files; send exactly one photo.`);
  return new Uint8Array(await files[0]!.arrayBuffer());
}

async function readJsonImage(request: Request): Promise<Uint8Array> {
  let json: unknown;
  try {
    json = JSON.parse(await request.text());
  } catch {
    throw new ApiError(400, "invalid_json", 'The body is not valid JSON; send { "image": "<base64 JPEG>" }.');
  }
  const parsed = ImageJsonBodySchema.safeParse(json);
  if (!parsed.success) {
    throw new ApiError(400, "invalid_request", 'The JSON body must be { "image": "<base64 JPEG>" }.');
  }
  return decodeBase64(parsed.data.image);
}
