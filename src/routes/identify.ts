import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { requireApiKey } from "../http/auth";
import { limitBody, MAX_IMAGE_REQUEST_BYTES, readImageBody } from "../http/body";
import { rateLimit } from "../http/rate-limit";
import { ProfileSchema } from "../references/schema";
import type { StoredReference } from "../references/store";
import { identifyMessage, outputFor, scoreEmbedding, VERDICTS } from "../scoring";
import { analyzePhoto, photoErrorResponses, photoRequestBody } from "./photo";
import { API_KEY_SECURITY, QualitySchema, errorResponse, STORE_UNAVAILABLE } from "./schemas";

/** More candidates than any deployment has crops; bounds the work a request can ask for. */
export const MAX_IDENTIFY_PROFILES = 64;

const ProfileListSchema = z
  .string()
  .transform((s) => s.split(",").map((p) => p.trim()).filter((p) => p.length > 0))
  .pipe(z.array(ProfileSchema).min(1).max(MAX_IDENTIFY_PROFILES));

export const IdentifyQuerySchema = z.object({
  profiles: ProfileListSchema.optional().openapi({
    type: "string",
    description: `comma-separated profiles to consider (at most ${MAX_IDENTIFY_PROFILES}); default: every profile with an active reference`,
    example: "rice,tomato",
  }),
});

const RankedProfileSchema = z
  .object({
    profile: z.string(),
    displayName: z.string(),
    score: z.number().openapi({ description: "cosine similarity to the profile's reference (centroid, or the nearest prototype)" }),
    threshold: z.number(),
    lowerThreshold: z.number().openapi({ description: "score < lowerThreshold: anomaly; equals threshold when the reference has no uncertain band" }),
    verdict: z.enum(VERDICTS).openapi({ description: "this profile's verdict, as /v1/check would answer it" }),
    normal: z.boolean().openapi({ description: "verdict normal (score >= threshold): the photo passes this profile's gate" }),
    confidence: z.number().min(0).max(1),
    version: z.string().openapi({ description: "the reference version scored against" }),
  })
  .openapi("RankedProfile");

export const IdentifyResponseSchema = z
  .object({
    profiles: z.array(RankedProfileSchema).openapi({ description: "every candidate profile, highest score first" }),
    best: RankedProfileSchema.nullable().openapi({
      description: "the highest-scoring profile whose verdict is normal, or null; an uncertain profile is never best (the message names the closest one and asks for a retake)",
    }),
    unavailable: z
      .array(z.object({ profile: z.string(), code: z.string(), message: z.string() }))
      .openapi({ description: "candidate profiles left out: no usable active reference (e.g. made for another model)" }),
    quality: QualitySchema,
    model: z.object({ id: z.string(), sha256: z.string() }),
    message: z.string().openapi({ example: "Rice photo: ready for the disease check." }),
    timings: z.object({ decodeMs: z.number(), preprocessMs: z.number(), inferenceMs: z.number(), totalMs: z.number() }),
  })
  .openapi("IdentifyResult");

export const identifyRoute = createRoute({
  method: "post",
  path: "/v1/identify",
  operationId: "identifyPhoto",
  tags: ["photos"],
  summary: "Which crop is this? Scores a JPEG against every active profile and ranks them",
  security: API_KEY_SECURITY,
  // The same limit as /v1/check (one identify costs about one check): after the key check, before the body.
  middleware: [requireApiKey, rateLimit("check"), limitBody(MAX_IMAGE_REQUEST_BYTES)] as const,
  request: { query: IdentifyQuerySchema, body: photoRequestBody },
  responses: {
    200: { description: "The profiles, ranked", content: { "application/json": { schema: IdentifyResponseSchema } } },
    ...photoErrorResponses,
    404: errorResponse("A profile named in ?profiles= does not exist"),
    429: errorResponse("Over the rate limit (60 a minute per API key, or per client IP without keys); see Retry-After"),
    503: errorResponse(`No candidate profile has a usable active reference; or: ${STORE_UNAVAILABLE}`),
  },
});

type Ranked = z.infer<typeof RankedProfileSchema>;

/**
 * Highest score first; ties by name so the order is stable. `best` is the first that passes (verdict
 * normal): an uncertain profile is not a pass, so it is never best, however high it ranks.
 */
export function rank(scored: Ranked[]): { profiles: Ranked[]; best: Ranked | null } {
  const profiles = [...scored].sort((a, b) => b.score - a.score || a.profile.localeCompare(b.profile));
  return { profiles, best: profiles.find((p) => p.verdict === "normal") ?? null };
}

export function registerIdentify(app: OpenAPIHono<AppEnv>) {
  app.openapi(identifyRoute, async (c) => {
    const start = performance.now();
    const { store, deps } = c.var;
    const { profiles: asked } = c.req.valid("query");
    const bytes = await readImageBody(c.req.raw);
    // References first (KV and the isolate cache): an unknown profile or an empty store costs no decoding.
    const names = asked ? [...new Set(asked)] : (await store.listProfiles()).filter((p) => p.current !== null).map((p) => p.profile);
    const resolved = await Promise.all(
      names.map(async (profile) => {
        try {
          return { profile, stored: await store.resolve(profile, undefined) };
        } catch (err) {
          // An unknown profile the client named is its mistake; an unusable reference is only left out; a
          // store that cannot be read fails the request (503 with Retry-After), as for /v1/check.
          if (err instanceof ApiError && err.status !== 404 && err.code !== "reference_store_unavailable") return { profile, error: err };
          throw err;
        }
      }),
    );
    const usable = resolved.filter((r): r is { profile: string; stored: StoredReference } => "stored" in r);
    const unavailable = resolved.flatMap((r) => ("error" in r && r.error ? [{ profile: r.profile, code: r.error.code, message: r.error.message }] : []));
    if (usable.length === 0) {
      throw new ApiError(503, "no_reference", "No profile has a usable active reference to identify the photo against.", { unavailable });
    }

    const { outputs, quality, timings } = await analyzePhoto(bytes, deps);
    const scored: Ranked[] = [];
    for (const { profile, stored } of usable) {
      const { reference } = stored;
      let vector: Float32Array;
      try {
        vector = outputFor(outputs, reference, profile, deps.manifest.model.output.name);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        unavailable.push({ profile, code: err.code, message: err.message });
        continue;
      }
      const { score, threshold, lowerThreshold, verdict, normal, confidence } = scoreEmbedding(vector, reference);
      scored.push({ profile, displayName: reference.displayName, score, threshold, lowerThreshold, verdict, normal, confidence, version: stored.version });
    }
    if (scored.length === 0) {
      throw new ApiError(503, "no_reference", "No profile has a usable active reference to identify the photo against.", { unavailable });
    }
    const { profiles, best } = rank(scored);
    const { manifest } = deps;
    return c.json(
      {
        profiles,
        best,
        unavailable,
        quality,
        model: { id: manifest.model.id, sha256: manifest.model.sha256 },
        message: identifyMessage(best, profiles, quality.issues),
        timings: { ...timings, totalMs: performance.now() - start },
      },
      200,
    );
  });
}
