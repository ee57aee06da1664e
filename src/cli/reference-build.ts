import type { Manifest } from "../model/manifest";
import { z } from "zod";
import { ReferenceSchema, type Reference } from "../references/schema";
import { calibrate, crossValidatedScores, type HeldOutScores } from "./calibrate";
import { sphericalKMeans } from "./kmeans";
import { acceptRate, separation, thresholdForMaxAcceptRate, type Separation } from "./metrics";
import { describe } from "./stats";
import { CliError, ExitCode } from "./cli-error";
import { normalizedMean, unitCosine, type Vector } from "./vectors";

export interface EnrollOptions {
  profile: string;
  displayName: string;
  /** Share of held-out normal photos the threshold must accept. */
  accept: number;
  folds: number;
  prototypes: number;
  seed: number;
  /** Raise the threshold until at most this share of the negatives is accepted. */
  maxFalseAccept?: number;
  createdBy: string;
  now: Date;
}

export interface NegativeGroup {
  name: string;
  embeddings: Vector[];
}

export interface Enrollment {
  reference: Reference;
  heldOut: HeldOutScores;
  /** Held-out normal accept rate at the final threshold (lower than `accept` if tightened). */
  normalAcceptRate: number;
  negatives: { name: string; scores: number[]; acceptRate: number }[];
  metrics?: Separation;
  tightened?: { from: number; to: number };
}

/**
 * Builds a reference from normalised embeddings: centroid and prototypes from every normal photo,
 * threshold from cross-validated (held-out) scores, negatives scored against the final centroid.
 * Pure and deterministic for the same inputs and options.
 */
export function enroll(
  manifest: Manifest,
  normals: readonly Vector[],
  negativeGroups: readonly NegativeGroup[],
  options: EnrollOptions,
  data?: Record<string, unknown>,
): Enrollment {
  const heldOut = crossValidatedScores(normals, options.folds, options.prototypes, options.seed);
  const calibrated = calibrate(heldOut, options.accept);
  const centroid = normalizedMean(normals);
  const prototypes = sphericalKMeans(normals, Math.min(options.prototypes, normals.length), options.seed).centres;

  const negatives = negativeGroups.map((g) => {
    const scores = g.embeddings.map((e) => unitCosine(e, centroid));
    return { name: g.name, scores };
  });
  const allNegativeScores = negatives.flatMap((g) => g.scores);

  let value = calibrated.value;
  let policy = { kind: "normal-accept-rate", target: options.accept };
  let tightened: Enrollment["tightened"];
  if (options.maxFalseAccept !== undefined && allNegativeScores.length > 0) {
    const limit = thresholdForMaxAcceptRate(allNegativeScores, options.maxFalseAccept);
    if (limit > 1) {
      throw new CliError(
        ExitCode.Input,
        `--max-false-accept ${options.maxFalseAccept} cannot be met: too many negatives score 1.0 (as close to the centroid as a photo can be); ` +
          "check that they are not crop photos, or allow a higher rate",
      );
    }
    if (limit > value) {
      tightened = { from: value, to: limit };
      value = limit;
      policy = { kind: "negative-accept-rate", target: options.maxFalseAccept };
    }
  }

  const negativeStats = Object.fromEntries(
    negatives.map((g) => [g.name, { ...describe(g.scores), acceptRate: acceptRate(g.scores, value) }]),
  );
  const metrics = allNegativeScores.length > 0 ? separation(heldOut.centroid, allNegativeScores) : undefined;
  const method =
    `${heldOut.folds}-fold cross-validation on ${normals.length} normal photos (fold = sorted index mod ${heldOut.folds}; ` +
    `each fold scored against a centroid built without it)` +
    (tightened ? `; threshold raised so at most ${pct(options.maxFalseAccept!)} of the negatives pass` : "");

  const draft: Reference = {
    schema: "cropgate.reference/v1",
    profile: options.profile,
    displayName: options.displayName,
    createdAt: options.now.toISOString(),
    createdBy: options.createdBy,
    model: { id: manifest.model.id, sha256: manifest.model.sha256, dimension: manifest.model.output.shape[1] },
    centroid,
    prototypes,
    threshold: {
      value,
      score: "centroid-cosine",
      policy,
      // Only meaningful under the same policy; a tightened centroid threshold has no prototype twin.
      ...(tightened ? {} : { prototypeValue: calibrated.prototypeValue }),
    },
    calibration: {
      method,
      normal: describe(heldOut.centroid),
      ...(negatives.length > 0 ? { negatives: negativeStats } : {}),
      ...(metrics ? { metrics } : {}),
    },
    ...(data ? { data } : {}),
  };
  // The worker's own schema (src/references): what enroll writes is exactly what an upload must pass.
  // What can fail here comes from the user's options (e.g. a display name over 80 characters).
  const parsed = ReferenceSchema.safeParse(draft);
  if (!parsed.success) throw new CliError(ExitCode.Usage, `the reference would not be valid: ${z.prettifyError(parsed.error)}`);
  const reference = parsed.data;
  return {
    reference,
    heldOut,
    normalAcceptRate: acceptRate(heldOut.centroid, value),
    negatives: negatives.map((g) => ({ ...g, acceptRate: negativeStats[g.name]!.acceptRate })),
    ...(metrics ? { metrics } : {}),
    ...(tightened ? { tightened } : {}),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
