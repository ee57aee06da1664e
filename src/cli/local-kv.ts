import { CliError, ExitCode } from "./cli-error";
import type { ReferenceDocument } from "./reference-build";

/** Stores a reference in the local KV that `npm start` serves. Needs the worker's seeding function. */
export async function storeLocally(_reference: ReferenceDocument): Promise<string> {
  throw new CliError(ExitCode.Failure, "--local is not available yet: the worker's local-KV store has not landed");
}
