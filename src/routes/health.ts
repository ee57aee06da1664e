import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";

const HealthSchema = z
  .object({
    status: z.literal("ok"),
    model: z.object({ id: z.string(), sha256: z.string() }),
    defaultProfile: z.string(),
  })
  .openapi("Health");

export const healthRoute = createRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  tags: ["service"],
  summary: "Liveness, and which model this worker runs (does not load the model)",
  responses: { 200: { description: "The worker is up", content: { "application/json": { schema: HealthSchema } } } },
});

export function registerHealth(app: OpenAPIHono<AppEnv>) {
  app.openapi(healthRoute, (c) => {
    const { model } = c.var.deps.manifest;
    return c.json({ status: "ok" as const, model: { id: model.id, sha256: model.sha256 }, defaultProfile: c.env.DEFAULT_PROFILE }, 200);
  });
}
