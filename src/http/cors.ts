import type { MiddlewareHandler } from "hono";
import { cors as honoCors } from "hono/cors";
import type { AppEnv } from "../env";

/**
 * `ALLOWED_ORIGINS`: a comma list of origins (`https://app.example`) or `*`. Unset or blank means no
 * CORS at all (no headers, no preflight answers), which keeps the API server-to-server by default.
 */
export function parseAllowedOrigins(raw: string | undefined): "*" | string[] | null {
  const items = (raw ?? "")
    .split(",")
    .map((o) => o.trim().replace(/\/+$/, ""))
    .filter((o) => o.length > 0);
  if (items.length === 0) return null;
  return items.includes("*") ? "*" : items;
}

/** Headers a browser may read from our responses (the rest of CORS-safelisted ones it reads anyway). */
const EXPOSED = ["X-Request-Id", "Retry-After"];

/**
 * CORS for one group of routes, answering only the listed methods: a preflight for any other method (the
 * admin POST on the read-only versions path) and the other method's response get no CORS headers, so a
 * browser never calls an admin route cross-origin. hono's `cors` does the header work.
 */
export function corsFor(methods: readonly string[], allowHeaders: readonly string[]): MiddlewareHandler<AppEnv> {
  const byOrigins = new Map<string, MiddlewareHandler>();
  return async (c, next) => {
    const raw = c.env.ALLOWED_ORIGINS ?? "";
    const origins = parseAllowedOrigins(raw);
    if (!origins) return next();
    const method = c.req.method === "OPTIONS" ? (c.req.header("access-control-request-method") ?? "").toUpperCase() : c.req.method;
    if (!methods.includes(method)) return next();
    let mw = byOrigins.get(raw);
    if (!mw) {
      mw = honoCors({
        origin: origins === "*" ? "*" : (origin) => (origins.includes(origin) ? origin : null),
        allowMethods: [...methods],
        allowHeaders: [...allowHeaders],
        exposeHeaders: EXPOSED,
        maxAge: 600,
      });
      byOrigins.set(raw, mw);
    }
    return mw(c, next);
  };
}

/** Routes a browser app may call: checks (and identify), and the read-only profile routes. */
export const CORS_ROUTES: { paths: string[]; methods: string[]; allowHeaders: string[] }[] = [
  { paths: ["/v1/check", "/v1/identify"], methods: ["POST"], allowHeaders: ["Content-Type", "X-API-Key", "X-Request-Id"] },
  {
    paths: ["/v1/profiles", "/v1/profiles/:profile/versions", "/v1/profiles/:profile/versions/:version"],
    methods: ["GET", "HEAD"],
    allowHeaders: ["X-Request-Id"],
  },
];
