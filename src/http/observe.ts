import type { Context, MiddlewareHandler } from "hono";
import { requestId as honoRequestId } from "hono/request-id";
import { matchedRoutes } from "hono/route";
import type { AppEnv } from "../env";

/** What a route adds to its request's log line. Never image bytes, headers or secrets. */
export interface LogFields {
  profile?: string;
  version?: string;
  verdict?: string;
  score?: number;
  timings?: Record<string, number>;
  error?: { code: string; message: string; stack?: string };
  /** Something an operator should fix (a missing binding, a failing limiter); the request went on. */
  warning?: string;
}

/** The one structured line written per request (Workers Logs indexes its JSON fields). */
export interface RequestLogLine extends LogFields {
  message: "request";
  id: string;
  method: string;
  route: string;
  path: string;
  status: number;
  ms: number;
  bodyBytes: number | null;
  origin?: string;
}

/** Adds fields to this request's log line (merged, later calls win). */
export function logFields(c: Context<AppEnv>, fields: LogFields): void {
  c.set("log", { ...c.get("log"), ...fields });
}

/**
 * `X-Request-Id` on every response: the client's own when it is sane (≤ 128 of `[A-Za-z0-9_=-]`, so it
 * cannot inject anything into logs or headers), else a fresh UUID. hono's middleware does exactly that.
 */
export const requestId = (): MiddlewareHandler<AppEnv> => honoRequestId({ headerName: "X-Request-Id", limitLength: 128 });

/** The route pattern that answered (`/v1/profiles/:profile/versions`), not the path with its values. */
function routeOf(c: Context<AppEnv>): string {
  const last = matchedRoutes(c).at(-1);
  return last && last.path !== "*" && last.path !== "/*" ? last.path : "(none)";
}

/**
 * Writes one JSON line per request after it is answered, errors included (app.onError records the error
 * in the line instead of logging it separately), at `console.error` for 5xx so Workers Logs shows them
 * as errors. `ms` is wall time, which on deployed Workers only advances on I/O.
 */
export function requestLog(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = performance.now();
    await next();
    const length = c.req.header("content-length");
    const line: RequestLogLine = {
      message: "request",
      id: c.get("requestId"),
      method: c.req.method,
      route: routeOf(c),
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - start) * 10) / 10,
      bodyBytes: length !== undefined && /^\d+$/.test(length) ? Number(length) : null,
      ...(c.req.header("origin") ? { origin: c.req.header("origin")!.slice(0, 200) } : {}),
      ...c.get("log"),
    };
    (c.res.status >= 500 ? console.error : console.log)(JSON.stringify(line));
  };
}
