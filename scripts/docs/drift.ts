/**
 * Docs that cannot fall behind the code: every place a doc cites the model or the shipped reference is
 * checked against `models/manifest.json`, `models/references/rice.json` and `npm run check:bundle`.
 * Pure: the test (test/node/docs-drift.test.ts) hands it the docs and the facts.
 *
 * What fails:
 * - a model sha256 (any run of 8–64 hex digits with a letter, not part of a version id) that is not a
 *   prefix of the manifest's;
 * - a model id of the cropgate-mnv… / cropgate-provisional… family that is not the manifest's;
 * - "threshold 0.xxxx" in prose, or "threshold" / "lowerThreshold" of a JSON answer for the shipped
 *   profile, that is not the reference's value, lower or prototypeValue at the digits shown;
 * - an input size ("160-px input", "BOX filter to 160×160", "model input 160 px") that is not the manifest's;
 * - a bundle size on a line about gzip more than 2 % off check:bundle's (raw sizes against the raw figure);
 * - a ```console example not recorded by `npm run docs:examples` for this model and reference (its stamp).
 *
 * `<!-- drift:off <reason> -->` … `<!-- drift:on -->` exempts what a doc says on purpose about something
 * else: an earlier model (history), another reference, the contract's example values.
 */
import { driftOffRanges, parseBlocks } from "./blocks";

export interface Facts {
  modelId: string;
  modelSha256: string;
  inputSize: number;
  /** The shipped reference's profile ("rice") and thresholds. */
  profile: string;
  thresholds: number[];
  /** Stamps a recorded example must carry: the first 12 hex digits of the model sha256 and of rice.json's bytes. */
  stamp: { model: string; reference: string };
  /** check:bundle's figures, in bytes; absent: sizes are not checked. */
  bundle?: { rawBytes: number; gzipBytes: number; limitBytes: number };
}

export interface Drift {
  file: string;
  line: number;
  what: string;
}

const BUNDLE_TOLERANCE = 0.02;

export function findDrift(docs: readonly { file: string; text: string }[], facts: Facts): Drift[] {
  return docs.flatMap((d) => driftIn(d.file, d.text, facts));
}

function driftIn(file: string, text: string, facts: Facts): Drift[] {
  const lines = text.split("\n");
  const off = driftOffRanges(text);
  const exempt = (i: number) => off.some((r) => i >= r.from && i <= r.to);
  const out: Drift[] = [];
  const report = (i: number, what: string) => out.push({ file, line: i + 1, what });

  lines.forEach((line, i) => {
    if (/<!--\s*drift:off\s*-->/.test(line)) report(i, "drift:off needs a reason: <!-- drift:off history: model … -->");
  });

  const blocks = parseBlocks(text);
  const inConsole = (i: number) => blocks.some((b) => b.lang === "console" && i > b.open && i < b.close);
  for (const b of blocks) {
    if (exempt(b.open)) continue;
    for (const c of b.commands) for (const what of answerThresholds(c.output, facts)) report(b.open, what);
    const model = b.options.get("model");
    const reference = b.options.get("reference");
    if (b.markerLine < 0 || model === undefined || reference === undefined) {
      report(b.open, "console example not recorded by `npm run docs:examples` (no docs:examples stamp)");
    } else if (model !== facts.stamp.model || reference !== facts.stamp.reference) {
      report(
        b.markerLine,
        `example recorded with model ${model} / reference ${reference}, not today's ${facts.stamp.model} / ${facts.stamp.reference}: run npm run docs:examples`,
      );
    }
  }

  lines.forEach((line, i) => {
    // A marker's stamps are checked above, as stamps (its reference= is a file hash, not a model's).
    if (exempt(i) || line.includes("docs:examples")) return;
    for (const what of [...hashes(line, facts), ...modelIds(line, facts), ...inputSizes(line, facts), ...bundleSizes(line, facts)]) report(i, what);
    if (!inConsole(i)) for (const what of [...proseThresholds(line, facts), ...jsonThresholds(line, facts)]) report(i, what);
  });
  return out;
}

function hashes(line: string, facts: Facts): string[] {
  const out: string[] = [];
  // Hex runs of 8–64 with at least one letter; a version id's random part follows "Z-".
  for (const m of line.matchAll(/(?<![0-9A-Za-z_-])([0-9a-f]{8,64})(?![0-9A-Za-z_])/g)) {
    const hex = m[1]!;
    if (!/[a-f]/.test(hex) || !/[0-9]/.test(hex)) continue;
    if (/\d{8}T\d{9}Z-$/.test(line.slice(0, m.index))) continue;
    if (!facts.modelSha256.startsWith(hex)) out.push(`model hash ${hex} is not the manifest's (${facts.modelSha256.slice(0, 12)}…)`);
  }
  return out;
}

