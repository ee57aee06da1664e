/** Where a command writes: injected so tests run commands in-process and read what they printed. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export function reportSkippedTo(io: Io, skipped: readonly { path: string; reason: string }[]): void {
  if (skipped.length === 0) return;
  io.err(`skipped ${skipped.length} file${skipped.length === 1 ? "" : "s"}:\n`);
  for (const s of skipped) io.err(`  ${s.path}: ${s.reason}\n`);
}
