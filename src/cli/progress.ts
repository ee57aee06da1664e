import cliProgress from "cli-progress";

export interface Progress {
  tick(): void;
  stop(): void;
}

/**
 * A progress bar on stderr for long runs, only when stderr is a terminal: pipes, CI logs and `--json`
 * consumers get no control characters.
 */
export function startProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || total < 2) return { tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} {bar} {value}/{total} photos | {eta_formatted} left`, stream, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    tick: () => bar.increment(),
    stop: () => bar.stop(),
  };
}
