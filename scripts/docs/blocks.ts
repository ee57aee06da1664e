/**
 * The console examples of the docs, as `npm run docs:examples` records them and the drift test reads them.
 *
 * A recorded example is a fenced ```console block (or a ```json block holding a worker log line) with a
 * marker comment on the line before it:
 *
 *   <!-- docs:examples json model=cb14f38a3015 reference=0123456789ab -->
 *   ```console
 *   $ curl -s … http://127.0.0.1:8787/v1/check
 *   {…output…}
 *   ```
 *
 * Options: `json` pretty-prints an output that is one JSON document; `log=<request id>` (on a ```json
 * block) holds the worker's log line of that request; `needs=<path>` skips the block when the path is
 * missing (the shared data set). `model=` and `reference=` are the stamps the generator writes: the first
 * 12 hex digits of the model's sha256 and of the bytes of models/references/rice.json it ran with.
 */

export const MARKER = "docs:examples";

export interface Command {
  /** The command as written, continuation lines included (without the "$ " prompt). */
  text: string;
  /** The lines shown after it. */
  output: string[];
}

export interface Block {
  /** Index of the fence line that opens the block, and of the one that closes it. */
  open: number;
  close: number;
  lang: string;
  /** Index of the marker comment line, or -1 when the block has none. */
  markerLine: number;
  options: Map<string, string>;
  commands: Command[];
}

const MARKER_LINE = /^<!--\s*docs:examples\b(.*?)-->\s*$/;

export function parseOptions(text: string): Map<string, string> {
  const options = new Map<string, string>();
  for (const token of text.trim().split(/\s+/).filter(Boolean)) {
    const eq = token.indexOf("=");
    options.set(eq < 0 ? token : token.slice(0, eq), eq < 0 ? "" : token.slice(eq + 1));
  }
  return options;
}

export function formatMarker(options: Map<string, string>): string {
  const tokens = [...options].map(([k, v]) => (v === "" ? k : `${k}=${v}`));
  return `<!-- ${[MARKER, ...tokens].join(" ")} -->`;
}

/** Every fenced block of a markdown text that is a console example or a marked json block. */
export function parseBlocks(text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!fence) continue;
    const close = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (close < 0) break;
    const lang = fence[1]!;
    const marker = i > 0 ? MARKER_LINE.exec(lines[i - 1]!) : null;
    if (lang === "console" || marker) {
      blocks.push({
        open: i,
        close,
        lang,
        markerLine: marker ? i - 1 : -1,
        options: parseOptions(marker?.[1] ?? ""),
        commands: lang === "console" ? parseCommands(lines.slice(i + 1, close)) : [],
      });
    }
    i = close;
  }
  return blocks;
}

/** "$ " starts a command; a line ending in "\" continues it; anything else is output of the last command. */
export function parseCommands(body: string[]): Command[] {
  const commands: Command[] = [];
  let continuing = false;
  for (const line of body) {
    if (continuing) {
      commands.at(-1)!.text += `\n${line}`;
      continuing = line.endsWith("\\");
    } else if (line.startsWith("$ ")) {
      commands.push({ text: line.slice(2), output: [] });
      continuing = line.endsWith("\\");
    } else if (commands.length > 0) {
      commands.at(-1)!.output.push(line);
    }
  }
  return commands;
}

export function renderCommands(commands: readonly Command[]): string[] {
  return commands.flatMap((c) => [`$ ${c.text}`, ...c.output]);
}

/**
 * Ranges of lines the drift check leaves alone: between `<!-- drift:off <why> -->` and `<!-- drift:on -->`.
 * The reason is required, so every exception says what it is (history, another reference, an example value).
 */
export function driftOffRanges(text: string): { from: number; to: number; reason: string }[] {
  const lines = text.split("\n");
  const ranges: { from: number; to: number; reason: string }[] = [];
  let open: { from: number; reason: string } | null = null;
  lines.forEach((line, i) => {
    const off = /<!--\s*drift:off\s+(.+?)\s*-->/.exec(line);
    if (off && !open) open = { from: i, reason: off[1]! };
    else if (/<!--\s*drift:on\s*-->/.test(line) && open) {
      ranges.push({ ...open, to: i });
      open = null;
    }
  });
  if (open) ranges.push({ ...(open as { from: number; reason: string }), to: lines.length - 1 });
  return ranges;
}
