import type { Manifest } from "../model/manifest";
import { z } from "zod";
import { ReferenceSchema, type Reference } from "../references/schema";
import { calibrate, crossValidatedScores, type HeldOutScores } from "./calibrate";
import { sphericalKMeans } from "./kmeans";
import { acceptRate, placeThreshold, separation, thresholdForMaxAcceptRate, type Separation } from "./metrics";
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
  /** With negatives and no maxFalseAccept: the false-accept budget per negative group of the balanced rule. */
  negativeBudget?: number;
  /** The model output the embeddings come from; the primary output when absent. */
  output?: { name: string; dimension: number };
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
  /** Set when negatives placed the threshold (balanced rule): its worst goal ratio (≤ 1: every goal met). */
  placed?: { worstGoalRatio: number; negativeBudget: number };
}

/** False-accept budget per negative group when negatives place an enrolment's threshold. */
export const DEFAULT_NEGATIVE_BUDGET = 0.01;

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
  let policy: Reference["threshold"]["policy"] = { kind: "normal-accept-rate", target: options.accept };
  let tightened: Enrollment["tightened"];
  let placed: Enrollment["placed"];
  if (options.maxFalseAccept === undefined && allNegativeScores.length > 0) {
    // Negatives given: place the threshold on held-out crop scores and negative scores together, as the
    // training pipeline does, instead of on the crop photos alone.
    const negativeBudget = options.negativeBudget ?? DEFAULT_NEGATIVE_BUDGET;
    const p = placeThreshold([heldOut.centroid], negatives.map((g) => g.scores), 1 - options.accept, negativeBudget);
    value = p.value;
    placed = { worstGoalRatio: p.worstGoalRatio, negativeBudget };
    policy = { kind: "balanced-goals", normalAccept: options.accept, maxFalseAcceptPerGroup: negativeBudget, worstGoalRatio: p.worstGoalRatio };
  }
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
    (tightened ? `; threshold raised so at most ${pct(options.maxFalseAccept!)} of the negatives pass` : "") +
    (placed
      ? `; threshold placed on those held-out scores and the negatives together: the smallest worst ratio of ` +
        `(crop photos refused / ${pct(1 - options.accept)}, each negative group accepted / ${pct(placed.negativeBudget)}) = ${placed.worstGoalRatio.toFixed(2)}`
      : "");

  const draft: Reference = {
    schema: "cropgate.reference/v1",
    profile: options.profile,
    displayName: options.displayName,
    createdAt: options.now.toISOString(),
    createdBy: options.createdBy,
    model: {
      id: manifest.model.id,
      sha256: manifest.model.sha256,
      dimension: options.output?.dimension ?? manifest.model.output.shape[1],
      ...(options.output && options.output.name !== manifest.model.output.name ? { output: options.output.name } : {}),
    },
    centroid,
    prototypes,
    threshold: {
      value,
      score: "centroid-cosine",
      policy,
      // Only meaningful under the same policy; a tightened or placed threshold has no prototype twin.
      ...(tightened || placed ? {} : { prototypeValue: calibrated.prototypeValue }),
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
    ...(placed ? { placed } : {}),
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
