import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * An error a client caused or can act on. Every module throws this (never a bare Error) for bad input,
 * so the app can answer `{ "error": { "code", "message" } }` with the right status; anything else
 * that escapes is a bug and is answered as a 500 with a generic message.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Response headers the answer must carry (e.g. `Retry-After` on a 503). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };

export function errorBody(err: ApiError): ErrorBody {
  return { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
}
