import type { MiddlewareHandler } from "hono";
import { ApiError } from "../errors";
import { parseApiKeys, type AppEnv } from "../env";
import { logFields } from "./observe";

/**
 * The two limiters of wrangler.toml's `[[ratelimits]]`. The binding only answers success or not, so the
 * limit and period are repeated here for the 429's message and `Retry-After`.
 */
export const RATE_LIMITS = {
  check: { binding: "CHECK_LIMITER", limit: 60, periodSeconds: 60 },
  admin: { binding: "ADMIN_LIMITER", limit: 10, periodSeconds: 60 },
} as const satisfies Record<string, { binding: keyof Env; limit: number; periodSeconds: number }>;

export type RateLimitKind = keyof typeof RATE_LIMITS;

/** `RATE_LIMIT` var: only an explicit "off" disables limiting, so a typo fails safe. */
export function rateLimitEnabled(raw: string | undefined): boolean {
  return (raw ?? "").trim().toLowerCase() !== "off";
}

/**
 * The client an over-limit answer applies to. Cloudflare sets `CF-Connecting-IP` (clients cannot forge
 * it in production); `X-Forwarded-For` is never trusted. Without either (local tools) all share one bucket.
 */
export function clientIp(request: Request): string {
  return request.headers.get("cf-connecting-ip")?.trim() || "unknown";
}

const encoder = new TextEncoder();

/** A short SHA-256 of the API key: the limiter key is sent to Cloudflare's counters and may show in logs. */
async function keyDigest(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(key)));
  return Array.from(digest.subarray(0, 12), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Limits a route with the Workers Rate Limiting binding of `kind`. Checks count per API key when
 * `API_KEYS` is set (mount it after `requireApiKey`, so the key is a valid one), else per client IP;
 * admin routes count per client IP (mount it before `requireAdmin`, so token guesses count too).
 * Over the limit: 429 `rate_limited` with `Retry-After` (the whole period: the binding does not say
 * when its window ends). A missing binding or a failing limiter lets the request through (with a
 * warning in its log line): limiting protects the CPU budget, it must not take the API down.
 */
export function rateLimit(kind: RateLimitKind): MiddlewareHandler<AppEnv> {
  const { binding, limit, periodSeconds } = RATE_LIMITS[kind];
  return async (c, next) => {
    if (!rateLimitEnabled(c.env.RATE_LIMIT)) return next();
    const limiter = c.env[binding] as RateLimit | undefined;
    const apiKey = kind === "check" && parseApiKeys(c.env.API_KEYS).length > 0 ? c.req.header("x-api-key") : undefined;
    const key = apiKey ? `${kind}:key:${await keyDigest(apiKey)}` : `${kind}:ip:${clientIp(c.req.raw)}`;
    let success = true;
    try {
      if (limiter) ({ success } = await limiter.limit({ key }));
      else logFields(c, { warning: `RATE_LIMIT is on but the ${binding} binding is missing; not limiting` });
    } catch (err) {
      logFields(c, { warning: `${binding}.limit failed, not limiting: ${String(err).slice(0, 200)}` });
    }
    if (!success) {
      c.header("Retry-After", String(periodSeconds));
      throw new ApiError(429, "rate_limited", `Too many requests: at most ${limit} per ${periodSeconds} s per client. Retry after ${periodSeconds} s.`, {
        limit,
        periodSeconds,
      });
    }
    return next();
  };
}
