import { writeFile } from "node:fs/promises";
import { checkProfile, groupNames, isPositiveInt, isShare, parse, parseNumber } from "../args";
import { CliError, ExitCode, usageError } from "../cli-error";
import { discoverImages } from "../discover";
import { embedFiles, type SkippedFile } from "../embed-files";
import { num, pct, table } from "../format";
import { reportSkippedTo, type Io } from "../io";
import { lookalikesFrom, parseNegatives } from "../lookalikes";
import { loadManifest, loadNodeEmbedder } from "../model";
import { outputDimensions } from "../../model/manifest";
import { enroll as buildEnrollment, type Enrollment } from "../reference-build";
import { storeLocally } from "../local-kv";
import { uploadReference } from "../worker-client";
import { VERSION } from "../version";
import { ReferenceSchema, type Lookalike, type PhotoHashes } from "../../references/schema";
import type { ImageFile } from "../discover";

export const ENROLL_USAGE = `usage: npm run enroll -- <profile> <normal-dir|photo>… [options]

Builds a reference for a crop from photos of it: centroid and k-means prototypes of the embeddings,
and a threshold calibrated by k-fold cross-validation so that --accept of unseen crop photos pass.

  --negatives <dir>        photos that must NOT pass (repeatable; one group per directory, labelled by the
                           folder name or by [label=]: --negatives weeds=photos/paddy): they place the
                           threshold together with the held-out crop photos (the smallest worst ratio of
                           crop photos refused / (1 - accept) and each group accepted / --negative-budget),
                           the false-accept rate per group is reported, and each group's centroid is stored
                           as a lookalike
  --negative-budget <r>    with --negatives: false-accept goal per negative group (default 0.01)
  --max-false-accept <r>   with --negatives: instead raise the threshold until at most this share passes
  --output <name>          model output to enrol in: features (the pooled ImageNet backbone, whitened; the
                           default when the model has it: measured better for crops the model was not
                           trained on) or embedding (the trained head)
  --accept <share>         share of held-out crop photos to accept (default 0.95)
  --out <file.json>        where to write the reference (default: <profile>.json)
  --display-name <text>    the crop as messages name it: "Tomato photo: ready for the disease check."
                           (default: the profile, dashes as spaces)
  --upload <url>           store it in a running worker and activate it (admin token from --token or
  --token <t>              CROPGATE_ADMIN_TOKEN)
  --local                  store it in the local KV that \`npm start\` serves, and activate it
  --limit <n>              use only the first n files (name order) of each directory argument
  --folds <k>              cross-validation folds (default 5)
  --prototypes <k>         k-means prototypes (default 3)
  --seed <n>               k-means seed (default 1)
  --threads <n>            onnxruntime threads (default 1)
  --json                   print the summary as JSON on stdout

exit codes: 0 ok, 2 usage error, 3 too few usable photos, 4 upload failed`;

const MIN_NORMALS = 10;

