import { OpenAPIHono, type Hook } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { ApiError, errorBody } from "./errors";
import type { AppDeps, AppEnv } from "./env";
import { embeddingDimension, outputDimensions } from "./model/manifest";
import { createReferenceStore } from "./references/store";
import { registerCheck } from "./routes/check";
import { registerCurrentPut } from "./routes/current-put";
import { registerHealth } from "./routes/health";
import { registerIdentify } from "./routes/identify";
import { registerProfilesList } from "./routes/profiles-list";
import { registerVersionCreate } from "./routes/version-create";
import { registerVersionGet } from "./routes/version-get";
import { registerVersionsList } from "./routes/versions-list";
import { pageRoutes } from "./routes/page";
import { CORS_ROUTES, corsFor } from "./http/cors";
import { logFields, requestId, requestLog } from "./http/observe";
import { prewarmModel } from "./http/prewarm";

/** Validation failures of any route become `{ error: { code: "invalid_request", message } }` 400s. */
export const defaultHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (!result.success) {
    const message = formatIssues((result.error as z.ZodError).issues, result.target);
    return c.json(errorBody(new ApiError(400, "invalid_request", message)), 400);
  }
};

function formatIssues(issues: z.ZodError["issues"], target: string): string {
  const shown = issues.slice(0, 5).map((i) => `${[target, ...i.path].join(".")}: ${i.message}`);
  const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : "";
  return `Invalid request: ${shown.join("; ")}${more}.`;
}

const HTTP_CODES: Record<number, string> = {
  400: "bad_request",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
};

/** The app factory: routes, validation, errors and the OpenAPI document, with dependencies injected. */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook });
  const model = {
    id: deps.manifest.model.id,
    sha256: deps.manifest.model.sha256,
    dimension: embeddingDimension(deps.manifest),
    outputs: outputDimensions(deps.manifest),
  };

  // First: every response, errors and preflights included, gets an id and one log line.
  app.use("*", requestId(), requestLog());
  // Before CORS, so it sees the preflight's answer.
  const prewarm = prewarmModel(deps);
  app.on("GET", "/", prewarm);
  app.on("OPTIONS", ["/v1/check", "/v1/identify"], prewarm);
  for (const { paths, methods, allowHeaders } of CORS_ROUTES) {
    const mw = corsFor(methods, allowHeaders);
    for (const path of paths) app.use(path, mw);
  }

  app.use("*", async (c, next) => {
    c.set("deps", deps);
    c.set("store", createReferenceStore({ kv: c.env.REFERENCES, model, cache: deps.referenceCache, now: deps.now }));
    await next();
  });

  // Errors go into the request's one log line (requestLog), with its id, not into a line of their own.
  app.onError((err, c) => {
    if (err instanceof ApiError) {
      logFields(c, { error: { code: err.code, message: err.message } });
      for (const [name, value] of Object.entries(err.headers ?? {})) c.header(name, value);
      return c.json(errorBody(err), err.status);
    }
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      const apiError = new ApiError(status, HTTP_CODES[status] ?? "http_error", err.message || "Request refused.");
      logFields(c, { error: { code: apiError.code, message: apiError.message } });
      return c.json(errorBody(apiError), status);
    }
    // Anything else is a bug: log it in full, tell the client nothing about internals.
    const bug = err instanceof Error ? err : new Error(String(err));
    logFields(c, { error: { code: "internal_error", message: `${bug.name}: ${bug.message}`, ...(bug.stack ? { stack: bug.stack } : {}) } });
    return c.json(errorBody(new ApiError(500, "internal_error", "Something went wrong on our side; please retry later.")), 500);
  });

  app.notFound((c) => c.json(errorBody(new ApiError(404, "not_found", `No route for ${c.req.method} ${c.req.path}.`)), 404));

  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", { type: "http", scheme: "bearer" });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", { type: "apiKey", in: "header", name: "X-API-Key" });

  registerHealth(app);
  registerCheck(app);
  registerIdentify(app);
  registerProfilesList(app);
  registerVersionsList(app);
  registerVersionGet(app);
  registerVersionCreate(app);
  registerCurrentPut(app);
  app.route("/", pageRoutes);

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "cropgate",
      version: "0.1.0",
      description: "Is this really a photo of the crop? Scores a JPEG against a crop's reference embedding.",
    },
    // Every operation has an operationId and one of these tags, so generated clients get real names.
    tags: [
      { name: "photos", description: "Score a photo: is it the crop, and which crop is it" },
      { name: "references", description: "Read the crop profiles and their versioned references" },
      { name: "admin", description: "Store and activate references (ADMIN_TOKEN)" },
      { name: "service", description: "Liveness" },
    ],
  });

  return app;
}

export type App = ReturnType<typeof createApp>;
