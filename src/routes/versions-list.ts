import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { compatible } from "../references/store";
import { errorResponse, PointerSchema, ProfileParam, VersionSummarySchema, STORE_UNAVAILABLE } from "./schemas";

const VersionsSchema = z
  .object({ profile: z.string(), current: PointerSchema.nullable(), versions: z.array(VersionSummarySchema) })
  .openapi("Versions");

export const versionsListRoute = createRoute({
  method: "get",
  path: "/v1/profiles/{profile}/versions",
  operationId: "listVersions",
  tags: ["references"],
  summary: "A profile's reference versions, oldest first, with the current pointer",
  request: { params: z.object({ profile: ProfileParam }) },
  responses: {
    200: { description: "The versions", content: { "application/json": { schema: VersionsSchema } } },
    400: errorResponse("Invalid profile name"),
    404: errorResponse("Unknown profile"),
    503: errorResponse(STORE_UNAVAILABLE),
  },
});

export function registerVersionsList(app: OpenAPIHono<AppEnv>) {
  app.openapi(versionsListRoute, async (c) => {
    const { profile } = c.req.valid("param");
    const { store } = c.var;
    const [versions, current] = await Promise.all([store.listVersions(profile), store.getPointer(profile, { fresh: true })]);
    if (versions.length === 0) throw new ApiError(404, "profile_not_found", `Unknown profile '${profile}'.`);
    return c.json(
      {
        profile,
        current,
        versions: versions.map((v) => ({
          ...v,
          current: v.version === current?.version,
          compatible: compatible(store.model, v.model),
        })),
      },
      200,
    );
  });
}
