import { readFile, writeFile } from "node:fs/promises";
import { checkProfile, groupNames, isPositiveInt, parse, parseNumber } from "../args";
import { CliError, ExitCode, usageError } from "../cli-error";
import { discoverImages } from "../discover";
import { evaluateGroups, inSampleGroups, type Evaluation, type GroupScores } from "../evaluation";
import { digitsToTell, num, pct, table } from "../format";
import { reportSkippedTo, type Io } from "../io";
import { loadManifest } from "../model";
import { renderReport } from "../report";
import { modelViewThumbnail } from "../thumbnails";
import { createScorer } from "../scorers";

export const EVALUATE_USAGE = `usage: npm run evaluate -- --normal <dir>… --anomaly <dir>… [options]

Scores labelled photos against a reference and prints AUROC, FPR at 95 % TPR, TPR at 1 % FPR and the
accepted / uncertain / rejected counts at the reference's thresholds, overall and per directory. A
directory whose photos made the reference (listed in its data.photos) is marked in-sample: its figures
are not held-out results.

  --normal <dir>       photos of the crop (repeatable)
  --anomaly <dir>      photos that are not (repeatable)
  --profile <p>        profile (default: rice)
  --reference <file>   reference JSON to score against locally (default: models/references/<profile>.json)
  --url <worker>       score through a running worker instead (POST <url>/v1/check)
  --report <out.html>  write a self-contained HTML report (per-directory table, ROC curve, histograms, and a
                       gallery of the worst mistakes as the model saw them, with lookalike labels)
  --gallery <n>        with --report: at most n photos of each kind of mistake in the gallery (default 24)
  --scores <out.csv>   write every photo's score and verdict (path, group, kind, score, verdict)
  --show <n>           list the n worst mistakes of each kind (default 5; 0 for none)
  --limit <n>          use only the first n files (name order) of each directory
  --threads <n>        onnxruntime threads for local scoring (default 1)
  --json               print the results as JSON on stdout

exit codes: 0 ok, 2 usage error, 3 a directory has no usable photo, 4 worker unreachable or refused`;

