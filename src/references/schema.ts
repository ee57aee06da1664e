import { z } from "zod";
import { SCORE_KINDS } from "../scoring/verdict";

/**
 * The reference JSON of docs/contracts.md §3: `models/references/<profile>.json`, the body of an
 * admin upload, the value stored in KV and the CLI's `enroll` output. Pure (zod only) so Node shares it.
 */
export const PROFILE_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const ProfileSchema = z.string().regex(PROFILE_PATTERN, "a profile is 1-63 of a-z, 0-9 and '-', not starting with '-'");

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/, "a lower-case hex sha256");
const Finite = z.number().finite();
/** Tolerance on ‖v‖ = 1 for stored unit vectors (float32 rounding, JSON round trips). */
const UNIT_TOLERANCE = 1e-3;

const UnitVector = z
  .array(Finite)
  .min(1)
  .refine((v) => Math.abs(Math.hypot(...v) - 1) <= UNIT_TOLERANCE, "must be L2-normalised");

const Quantiles = z.object({
  p01: Finite, p05: Finite, p10: Finite, p50: Finite, p90: Finite, p95: Finite, p99: Finite,
});

const Histogram = z
  .object({ edges: z.array(Finite).min(2), counts: z.array(z.number().int().nonnegative()) })
  .refine((h) => h.counts.length === h.edges.length - 1, "histogram needs one more edge than counts");

export const ScoreStatsSchema = z.object({
  count: z.number().int().nonnegative(),
  mean: Finite,
  std: Finite.nonnegative(),
  min: Finite,
  max: Finite,
  quantiles: Quantiles,
  histogram: Histogram,
});

/** A labelled prototype of what is NOT the crop (weeds, another crop…): named when a refused photo is clearly nearer to it. */
export const LookalikeSchema = z.object({ label: z.string().min(1).max(60), vector: UnitVector });
export type Lookalike = z.infer<typeof LookalikeSchema>;

/** `data.photos` (contract §3): the first 16 hex digits of the sha256 of each photo file that made the reference, by source. */
export const PHOTO_HASH_LENGTH = 16;
export const PhotoHashesSchema = z.object({
  hash: z.literal("sha256-16"),
  sources: z.record(z.string().min(1), z.array(z.string().regex(/^[0-9a-f]{16}$/, "16 lower-case hex digits"))),
});
export type PhotoHashes = z.infer<typeof PhotoHashesSchema>;

export const ReferenceSchema = z
  .object({
    schema: z.literal("cropgate.reference/v1"),
    profile: ProfileSchema,
    displayName: z.string().min(1).max(80),
    createdAt: z.iso.datetime(),
    createdBy: z.string().min(1).max(200),
    model: z.object({
      id: z.string().min(1).max(200),
      sha256: Hex64,
      dimension: z.number().int().positive(),
      // Which model output the vectors live in (manifest.model.outputs); absent = the primary `embedding`.
      // The shipped crop scores in the trained head's `embedding`; an enrolled crop may use `features`.
      output: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "an ONNX output name").optional(),
    }),
    centroid: UnitVector,
    prototypes: z.array(UnitVector).max(64).default([]),
    lookalikes: z.array(LookalikeSchema).max(64).optional(),
    threshold: z.looseObject({
      value: z.number().min(-1).max(1),
      // The uncertain band [lower, value) of contract §3; absent = no band, two verdicts.
      lower: z.number().min(-1).max(1).optional(),
      score: z.enum(SCORE_KINDS).default("centroid-cosine"),
      policy: z.looseObject({ kind: z.string().min(1) }),
      prototypeValue: z.number().min(-1).max(1).optional(),
    }),
    // Loose: the pipeline may add blocks (e.g. thresholdStability) and a stored reference keeps them.
    calibration: z.looseObject({
      method: z.string(),
      normal: ScoreStatsSchema,
      negatives: z.record(z.string(), ScoreStatsSchema.extend({ acceptRate: z.number().min(0).max(1) })).optional(),
      metrics: z
        .looseObject({ auroc: Finite.nullable().optional(), fprAt95Tpr: Finite.nullable().optional(), tprAt1Fpr: Finite.nullable().optional() })
        .optional(),
    }),
    // Free-form provenance; the one known key, `photos`, is checked so `evaluate` can trust it.
    data: z.looseObject({ photos: PhotoHashesSchema.optional() }).optional(),
  })
  .superRefine((ref, ctx) => {
    const { lower, value, score } = ref.threshold;
    if (lower !== undefined && lower > value) {
      ctx.addIssue({ code: "custom", path: ["threshold", "lower"], message: `${lower} is above threshold.value ${value}; the uncertain band is [lower, value)` });
    }
    if (score === "prototype-max-cosine" && ref.prototypes.length === 0) {
      ctx.addIssue({ code: "custom", path: ["prototypes"], message: "threshold.score 'prototype-max-cosine' needs at least one prototype" });
    }
    const dim = ref.model.dimension;
    if (ref.centroid.length !== dim) {
      ctx.addIssue({ code: "custom", path: ["centroid"], message: `has ${ref.centroid.length} values, model.dimension is ${dim}` });
    }
    ref.prototypes.forEach((p, i) => {
      if (p.length !== dim) {
        ctx.addIssue({ code: "custom", path: ["prototypes", i], message: `has ${p.length} values, model.dimension is ${dim}` });
      }
    });
    ref.lookalikes?.forEach((l, i) => {
      if (l.vector.length !== dim) {
        ctx.addIssue({ code: "custom", path: ["lookalikes", i, "vector"], message: `has ${l.vector.length} values, model.dimension is ${dim}` });
      }
    });
  });

export type Reference = z.infer<typeof ReferenceSchema>;

/** Version ids: time-ordered (lexicographic = chronological) plus randomness, never a counter. */
export const VersionSchema = z
  .string()
  .regex(/^\d{8}T\d{9}Z-[0-9a-f]{12}$/, "a version looks like 20261127T193000123Z-0123456789ab");
