import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { requireApiKey } from "../http/auth";
import { limitBody, MAX_IMAGE_REQUEST_BYTES, readImageBody } from "../http/body";
import { logFields } from "../http/observe";
import { rateLimit } from "../http/rate-limit";
import { ProfileSchema, VersionSchema } from "../references/schema";
import { checkMessage, nearestLookalike, outputFor, scoreEmbedding, VERDICTS } from "../scoring";
import { analyzePhoto, photoErrorResponses, photoRequestBody } from "./photo";
import { API_KEY_SECURITY, QualitySchema, errorResponse, STORE_UNAVAILABLE } from "./schemas";

export const CheckQuerySchema = z.object({
  profile: ProfileSchema.optional().openapi({ description: "crop profile; default from DEFAULT_PROFILE", example: "rice" }),
  version: VersionSchema.optional().openapi({ description: "pin a reference version instead of the current one" }),
});

export const CheckResponseSchema = z
  .object({
    verdict: z.enum(VERDICTS).openapi({
      description:
        "normal: score >= threshold (a photo of the crop: pass it on); uncertain: lowerThreshold <= score < threshold " +
        "(neither a pass nor a refusal: ask for a retake); anomaly: score < lowerThreshold (not the crop)",
    }),
    normal: z.boolean().openapi({ description: "true only for verdict normal" }),
    score: z.number().openapi({
      description: "cosine similarity of the photo's embedding to the reference: to its centroid, or the largest to any prototype (threshold.score of the reference)",
    }),
    threshold: z.number().openapi({ description: "score >= threshold means normal" }),
    lowerThreshold: z.number().openapi({
      description: "score < lowerThreshold means anomaly; equals threshold when the reference has no uncertain band",
    }),
    confidence: z.number().min(0).max(1).openapi({ description: "confidence in the verdict; 0.5 at the nearest of the two thresholds" }),
    profile: z.string(),
    reference: z.object({ version: z.string(), createdAt: z.string() }),
    model: z.object({ id: z.string(), sha256: z.string() }),
    quality: QualitySchema,
    lookalike: z
      .object({ label: z.string(), similarity: z.number() })
      .nullable()
      .openapi({ description: "for a refused photo (anomaly) clearly nearer to one of the reference's lookalikes (weeds, another crop…) than to the crop: which; else null" }),
    message: z.string().openapi({
      description: "one line for the person holding the phone: what was checked and what to do next; a quality issue leads it when the photo is not passed, and is a tip when it is",
      example: "Rice photo: ready for the disease check.",
    }),
    timings: z
      .object({ decodeMs: z.number(), preprocessMs: z.number(), inferenceMs: z.number(), totalMs: z.number() })
      .openapi({ description: "server-side milliseconds; coarse on deployed Workers, whose clock only advances on I/O" }),
  })
  .openapi("CheckResult");

export const checkRoute = createRoute({
  method: "post",
  path: "/v1/check",
  operationId: "checkPhoto",
  tags: ["photos"],
  summary: "Is this photo really the crop? Scores a JPEG against the profile's reference",
  security: API_KEY_SECURITY,
  // Limited after the key check (counts per valid key) and before the body is read.
  middleware: [requireApiKey, rateLimit("check"), limitBody(MAX_IMAGE_REQUEST_BYTES)] as const,
  request: {
    query: CheckQuerySchema,
    body: photoRequestBody,
  },
  responses: {
    200: { description: "The verdict", content: { "application/json": { schema: CheckResponseSchema } } },
    ...photoErrorResponses,
    404: errorResponse("Unknown profile or version"),
    409: errorResponse("The pinned version was made for another model"),
    429: errorResponse("Over the rate limit (60 a minute per API key, or per client IP without keys); see Retry-After"),
    503: errorResponse(`No active reference for the profile yet, or it was made for another model; or: ${STORE_UNAVAILABLE}`),
  },
});

/** DEFAULT_PROFILE comes from wrangler.toml; a bad value is a deployment bug (500, logged), not the client's. */
export function defaultProfile(env: Env): string {
  const parsed = ProfileSchema.safeParse(env.DEFAULT_PROFILE);
  if (!parsed.success) throw new Error(`DEFAULT_PROFILE ${JSON.stringify(env.DEFAULT_PROFILE)} is not a valid profile name`);
  return parsed.data;
}

export function registerCheck(app: OpenAPIHono<AppEnv>) {
  app.openapi(checkRoute, async (c) => {
    const start = performance.now();
    const query = c.req.valid("query");
    const profile = query.profile ?? defaultProfile(c.env);
    const { version } = query;
    logFields(c, { profile, ...(version ? { version } : {}) });
    const bytes = await readImageBody(c.req.raw);
    // Cheap lookups first: an unknown profile costs no decoding.
    const stored = await c.var.store.resolve(profile, version, { knownProfile: profile === c.env.DEFAULT_PROFILE });
    const { manifest } = c.var.deps;
    const { outputs, quality, timings } = await analyzePhoto(bytes, c.var.deps);
    const { reference } = stored;
    const vector = outputFor(outputs, reference, profile, manifest.model.output.name);
    const result = scoreEmbedding(vector, reference);
    const lookalike = nearestLookalike(vector, reference, result);
    const allTimings = { ...timings, totalMs: performance.now() - start };
    logFields(c, { version: stored.version, verdict: result.verdict, score: result.score, timings: allTimings });
    return c.json(
      {
        ...result,
        profile,
        reference: { version: stored.version, createdAt: reference.createdAt },
        model: { id: manifest.model.id, sha256: manifest.model.sha256 },
        quality,
        lookalike,
        message: checkMessage({ verdict: result.verdict, displayName: reference.displayName, lookalike: lookalike?.label ?? null, issues: quality.issues }),
        timings: allTimings,
      },
      200,
    );
  });
}