export async function evaluate(argv: readonly string[], io: Io): Promise<ExitCode> {
  const { values, positionals } = parse(
    argv,
    {
      normal: { type: "string", multiple: true, default: [] },
      anomaly: { type: "string", multiple: true, default: [] },
      profile: { type: "string", default: "rice" },
      reference: { type: "string" },
      url: { type: "string" },
      report: { type: "string" },
      scores: { type: "string" },
      show: { type: "string" },
      gallery: { type: "string" },
      limit: { type: "string" },
      threads: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
    EVALUATE_USAGE,
  );
  if (values.help) {
    io.out(`${EVALUATE_USAGE}\n`);
    return ExitCode.Ok;
  }
  if (positionals.length > 0) throw usageError(`unexpected argument "${positionals[0]}": name directories with --normal or --anomaly`);
  if (values.normal.length === 0 || values.anomaly.length === 0) {
    throw usageError(`both --normal and --anomaly directories are needed\n\n${EVALUATE_USAGE}`);
  }
  if (values.url && values.reference) throw usageError("--reference and --url exclude each other: the worker uses its own reference");
  const profile = checkProfile(values.profile);
  const limit = values.limit === undefined ? undefined : parseNumber("limit", values.limit, 0, isPositiveInt, "a positive integer");
  const threads = parseNumber("threads", values.threads, 1, isPositiveInt, "a positive integer");
  const show = parseNumber("show", values.show, 5, (x) => Number.isInteger(x) && x >= 0, "a whole number");
  const galleryCap = parseNumber("gallery", values.gallery, 24, (x) => Number.isInteger(x) && x >= 0, "a whole number");
  if (values.gallery !== undefined && !values.report) throw usageError("--gallery is only used with --report");

  const args = [...values.normal.map((a) => ({ arg: a, kind: "normal" as const })), ...values.anomaly.map((a) => ({ arg: a, kind: "anomaly" as const }))];
  const duplicate = args.find((a, i) => args.findIndex((b) => b.arg === a.arg) !== i);
  if (duplicate) throw usageError(`${duplicate.arg} is given twice`);
  const names = groupNames(args.map((a) => a.arg));
  const files = await discoverImages(args.map((a) => a.arg), limit);

  const scorer = await createScorer({
    profile,
    threads,
    ...(values.reference ? { reference: values.reference } : {}),
    ...(values.url ? { url: values.url } : {}),
    ...(process.env.CROPGATE_API_KEY ? { apiKey: process.env.CROPGATE_API_KEY } : {}),
  });
  let result;
  try {
    result = await scorer.score(files, "scoring");
  } finally {
    await scorer.close();
  }
  reportSkippedTo(io, result.skipped, result.ignored);
  const groups: GroupScores[] = args.map(({ arg, kind }) => ({
    name: names.get(arg)!,
    kind,
    scores: result.scored.filter((s) => s.group === arg).map((s) => s.score),
  }));
  const empty = groups.filter((g) => g.scores.length === 0);
  if (empty.length > 0) {
    throw new CliError(ExitCode.Input, `no usable photo in ${empty.map((g) => g.name).join(", ")}`);
  }
  const thresholds = [...new Set(result.scored.map((s) => `${s.threshold} ${s.lowerThreshold}`))];
  if (thresholds.length !== 1) {
    // A worker whose current version changed mid-run would mix two references into one measurement.
    throw new CliError(ExitCode.Remote, `the thresholds changed during the run (${thresholds.join("; ")}); was a new version activated? Run again.`);
  }
  const { threshold, lowerThreshold } = result.scored[0]!;
  const evaluation = evaluateGroups(groups, threshold, lowerThreshold);
  const inSample = inSampleGroups(result.scored.map((s) => ({ group: names.get(s.group)!, sha16: s.sha16 })), await scorer.photoHashes(result.scored));
  for (const g of evaluation.groups) {
    const marked = inSample.get(g.name);
    if (marked) g.inSample = marked;
  }
  const kindOf = new Map(args.map((a) => [a.arg, a.kind]));
  const photos = result.scored.map((s) => ({
    path: s.path,
    group: names.get(s.group)!,
    kind: kindOf.get(s.group)!,
    score: s.score,
    verdict: s.verdict,
    lookalike: s.lookalike ?? null,
  }));
  // The photos a person should look at first: crop photos rejected (lowest first), anomalies let through (highest first).
  const mistakes = {
    rejectedNormals: photos.filter((p) => p.kind === "normal" && p.verdict === "anomaly").sort((a, b) => a.score - b.score).slice(0, show),
    acceptedAnomalies: photos.filter((p) => p.kind === "anomaly" && p.verdict === "normal").sort((a, b) => b.score - a.score).slice(0, show),
  };
  if (values.scores) {
    const csv = ["path,group,kind,score,verdict", ...photos.map((p) => [p.path, p.group, p.kind, p.score, p.verdict].map(csvCell).join(","))].join("\n");
    await writeFile(values.scores, `${csv}\n`).catch((err: Error) => {
      throw usageError(`cannot write ${values.scores}: ${err.message}`);
    });
  }
  const meta = {
    profile: scorer.profile,
    source: scorer.source,
    skipped: result.skipped.length,
    ignored: result.ignored.length,
    createdAt: new Date().toISOString(),
  };

  if (values.report) {
    const preprocessing = (await loadManifest()).preprocessing;
    const toItems = async (list: typeof photos) =>
      Promise.all(
        list.slice(0, galleryCap).map(async (p) => {
          let thumbnail: string | null = null;
          try {
            thumbnail = modelViewThumbnail(new Uint8Array(await readFile(p.path)), preprocessing);
          } catch {
            // Scored photos decode; a file changed since is shown without a picture rather than failing the report.
          }
          return { path: p.path, group: p.group, score: p.score, lookalike: p.lookalike, thumbnail };
        }),
      );
    const gallery = {
      refusedNormals: await toItems(photos.filter((p) => p.kind === "normal" && p.verdict === "anomaly").sort((a, b) => a.score - b.score)),
      acceptedAnomalies: await toItems(photos.filter((p) => p.kind === "anomaly" && p.verdict === "normal").sort((a, b) => b.score - a.score)),
    };
    const html = await renderReport(evaluation, groups, meta, gallery);
    await writeFile(values.report, html).catch((err: Error) => {
      throw usageError(`cannot write ${values.report}: ${err.message}`);
    });
  }
  if (values.json) {
    const skipped = result.skipped.map(({ group: _g, named: _n, ...s }) => s);
    io.out(`${JSON.stringify({ ...meta, ...withoutRoc(evaluation), mistakes, skipped }, null, 2)}\n`);
  } else {
    io.out(evaluationText(evaluation, meta.source, values.report));
    io.out(mistakesText(mistakes));
  }
  return ExitCode.Ok;
}

/** sha16 is how in-sample photos are found; the JSON says in-sample per group instead. */
const withoutRoc = ({ roc: _roc, ...rest }: Evaluation) => rest;

const csvCell = (v: string | number) => {
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

type Mistake = { path: string; group: string; score: number };

function mistakesText(m: { rejectedNormals: Mistake[]; acceptedAnomalies: Mistake[] }): string {
  const block = (title: string, list: Mistake[]) =>
    list.length === 0 ? [] : [title, ...list.map((p) => `  ${p.score.toFixed(digitsToTell([p.score, ...list.map((q) => q.score)]))}  ${p.path}`), ""];
  return [
    ...block("crop photos rejected, lowest scores first:", m.rejectedNormals),
    ...block("anomalies accepted, highest scores first:", m.acceptedAnomalies),
  ].join("\n");
}

export function evaluationText(e: Evaluation, source: string, report?: string): string {
  const band = e.lowerThreshold < e.threshold;
  const rows = e.groups.map((g) => [
    g.name,
    g.kind,
    String(g.count),
    String(g.accepted),
    ...(band ? [String(g.uncertain)] : []),
    String(g.rejected),
    pct(g.acceptRate),
    num(g.auroc, 4),
    pct(g.fprAt95Tpr),
    pct(g.tprAt1Fpr),
    g.inSample ? `${g.inSample.photos === g.count ? "all" : `${g.inSample.photos}/${g.count}`} (${g.inSample.sources.join(", ")})` : "",
  ]);
  const o = e.overall;
  rows.push([
    "ALL",
    "",
    String(o.normal.count + o.anomaly.count),
    String(o.normal.accepted + o.anomaly.accepted),
    ...(band ? [String(o.normal.uncertain + o.anomaly.uncertain)] : []),
    String(o.normal.rejected + o.anomaly.rejected),
    "",
    num(o.auroc, 4),
    pct(o.fprAt95Tpr),
    pct(o.tprAt1Fpr),
    "",
  ]);
  const marked = e.groups.filter((g) => g.inSample).length;
  const anyInSample = marked > 0;
  const header = ["group", "kind", "photos", "accepted", ...(band ? ["uncertain"] : []), "rejected", "accept %", "AUROC", "FPR@95%TPR", "TPR@1%FPR", "in-sample"];
  const d = digitsToTell([e.threshold, e.lowerThreshold]);
  const [t, l] = [e.threshold.toFixed(d), e.lowerThreshold.toFixed(d)];
  const rule = band
    ? `accept = score ≥ ${t}, uncertain = ${l} ≤ score < ${t}, reject = score < ${l}`
    : `threshold ${t} (accept = score ≥ threshold)`;
  return [
    `scored by ${source}; ${rule}`,
    "",
    table(anyInSample ? header : header.slice(0, -1), anyInSample ? rows : rows.map((r) => r.slice(0, -1))),
    "",
    `overall: AUROC ${num(o.auroc, 4)}, FPR@95%TPR ${pct(o.fprAt95Tpr)}, TPR@1%FPR ${pct(o.tprAt1Fpr)}; ` +
      `at the threshold ${o.normal.accepted}/${o.normal.count} crop photos accepted (${pct(o.normal.accepted / o.normal.count)}), ` +
      `${o.anomaly.accepted}/${o.anomaly.count} anomalies accepted (${pct(o.anomaly.accepted / o.anomaly.count)})` +
      (band ? `; uncertain: ${o.normal.uncertain} crop photos, ${o.anomaly.uncertain} anomalies` : ""),
    "(per normal directory: vs all anomalies; per anomaly directory: vs all normals)",
    ...(anyInSample
      ? [
          `in-sample: ${marked === 1 ? "1 directory holds" : `${marked} directories hold`} photos the reference was built from ` +
            "(its data.photos): their figures are not held-out results.",
        ]
      : []),
    ...(report ? [`report: ${report}`] : []),
    "",
  ].join("\n");
}
