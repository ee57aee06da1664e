import type { AppDeps } from "../env";
import { imageToTensor, type Quality } from "../image";
import type { ModelOutputs } from "../model/session";
import { errorResponse } from "./schemas";

/** What `/v1/check` and `/v1/identify` share: the photo body they accept and the errors it can cause. */

// The body is parsed by hand (readImageBody) so its size is bounded while reading; the schemas here only
// document it and are plain OpenAPI objects on purpose, which keeps zod-openapi from reading it first.
const binary = { type: "string", format: "binary" } as const;
export const photoRequestBody = {
  required: true,
  description: "A JPEG: raw, as the one file part of a multipart form, or base64 in JSON. The format is sniffed from the bytes.",
  content: {
    "image/jpeg": { schema: binary },
    "application/octet-stream": { schema: binary },
    "multipart/form-data": { schema: { type: "object", additionalProperties: binary } },
    "application/json": { schema: { type: "object", required: ["image"], properties: { image: { type: "string", contentEncoding: "base64" } } } },
  } as never,
};

export const photoErrorResponses = {
  400: errorResponse("Empty body, malformed multipart/JSON/base64, or invalid query"),
  401: errorResponse("API_KEYS is set and X-API-Key is missing or wrong"),
  413: errorResponse("Body, file or declared pixel count too large"),
  415: errorResponse("Not a JPEG (HEIC, PNG, WebP, GIF, ...)"),
  422: errorResponse("A JPEG that cannot be decoded"),
} as const;

export interface AnalyzedPhoto {
  /** Every model output of the one inference, by name. */
  outputs: ModelOutputs;
  quality: Quality;
  timings: { decodeMs: number; preprocessMs: number; inferenceMs: number };
}

/** One decode and one inference, whatever the number of references the outputs are then scored against. */
export async function analyzePhoto(bytes: Uint8Array, deps: AppDeps): Promise<AnalyzedPhoto> {
  const { tensor, timings, quality } = imageToTensor(bytes, deps.manifest.preprocessing);
  const embedder = await deps.getEmbedder();
  const t0 = performance.now();
  const outputs = await embedder.run(tensor);
  return { outputs, quality, timings: { ...timings, inferenceMs: performance.now() - t0 } };
}
