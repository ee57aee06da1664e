/** Where a command writes: injected so tests run commands in-process and read what they printed. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Skipped photos one per line with the reason; files that are not images only as a count. */
export function reportSkippedTo(io: Io, skipped: readonly { path: string; reason: string }[], ignored: readonly { path: string }[] = []): void {
  if (skipped.length > 0) {
    io.err(`skipped ${plural(skipped.length, "photo")}:\n`);
    for (const s of skipped) io.err(`  ${s.path}: ${s.reason}\n`);
  }
  if (ignored.length > 0) io.err(`ignored ${plural(ignored.length, "file")} that ${ignored.length === 1 ? "is" : "are"} not an image\n`);
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
