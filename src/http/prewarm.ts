import type { MiddlewareHandler } from "hono";
import type { AppDeps, AppEnv } from "../env";

/**
 * Starts loading the model (ORT's wasm, the session and one inference: most of an isolate's first
 * verdict) in the background, once per app (isolate), on requests that announce a check: the web page
 * (`GET /`, the user picks a photo next) and a browser's CORS preflight for a check. The answer is not
 * delayed; the check that follows finds the session ready or half-built instead of paying for all of it.
 * Other requests (health probes) do not warm, so they cost no model CPU; a failure is left for the check
 * itself to report (and a later announcing request tries again).
 */
export function prewarmModel(deps: Pick<AppDeps, "getEmbedder" | "manifest">): MiddlewareHandler<AppEnv> {
  const [channels, height, width] = deps.manifest.model.input.shape.slice(1) as [number, number, number];
  let started = false;
  return async (c, next) => {
    await next();
    if (started || c.res.status >= 400) return; // e.g. a preflight refused because CORS is off
    let waitUntil: (promise: Promise<unknown>) => void;
    try {
      const ctx = c.executionCtx;
      waitUntil = (p) => ctx.waitUntil(p);
    } catch {
      return; // no execution context (app.request in tests without one): nothing to keep alive
    }
    started = true;
    // One inference on a blank tensor too: the first run of ORT's inference path is itself slow (≈ 100 ms).
    waitUntil(
      deps
        .getEmbedder()
        .then((embedder) => embedder.embed(new Float32Array(channels * height * width)))
        .catch(() => {
          started = false;
        }),
    );
  };
}
