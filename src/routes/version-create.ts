import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { requireAdmin } from "../http/auth";
import { rateLimit } from "../http/rate-limit";
import { limitBody } from "../http/body";
import { ReferenceSchema } from "../references/schema";
import { ADMIN_SECURITY, errorResponse, PointerSchema, ProfileParam, VersionSummarySchema, STORE_UNAVAILABLE } from "./schemas";

/** A reference with a few hundred floats is ≈ 25 kB; 1 MiB leaves room for 64 prototypes of 512-d. */
export const MAX_REFERENCE_BYTES = 1024 * 1024;

const CreatedSchema = z.object({ profile: z.string(), version: VersionSummarySchema, current: PointerSchema.nullable() }).openapi("VersionCreated");

export const versionCreateRoute = createRoute({
  method: "post",
  path: "/v1/profiles/{profile}/versions",
  operationId: "createVersion",
  tags: ["admin"],
  summary: "Store a new immutable reference version (admin); ?activate=true also makes it current",
  security: ADMIN_SECURITY,
  middleware: [rateLimit("admin"), requireAdmin, limitBody(MAX_REFERENCE_BYTES)] as const,
  request: {
    params: z.object({ profile: ProfileParam }),
    query: z.object({
      activate: z.enum(["true", "false"]).optional().openapi({ description: "make the new version current" }),
    }),
    body: { required: true, content: { "application/json": { schema: ReferenceSchema.openapi("Reference") } } },
  },
  responses: {
    201: { description: "Stored", content: { "application/json": { schema: CreatedSchema } } },
    400: errorResponse("Invalid reference JSON, or its profile differs from the path"),
    401: errorResponse("Missing or wrong admin token (nothing is written)"),
    429: errorResponse("Over the admin rate limit (10 a minute per client IP); see Retry-After"),
    409: errorResponse("The reference was made with another model or dimension"),
    413: errorResponse("Body over 1 MiB"),
    415: errorResponse("Not application/json"),
    503: errorResponse(STORE_UNAVAILABLE),
  },
});

export function registerVersionCreate(app: OpenAPIHono<AppEnv>) {
  app.openapi(versionCreateRoute, async (c) => {
    const { profile } = c.req.valid("param");
    const { activate } = c.req.valid("query");
    const reference = c.req.valid("json");
    if (reference.profile !== profile) {
      throw new ApiError(400, "profile_mismatch", `The reference is for profile '${reference.profile}' but was posted to '${profile}'.`);
    }
    const { version, current } = await c.var.store.create(reference, { activate: activate === "true" });
    const compatible = true; // create() refuses anything else
    c.header("location", `/v1/profiles/${profile}/versions/${version.version}`);
    return c.json({ profile, version: { ...version, current: current !== null, compatible }, current }, 201);
  });
}
