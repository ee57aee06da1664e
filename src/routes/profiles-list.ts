import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { errorResponse, PointerSchema, STORE_UNAVAILABLE } from "./schemas";

const ProfilesSchema = z
  .object({
    defaultProfile: z.string(),
    profiles: z.array(z.object({ profile: z.string(), displayName: z.string(), current: PointerSchema.nullable() })),
  })
  .openapi("Profiles");

export const profilesListRoute = createRoute({
  method: "get",
  path: "/v1/profiles",
  operationId: "listProfiles",
  tags: ["references"],
  summary: "Profiles that have at least one stored reference version",
  responses: {
    200: { description: "The profiles", content: { "application/json": { schema: ProfilesSchema } } },
    503: errorResponse(STORE_UNAVAILABLE),
  },
});

export function registerProfilesList(app: OpenAPIHono<AppEnv>) {
  app.openapi(profilesListRoute, async (c) => {
    const profiles = await c.var.store.listProfiles();
    return c.json({ defaultProfile: c.env.DEFAULT_PROFILE, profiles }, 200);
  });
}
