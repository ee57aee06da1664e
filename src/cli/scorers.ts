import type { PhotoHashes } from "../references/schema";
import { checkMessage, nearestLookalike, scoreEmbedding, type Verdict } from "../scoring";
import type { ImageFile } from "./discover";
import { embedFiles, type SkippedFile } from "./embed-files";
import { loadManifest, loadNodeEmbedder } from "./model";
import { readPhoto, terminalReason } from "./photo-file";
import { startProgress } from "./progress";
import { loadReference } from "./reference-file";
import { checkRemote, fetchReferenceData, RejectedPhoto } from "./worker-client";

export interface ScoredPhoto extends ImageFile {
  score: number;
  threshold: number;
  /** Equals `threshold` when the reference has no uncertain band. */
  lowerThreshold: number;
  verdict: Verdict;
  confidence?: number;
  message?: string;
  /** What a refused photo looks more like, when the reference has lookalikes and one is clearly nearer. */
  lookalike?: string | null;
  /** First 16 hex digits of the file's sha256, to match against the reference's `data.photos`. */
  sha16: string;
  /** The reference version that scored it (remote scoring only: the worker says). */
  version?: string;
}

export interface ScoreResult {
  scored: ScoredPhoto[];
  skipped: SkippedFile[];
  /** Files in the folders that are not images: counted, never reported one by one. */
  ignored: ImageFile[];
}

/** Scores photos against one reference, either here (onnxruntime-node) or through a running worker. */
export interface Scorer {
  /** "local models/references/rice.json" or "worker http://…": printed so results say where they came from. */
  readonly source: string;
  readonly profile: string;
  score(files: readonly ImageFile[], label: string): Promise<ScoreResult>;
  /** The reference's `data.photos` (which photo files made it), or null when it lists none. */
  photoHashes(scored: readonly ScoredPhoto[]): Promise<PhotoHashes | null>;
  close(): Promise<void>;
}

export interface ScorerOptions {
  profile: string;
  reference?: string;
  url?: string;
  apiKey?: string;
  threads?: number;
}

export async function createScorer(options: ScorerOptions): Promise<Scorer> {
  return options.url ? remoteScorer(options.url, options) : localScorer(options);
}

async function localScorer(options: ScorerOptions): Promise<Scorer> {
  const manifest = await loadManifest();
  const reference = await loadReference(manifest, options.reference, options.profile);
  // The reference names the model output it scores in (the trained head's `embedding` unless it says otherwise).
  const embedder = await loadNodeEmbedder({
    manifest,
    ...(options.threads === undefined ? {} : { threads: options.threads }),
    ...(reference.model.output === undefined ? {} : { output: reference.model.output }),
  });
  return {
    source: `local ${options.reference ?? `models/references/${options.profile}.json`}`,
    profile: reference.profile,
    async score(files, label) {
      const { embedded, skipped, ignored } = await embedFiles(files, embedder, label);
      // The worker's scoring and wording (src/scoring), so a local verdict reads like the worker's.
      const scored = embedded.map(({ embedding, issues, ...file }) => {
        const s = scoreEmbedding(embedding, reference);
        const lookalike = nearestLookalike(embedding, reference, s);
        return {
          ...file,
          score: s.score,
          threshold: s.threshold,
          lowerThreshold: s.lowerThreshold,
          verdict: s.verdict,
          confidence: s.confidence,
          message: checkMessage({ verdict: s.verdict, displayName: reference.displayName, lookalike: lookalike?.label ?? null, issues }),
          lookalike: lookalike?.label ?? null,
        };
      });
      return { scored, skipped, ignored };
    },
    photoHashes: async () => reference.data?.photos ?? null,
    close: () => embedder.release(),
  };
}

function remoteScorer(url: string, options: ScorerOptions): Scorer {
  const auth = options.apiKey ? { apiKey: options.apiKey } : {};
  return {
    source: `worker ${url}`,
    profile: options.profile,
    async score(files, label) {
      const result: ScoreResult = { scored: [], skipped: [], ignored: [] };
      const progress = startProgress(label, files.length);
      try {
        for (const file of files) {
          const read = await readPhoto(file);
          if (read.kind === "ignored") result.ignored.push(file);
          else if (read.kind === "skipped") result.skipped.push({ ...file, reason: read.reason });
          else {
            try {
              const r = await checkRemote(read.bytes, { url, profile: options.profile, ...auth });
              result.scored.push({
                ...file,
                sha16: read.sha16,
                score: r.score,
                threshold: r.threshold,
                // A worker from before the uncertain band has no lowerThreshold: its two verdicts split at threshold.
                lowerThreshold: r.lowerThreshold ?? r.threshold,
                verdict: r.verdict,
                confidence: r.confidence,
                message: r.message,
                lookalike: r.lookalike?.label ?? null,
                ...(r.reference ? { version: r.reference.version } : {}),
              });
            } catch (err) {
              if (!(err instanceof RejectedPhoto)) throw err;
              result.skipped.push({ ...file, reason: terminalReason(err.code, err.message, err.details) });
            }
          }
          progress.tick();
        }
      } finally {
        progress.stop();
      }
      return result;
    },
    async photoHashes(scored) {
      const version = scored.find((s) => s.version)?.version;
      return version ? fetchReferenceData(url, options.profile, version, auth) : null;
    },
    close: async () => {},
  };
}