function modelIds(line: string, facts: Facts): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/\bcropgate-(?:mnv\d|provisional)[\w.-]*/g)) {
    const id = m[0].replace(/[.-]+$/, "");
    if (id !== facts.modelId) out.push(`model id ${id} is not the manifest's (${facts.modelId})`);
  }
  return out;
}

/** A number shown with d decimals matches a threshold when that threshold rounds to it. */
function matchesThreshold(shown: string, facts: Facts): boolean {
  const decimals = shown.split(".")[1]?.length ?? 0;
  return facts.thresholds.some((t) => t.toFixed(decimals) === Number(shown).toFixed(decimals) || String(t) === shown);
}

function proseThresholds(line: string, facts: Facts): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/\bthreshold\b[*`:\s]{0,6}(?:of |is |at |=\s*)?(-?[01]\.\d{3,})/gi)) {
    if (!matchesThreshold(m[1]!, facts)) out.push(`threshold ${m[1]} is not the shipped reference's (${facts.thresholds.map((t) => t.toFixed(4)).join(", ")})`);
  }
  return out;
}

/** "threshold" and "lowerThreshold" of a one-line JSON answer in prose that names the shipped profile (or none). */
function jsonThresholds(line: string, facts: Facts): string[] {
  const out: string[] = [];
  if (!line.includes("{")) return out;
  const profile = /"profile"\s*:\s*"([^"]+)"/.exec(line)?.[1];
  if (profile !== undefined && profile !== facts.profile) return out;
  for (const m of line.matchAll(/"(?:threshold|lowerThreshold)"\s*:\s*(-?[\d.]+)/g)) {
    if (!matchesThreshold(m[1]!, facts)) out.push(`"threshold": ${m[1]} is not the shipped reference's`);
  }
  return out;
}

/** The thresholds of every JSON object in an example's output that answers for the shipped profile. */
function answerThresholds(output: readonly string[], facts: Facts): string[] {
  const docs: unknown[] = [];
  try {
    docs.push(JSON.parse(output.join("\n")));
  } catch {
    for (const line of output) {
      try {
        docs.push(JSON.parse(line));
      } catch {
        // Not JSON: CLI text, checked by the example's stamp.
      }
    }
  }
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== "object") return;
    const o = v as Record<string, unknown>;
    if (o.profile === facts.profile) {
      for (const key of ["threshold", "lowerThreshold"]) {
        if (typeof o[key] === "number" && !facts.thresholds.includes(o[key] as number)) out.push(`"${key}": ${o[key]} is not the shipped reference's`);
      }
    }
    Object.values(o).forEach(walk);
  };
  docs.forEach(walk);
  return out;
}

function inputSizes(line: string, facts: Facts): string[] {
  const out: string[] = [];
  const patterns = [
    /\b(\d{2,4})[- ]px (?:input|model)\b/gi,
    /\b(?:filter|resized?|scaled?)(?: the box| it)? to (\d{2,4})\s*[×x]\s*\d{2,4}\b/gi,
    /\bmodel input (?:of |is )?(\d{2,4})(?:\s*[×x]\s*\d{2,4}| ?px)/gi,
    /\binput size (?:of |is )?(\d{2,4})\b/gi,
  ];
  for (const re of patterns) {
    for (const m of line.matchAll(re)) {
      if (Number(m[1]) !== facts.inputSize) out.push(`input size ${m[1]} is not the manifest's (${facts.inputSize})`);
    }
  }
  return out;
}

function bundleSizes(line: string, facts: Facts): string[] {
  const out: string[] = [];
  if (!facts.bundle || !/gzip/i.test(line)) return out;
  const { rawBytes, gzipBytes, limitBytes } = facts.bundle;
  for (const m of line.matchAll(/(Total Upload:?\s*)?(\d[\d,]*(?:\.\d+)?)\s*(KiB|MiB)(\s+raw)?/g)) {
    const bytes = Number(m[2]!.replace(/,/g, "")) * (m[3] === "KiB" ? 1024 : 2 ** 20);
    if (Math.abs(bytes - limitBytes) < 1) continue; // the limit itself
    const raw = Boolean(m[1] || m[4]);
    const expected = raw ? rawBytes : gzipBytes;
    if (Math.abs(bytes - expected) / expected > BUNDLE_TOLERANCE) {
      out.push(`bundle size ${m[2]} ${m[3]}${raw ? " raw" : ""} is more than 2 % off check:bundle's ${(expected / 1024).toFixed(1)} KiB`);
    }
  }
  return out;
}
