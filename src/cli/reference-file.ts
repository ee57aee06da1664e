import { readFile } from "node:fs/promises";
import { z } from "zod";
import { type Manifest, outputDimensions } from "../model/manifest";
import { ReferenceSchema, type Reference } from "../references/schema";
import { CliError, ExitCode, usageError } from "./cli-error";
import { MODELS_DIR } from "./model";

/** `--reference file` or the shipped `models/references/<profile>.json`, validated against the model in use. */
export async function loadReference(manifest: Manifest, file: string | undefined, profile: string): Promise<Reference> {
  const path = file ?? `${MODELS_DIR}references/${profile}.json`;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw usageError(
      file
        ? `cannot read the reference ${file}`
        : `no shipped reference for profile "${profile}" (${path}); pass --reference <file.json> or --url <worker>`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw usageError(`${path} is not JSON: ${(err as Error).message}`);
  }
  // The worker's schema: a file the CLI accepts is one the worker would accept too.
  const parsed = ReferenceSchema.safeParse(json);
  if (!parsed.success) throw usageError(`${path} is not a cropgate reference: ${z.prettifyError(parsed.error)}`);
  const ref = parsed.data;
  if (ref.model.sha256 !== manifest.model.sha256) {
    throw new CliError(
      ExitCode.Usage,
      `${path} was made with model ${ref.model.id} (${ref.model.sha256.slice(0, 12)}…), but models/ holds ${manifest.model.id} ` +
        `(${manifest.model.sha256.slice(0, 12)}…); re-enroll the profile with this model`,
    );
  }
  const output = ref.model.output ?? manifest.model.output.name;
  const dimension = outputDimensions(manifest)[output];
  if (dimension === undefined) throw usageError(`${path} scores in the model output "${output}", which models/ does not have`);
  if (ref.centroid.length !== dimension) {
    throw usageError(`${path} has a ${ref.centroid.length}-d centroid; the model's ${output} output has ${dimension} dimensions`);
  }
  return ref;
}
