/** Exit codes scripts can rely on (documented in docs/cli.md). */
export const ExitCode = {
  Ok: 0,
  /** `check`: at least one photo was judged not to show the crop. */
  Anomaly: 1,
  /** Bad arguments, missing paths, an invalid reference file. */
  Usage: 2,
  /** Some inputs could not be used (unreadable/unsupported photos in `check`, too few usable photos). */
  Input: 3,
  /** The worker could not be reached or refused the request. */
  Remote: 4,
  /** Anything else: the model files, a bug. */
  Failure: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the user can act on: printed as one line, no stack trace, and the process exits with `code`. */
export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    readonly code: ExitCode,
    message: string,
  ) {
    super(message);
  }
}

export const usageError = (message: string) => new CliError(ExitCode.Usage, message);