export async function enroll(argv: readonly string[], io: Io): Promise<ExitCode> {
  const { values, positionals } = parse(
    argv,
    {
      negatives: { type: "string", multiple: true, default: [] },
      "max-false-accept": { type: "string" },
      "negative-budget": { type: "string" },
      output: { type: "string" },
      accept: { type: "string" },
      out: { type: "string" },
      "display-name": { type: "string" },
      upload: { type: "string" },
      token: { type: "string" },
      local: { type: "boolean", default: false },
      limit: { type: "string" },
      folds: { type: "string" },
      prototypes: { type: "string" },
      seed: { type: "string" },
      threads: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
    ENROLL_USAGE,
  );
  if (values.help) {
    io.out(`${ENROLL_USAGE}\n`);
    return ExitCode.Ok;
  }
  const [rawProfile, ...normalArgs] = positionals;
  const profile = checkProfile(rawProfile);
  if (normalArgs.length === 0) throw usageError(`give at least one directory of ${profile} photos\n\n${ENROLL_USAGE}`);
  const accept = parseNumber("accept", values.accept, 0.95, isShare, "a share between 0 and 1, e.g. 0.95");
  const folds = parseNumber("folds", values.folds, 5, (x) => isPositiveInt(x) && x >= 2, "an integer ≥ 2");
  const prototypes = parseNumber("prototypes", values.prototypes, 3, isPositiveInt, "a positive integer");
  const seed = parseNumber("seed", values.seed, 1, Number.isInteger, "an integer");
  const threads = parseNumber("threads", values.threads, 1, isPositiveInt, "a positive integer");
  const limit = values.limit === undefined ? undefined : parseNumber("limit", values.limit, 0, isPositiveInt, "a positive integer");
  const maxFalseAccept =
    values["max-false-accept"] === undefined
      ? undefined
      : parseNumber("max-false-accept", values["max-false-accept"], 0, (x) => x >= 0 && x < 1, "a share in [0, 1)");
  if (maxFalseAccept !== undefined && values.negatives.length === 0) throw usageError("--max-false-accept needs --negatives");
  const negativeBudget =
    values["negative-budget"] === undefined
      ? undefined
      : parseNumber("negative-budget", values["negative-budget"], 0, (x) => x > 0 && x < 1, "a share in (0, 1)");
  if (negativeBudget !== undefined && values.negatives.length === 0) throw usageError("--negative-budget needs --negatives");
  if (negativeBudget !== undefined && maxFalseAccept !== undefined) {
    throw usageError("--negative-budget and --max-false-accept exclude each other");
  }
  const token = values.token ?? process.env.CROPGATE_ADMIN_TOKEN;
  if (values.upload && !token) throw usageError("--upload needs an admin token: --token <t> or CROPGATE_ADMIN_TOKEN");
  if (values.token && !values.upload) throw usageError("--token is only used with --upload");
  const out = values.out ?? `${profile}.json`;
  const displayName = values["display-name"] ?? profile.replace(/-/g, " ");
  // Checked before minutes of embedding, with the worker's own rule for the field.
  const nameCheck = ReferenceSchema.shape.displayName.safeParse(displayName);
  if (!nameCheck.success) throw usageError(`--display-name: ${nameCheck.error.issues[0]?.message ?? "invalid"}`);
  const negativeArgs = parseNegatives(values.negatives);
  const all = [...normalArgs, ...negativeArgs.map((n) => n.path)];
  const repeated = all.find((a, i) => all.indexOf(a) !== i);
  if (repeated) throw usageError(`${repeated} is given twice (a photo must be either the crop or a negative, once)`);

  const normalFiles = await discoverImages(normalArgs, limit);
  const negativeFiles = await discoverImages(negativeArgs.map((n) => n.path));
  const loaded = await loadManifest();
  const modelOutputs = outputDimensions(loaded);
  const output = values.output ?? ("features" in modelOutputs ? "features" : undefined);
  if (output !== undefined && !(output in modelOutputs)) {
    throw usageError(`--output ${output}: the model has the outputs ${Object.keys(modelOutputs).join(", ")}`);
  }
  const embedder = await loadNodeEmbedder({ threads, manifest: loaded, ...(output === undefined ? {} : { output }) });
  const manifest = embedder.manifest;
  let enrollment: Enrollment;
  const skipped: SkippedFile[] = [];
  const ignored: ImageFile[] = [];
  let normalCount: number;
  let negativeCounts: Record<string, number>;
  let lookalikes: Lookalike[] = [];
  try {
    const normals = await embedFiles(normalFiles, embedder, `${profile} photos`);
    skipped.push(...normals.skipped);
    ignored.push(...normals.ignored);
    normalCount = normals.embedded.length;
    if (normalCount < Math.max(MIN_NORMALS, folds)) {
      reportSkippedTo(io, skipped, ignored);
      throw new CliError(
        ExitCode.Input,
        `only ${normalCount} usable ${profile} photos; enrolling needs at least ${Math.max(MIN_NORMALS, folds)} (50 or more give a steadier threshold)`,
      );
    }
    const negatives = await embedFiles(negativeFiles, embedder, "negatives");
    skipped.push(...negatives.skipped);
    ignored.push(...negatives.ignored);
    const names = groupNames(negativeArgs.map((n) => n.path));
    const groups = negativeArgs.map(({ path }) => ({
      name: names.get(path)!,
      embeddings: negatives.embedded.filter((e) => e.group === path).map((e) => e.embedding),
    }));
    lookalikes = lookalikesFrom(negativeArgs.map(({ label }, i) => ({ label, embeddings: groups[i]!.embeddings })));
    negativeCounts = Object.fromEntries(groups.map((g) => [g.name, g.embeddings.length]));
    for (const g of groups) if (g.embeddings.length === 0) io.err(`negatives ${g.name}: no usable photo, left out\n`);
    const normalGroups = groupNames(normalArgs);
    enrollment = buildEnrollment(
      embedder.manifest,
      normals.embedded.map((e) => e.embedding),
      groups.filter((g) => g.embeddings.length > 0),
      {
        profile,
        displayName,
        accept,
        folds,
        prototypes,
        seed,
        ...(maxFalseAccept === undefined ? {} : { maxFalseAccept }),
        ...(negativeBudget === undefined ? {} : { negativeBudget }),
        output: { name: embedder.output, dimension: embedder.dimension },
        createdBy: `cropgate enroll ${VERSION}`,
        now: new Date(),
      },
      {
        normal: Object.fromEntries(
          normalArgs.map((arg) => [normalGroups.get(arg)!, normals.embedded.filter((e) => e.group === arg).length]),
        ),
        ...(groups.length > 0 ? { negatives: negativeCounts } : {}),
        ...(limit === undefined ? {} : { limitPerDirectory: limit }),
        skipped: skipped.length,
        // Which files made this reference, so `evaluate` can tell in-sample folders from held-out ones.
        photos: photoHashes([...normals.embedded, ...negatives.embedded], groupNames(all)),
      },
    );
  } finally {
    await embedder.release();
  }
  reportSkippedTo(io, skipped, ignored);
  if (lookalikes.length > 0) enrollment.reference = { ...enrollment.reference, lookalikes };

  await writeFile(out, `${JSON.stringify(enrollment.reference, null, 2)}\n`).catch((err: Error) => {
    throw usageError(`cannot write ${out}: ${err.message}`);
  });
  const stored: { upload?: string; local?: string; localCreated?: boolean } = {};
  if (values.upload) stored.upload = (await uploadReference(enrollment.reference, { url: values.upload, token: token! })).version;
  if (values.local) {
    const local = await storeLocally(enrollment.reference, manifest);
    stored.local = local.version;
    stored.localCreated = local.created;
  }

  if (values.json) {
    io.out(`${JSON.stringify(summaryJson(enrollment, out, normalCount, skipped, stored), null, 2)}\n`);
  } else {
    io.out(summaryText(enrollment, out, normalCount, accept, stored));
  }
  return ExitCode.Ok;
}

/** Contract §3's `data.photos`: each used photo's sha16 under its command-line argument's name. */
function photoHashes(photos: readonly { group: string; sha16: string }[], names: Map<string, string>): PhotoHashes {
  const sources: Record<string, string[]> = {};
  for (const p of photos) (sources[names.get(p.group)!] ??= []).push(p.sha16);
  return { hash: "sha256-16", sources };
}

function summaryJson(e: Enrollment, out: string, normalCount: number, skipped: SkippedFile[], stored: object) {
  const { threshold, calibration } = e.reference;
  return {
    profile: e.reference.profile,
    out,
    normals: normalCount,
    threshold,
    heldOutNormalAcceptRate: e.normalAcceptRate,
    negatives: Object.fromEntries(e.negatives.map((g) => [g.name, { count: g.scores.length, acceptRate: g.acceptRate }])),
    falseAcceptRate: e.negatives.length > 0 ? falseAcceptRate(e) : null,
    metrics: calibration.metrics ?? null,
    tightened: e.tightened ?? null,
    placed: e.placed ?? null,
    skipped: skipped.map((s) => ({ path: s.path, reason: s.reason })),
    stored,
  };
}

function falseAcceptRate(e: Enrollment): number {
  const all = e.negatives.flatMap((g) => g.scores);
  return all.filter((s) => s >= e.reference.threshold.value).length / all.length;
}

function summaryText(e: Enrollment, out: string, normalCount: number, accept: number, stored: { upload?: string; local?: string; localCreated?: boolean }): string {
  const { reference: ref } = e;
  const lines = [
    `enrolled "${ref.profile}" from ${normalCount} photos (model ${ref.model.id})`,
    `threshold ${num(ref.threshold.value, 4)}: accepts ${pct(e.normalAcceptRate)} of held-out ${ref.profile} photos ` +
      `(target ${pct(accept)}, ${e.heldOut.folds}-fold cross-validation; held-out scores ${num(ref.calibration.normal.min)}…${num(ref.calibration.normal.max)}, median ${num(ref.calibration.normal.quantiles.p50)})`,
  ];
  if (e.placed) {
    lines.push(
      `  placed with the negatives: worst goal ratio ${e.placed.worstGoalRatio.toFixed(2)} (≤ 1: ${pct(accept)} of crop photos kept and ` +
        `at most ${pct(e.placed.negativeBudget)} of every negative group accepted)`,
    );
  }
  if (e.tightened) {
    lines.push(`  raised from ${num(e.tightened.from, 4)} to meet --max-false-accept; crop photos accepted fell to ${pct(e.normalAcceptRate)}`);
  }
  if (e.negatives.length === 0) {
    lines.push("false-accept rate: UNKNOWN — no --negatives given. Enroll with --negatives <dir> of photos that must not pass to measure it.");
  } else {
    lines.push(
      "",
      table(
        ["negatives", "photos", "accepted", "median score"],
        e.negatives.map((g) => [
          g.name,
          String(g.scores.length),
          pct(g.acceptRate),
          num(ref.calibration.negatives![g.name]!.quantiles.p50),
        ]),
      ),
      "",
      `false-accept rate ${pct(falseAcceptRate(e))}; AUROC ${num(e.metrics!.auroc, 4)}, FPR@95%TPR ${pct(e.metrics!.fprAt95Tpr)}, TPR@1%FPR ${pct(e.metrics!.tprAt1Fpr)} (held-out crop photos vs negatives)`,
    );
  }
  lines.push(`wrote ${out}`);
  if (stored.upload) lines.push(`uploaded and activated as version ${stored.upload}`);
  if (stored.local) {
    lines.push(
      stored.localCreated
        ? `stored in the local KV and activated as version ${stored.local} (npm start serves it; a running one once its cached pointer expires)`
        : `the local KV already has this reference as the current version ${stored.local}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
