import { z } from "@hono/zod-openapi";
import { QUALITY_ISSUES } from "../image/quality";
import { ProfileSchema, VersionSchema } from "../references/schema";

/** Shapes shared by several routes (and by the OpenAPI document). */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "profile_not_found" }),
      message: z.string().openapi({ example: "Unknown profile 'maize'." }),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .openapi("Error");

export const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

/** Every route that reads or writes KV: a store outage is the client's to retry, never a 500 (src/references/store.ts). */
export const STORE_UNAVAILABLE = "The reference store (Workers KV) could not be read or written: `reference_store_unavailable`, retry after `Retry-After` seconds";

export const ProfileParam = ProfileSchema.openapi({ param: { name: "profile", in: "path" }, example: "rice" });
export const VersionParam = VersionSchema.openapi({ param: { name: "version", in: "path" }, example: "20261127T193000123Z-0123456789ab" });

export const PointerSchema = z
  .object({ version: z.string(), activatedAt: z.string() })
  .openapi("CurrentPointer");

export const ModelIdentitySchema = z.object({
  id: z.string(),
  sha256: z.string(),
  dimension: z.number().int(),
  output: z.string().optional().openapi({ description: "model output the reference scores in; absent = embedding" }),
});

export const VersionSummarySchema = z
  .object({
    version: z.string(),
    storedAt: z.string(),
    createdAt: z.string(),
    displayName: z.string(),
    model: ModelIdentitySchema,
    threshold: z.number(),
    current: z.boolean(),
    compatible: z.boolean().openapi({ description: "made with the model this worker runs" }),
  })
  .openapi("VersionSummary");

export const ADMIN_SECURITY: Record<string, string[]>[] = [{ adminToken: [] }];
/** The API key is optional (only when API_KEYS is set), hence the empty alternative. */
export const API_KEY_SECURITY: Record<string, string[]>[] = [{ apiKey: [] }, {}];

export const QualitySchema = z
  .object({
    ok: z.boolean(),
    issues: z.array(z.enum(QUALITY_ISSUES)).openapi({ description: "what is wrong with the photo itself, whatever it shows" }),
  })
  .openapi("Quality", { description: "exposure, sharpness and size of the photo; the message says how to retake it", example: { ok: false, issues: ["dark"] } });
