import { ApiError } from "../errors";

/**
 * The model output a reference is scored in when it names none (every reference before issue 8's
 * `output`). Callers that know the model pass its manifest's `model.output.name` (today "embedding").
 */
export const DEFAULT_OUTPUT = "embedding";

/** Which model output `reference` scores in: its optional `model.output` ("embedding" | "features"). */
export function referenceOutput(reference: { model: { output?: string | undefined } }, fallback = DEFAULT_OUTPUT): string {
  return reference.model.output ?? fallback;
}

/**
 * The vector of one inference's outputs that `reference` is scored against. A reference naming an output
 * this model lacks is unusable (a deployment problem, not the client's): 503 like any unusable reference.
 */
export function outputFor(
  outputs: Readonly<Record<string, Float32Array>>,
  reference: { model: { output?: string | undefined } },
  profile: string,
  fallback = DEFAULT_OUTPUT,
): Float32Array {
  const name = referenceOutput(reference, fallback);
  const vector = outputs[name];
  if (!vector) {
    throw new ApiError(503, "reference_output_missing", `The reference of '${profile}' is scored in the model output '${name}', which this model does not have.`);
  }
  return vector;
}
