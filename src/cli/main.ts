#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CliError, ExitCode } from "./cli-error";
import { check } from "./commands/check";
import { enroll } from "./commands/enroll";
import { evaluate } from "./commands/evaluate";
import { processIo, type Io } from "./io";

const COMMANDS = { enroll, evaluate, check } as const;

const USAGE = `usage: cropgate <command> [options]   (npm run enroll|evaluate|check -- …)

commands:
  enroll <profile> <normal-dir>…   build and calibrate a reference for a new crop from its photos
  evaluate --normal … --anomaly …  measure a reference on labelled photos (AUROC, FPR@95%TPR, HTML report)
  check <photo>…                   one verdict per photo

Run a command with --help for its options; docs/cli.md has the details.`;

/** Runs one command; user errors become one line on stderr and an exit code, never a stack trace. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      io.out(`${USAGE}\n`);
      return name === undefined ? ExitCode.Usage : ExitCode.Ok;
    }
    const command = COMMANDS[name as keyof typeof COMMANDS];
    if (!command) throw new CliError(ExitCode.Usage, `unknown command "${name}"\n\n${USAGE}`);
    return await command(rest, io);
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`cropgate ${name}: ${err.message}\n`);
      return err.code;
    }
    io.err(`cropgate ${name ?? ""}: internal error (a bug; please report it with the command you ran):\n${(err as Error).stack ?? String(err)}\n`);
    return ExitCode.Failure;
  }
}

// Entry point when run as a script (tsx src/cli/main.ts …), not when imported by tests.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const code = await main(process.argv.slice(2));
  process.exitCode = code;
}
