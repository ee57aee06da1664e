import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { requireAdmin } from "../http/auth";
import { rateLimit } from "../http/rate-limit";
import { limitBody } from "../http/body";
import { VersionSchema } from "../references/schema";
import { ADMIN_SECURITY, errorResponse, PointerSchema, ProfileParam, STORE_UNAVAILABLE } from "./schemas";

const ActivatedSchema = z
  .object({
    profile: z.string(),
    current: PointerSchema,
    previous: PointerSchema.nullable(),
    propagation: z.string().openapi({ description: "how soon other locations see it (Workers KV is eventually consistent)" }),
  })
  .openapi("Activated");

export const currentPutRoute = createRoute({
  method: "put",
  path: "/v1/profiles/{profile}/current",
  operationId: "setCurrentVersion",
  tags: ["admin"],
  summary: "Activate a stored version, or roll back to an earlier one (admin)",
  security: ADMIN_SECURITY,
  middleware: [rateLimit("admin"), requireAdmin, limitBody(4096)] as const,
  request: {
    params: z.object({ profile: ProfileParam }),
    body: { required: true, content: { "application/json": { schema: z.object({ version: VersionSchema }).openapi("Activate") } } },
  },
  responses: {
    200: { description: "Activated", content: { "application/json": { schema: ActivatedSchema } } },
    400: errorResponse("Invalid body"),
    401: errorResponse("Missing or wrong admin token (nothing is written)"),
    429: errorResponse("Over the admin rate limit (10 a minute per client IP); see Retry-After"),
    404: errorResponse("Unknown profile or version"),
    409: errorResponse("That version was made with another model"),
    503: errorResponse(STORE_UNAVAILABLE),
  },
});

export function registerCurrentPut(app: OpenAPIHono<AppEnv>) {
  app.openapi(currentPutRoute, async (c) => {
    const { profile } = c.req.valid("param");
    const { version } = c.req.valid("json");
    const { store } = c.var;
    const previous = await store.getPointer(profile, { fresh: true });
    const current = await store.activate(profile, version);
    return c.json(
      { profile, current, previous, propagation: "immediate in this location; other locations within about 60 seconds (KV)" },
      200,
    );
  });
}
