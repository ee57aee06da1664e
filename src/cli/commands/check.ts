import { isPositiveInt, parse, parseNumber } from "../args";
import { ExitCode, usageError } from "../cli-error";
import { discoverImages } from "../discover";
import { comparison } from "../format";
import { reportSkippedTo, type Io } from "../io";
import { createScorer } from "../scorers";

export const CHECK_USAGE = `usage: npm run check -- <photo|dir>… [--profile rice] [--reference file.json] [--url <worker>] [--json]

Prints one verdict line per photo: does it show the profile's crop?

  --profile <p>        profile to check against (default: rice)
  --reference <file>   reference JSON to score against locally (default: models/references/<profile>.json)
  --url <worker>       ask a running worker instead (POST <url>/v1/check); API key from CROPGATE_API_KEY
  --json               one JSON document on stdout instead of text
  --threads <n>        onnxruntime threads for local scoring (default 1)

Each line: <photo>: normal|uncertain|anomaly (how the score compares with the thresholds)  <message>.
uncertain: between the reference's lower threshold and its threshold (a retake, not a pass).
Files in a folder that are not images are counted, not listed.

exit codes: 0 every photo shows the crop, 1 at least one is not passed (anomaly or uncertain),
            2 usage error, 3 some photos could not be read (listed on stderr), 4 worker unreachable or refused`;

export async function check(argv: readonly string[], io: Io): Promise<ExitCode> {
  const { values, positionals } = parse(
    argv,
    {
      profile: { type: "string", default: "rice" },
      reference: { type: "string" },
      url: { type: "string" },
      json: { type: "boolean", default: false },
      threads: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    CHECK_USAGE,
  );
  if (values.help) {
    io.out(`${CHECK_USAGE}\n`);
    return ExitCode.Ok;
  }
  if (positionals.length === 0) throw usageError(`no photo given\n\n${CHECK_USAGE}`);
  if (values.url && values.reference) throw usageError("--reference and --url exclude each other: the worker uses its own reference");
  const threads = parseNumber("threads", values.threads, 1, isPositiveInt, "a positive integer");
  const files = await discoverImages(positionals);
  if (files.length === 0) throw usageError(`no files in ${positionals.join(", ")}`);


  const scorer = await createScorer({
    profile: values.profile,
    ...(values.reference ? { reference: values.reference } : {}),
    ...(values.url ? { url: values.url } : {}),
    ...(process.env.CROPGATE_API_KEY ? { apiKey: process.env.CROPGATE_API_KEY } : {}),
    threads,
  });
  try {
    const { scored, skipped, ignored } = await scorer.score(files, "checking");
    if (values.json) {
      io.out(
        `${JSON.stringify(
          {
            source: scorer.source,
            profile: scorer.profile,
            results: scored.map(({ group: _group, sha16: _sha, named: _named, ...r }) => r),
            skipped: skipped.map(({ group: _group, named: _named, ...s }) => s),
            ignored: ignored.map((f) => f.path),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      for (const r of scored) {
        const message = r.message ? `  ${r.message}` : "";
        io.out(`${r.path}: ${r.verdict} (${comparison(r.score, r.threshold, r.lowerThreshold)})${message}\n`);
      }
    }
    reportSkippedTo(io, skipped, ignored);
    if (scored.length === 0 && skipped.length === 0) throw usageError(`no image in ${positionals.join(", ")} (${ignored.length} other files)`);
    if (skipped.length > 0) return ExitCode.Input;
    return scored.some((r) => r.verdict !== "normal") ? ExitCode.Anomaly : ExitCode.Ok;
  } finally {
    await scorer.close();
  }
}
