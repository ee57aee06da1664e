import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { errorResponse, ProfileParam, VersionParam, STORE_UNAVAILABLE } from "./schemas";

const VersionSchema = z
  .object({
    profile: z.string(),
    version: z.string(),
    storedAt: z.string(),
    current: z.boolean(),
    reference: z.record(z.string(), z.unknown()).openapi({
      description: "the stored reference JSON (docs/contracts.md §3); centroid and prototypes only with ?include=embeddings",
    }),
  })
  .openapi("Version");

export const versionGetRoute = createRoute({
  method: "get",
  path: "/v1/profiles/{profile}/versions/{version}",
  operationId: "getVersion",
  tags: ["references"],
  summary: "One reference version: metadata, calibration, and the embeddings on request",
  request: {
    params: z.object({ profile: ProfileParam, version: VersionParam }),
    query: z.object({ include: z.enum(["embeddings"]).optional() }),
  },
  responses: {
    200: { description: "The version", content: { "application/json": { schema: VersionSchema } } },
    400: errorResponse("Invalid profile, version or include"),
    404: errorResponse("Unknown profile or version"),
    503: errorResponse(STORE_UNAVAILABLE),
  },
});

export function registerVersionGet(app: OpenAPIHono<AppEnv>) {
  app.openapi(versionGetRoute, async (c) => {
    const { profile, version } = c.req.valid("param");
    const { include } = c.req.valid("query");
    const { store } = c.var;
    const stored = await store.getVersion(profile, version);
    if (!stored) {
      const known = await store.profileExists(profile);
      throw known
        ? new ApiError(404, "version_not_found", `Profile '${profile}' has no reference version '${version}'.`)
        : new ApiError(404, "profile_not_found", `Unknown profile '${profile}'.`);
    }
    const { centroid, prototypes, ...rest } = stored.reference;
    const reference = include === "embeddings" ? stored.reference : rest;
    const current = (await store.getPointer(profile, { fresh: true }))?.version === version;
    return c.json({ profile, version, storedAt: stored.storedAt, current, reference }, 200);
  });
}
