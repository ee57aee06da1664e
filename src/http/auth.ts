import type { MiddlewareHandler } from "hono";
import { ApiError } from "../errors";
import { parseApiKeys, type AppEnv } from "../env";

const encoder = new TextEncoder();

/**
 * Compares two secrets in constant time. Both are hashed first so the comparison runs over equal-length
 * buffers whatever the inputs' lengths (timingSafeEqual requires that) and leaks neither length nor prefix.
 */
export async function secretEquals(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** Admin routes: `Authorization: Bearer <ADMIN_TOKEN>`. Runs before the body is read or validated. */
export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const expected = c.env.ADMIN_TOKEN ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
  // An unset ADMIN_TOKEN disables the admin API rather than accepting an empty token.
  if (!match || expected.length === 0 || !(await secretEquals(match[1]!, expected))) {
    throw new ApiError(401, "unauthorized", "Admin routes need 'Authorization: Bearer <ADMIN_TOKEN>' with the right token.");
  }
  await next();
};

/** `POST /v1/check`: `X-API-Key` must be one of `API_KEYS`, but only when that secret is set. */
export const requireApiKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const keys = parseApiKeys(c.env.API_KEYS);
  if (keys.length > 0) {
    const given = c.req.header("x-api-key") ?? "";
    // Check every key (no early exit) so timing does not say which one, if any, was close.
    const matches = await Promise.all(keys.map((k) => secretEquals(given, k)));
    if (given.length === 0 || !matches.includes(true)) {
      throw new ApiError(401, "unauthorized", "This API needs a valid 'X-API-Key' header.");
    }
  }
  await next();
};
