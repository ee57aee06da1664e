import { readFile } from "node:fs/promises";
import type { ImageFile } from "./discover";
import { embedFiles, type SkippedFile } from "./embed-files";
import { loadManifest, loadNodeEmbedder } from "./model";
import { startProgress } from "./progress";
import { loadReference } from "./reference-file";
import { lookalikeMessage, nearestLookalike, scoreEmbedding, verdictMessage } from "../scoring";
import { checkRemote, RejectedPhoto } from "./worker-client";

export interface ScoredPhoto extends ImageFile {
  score: number;
  threshold: number;
  verdict: "normal" | "anomaly";
  confidence?: number;
  message?: string;
  /** What a refused photo looks more like, when the reference has lookalikes and one is clearly nearer. */
  lookalike?: string | null;
}

export interface ScoreResult {
  scored: ScoredPhoto[];
  skipped: SkippedFile[];
}

/** Scores photos against one reference, either here (onnxruntime-node) or through a running worker. */
export interface Scorer {
  /** "local models/references/rice.json" or "worker http://…": printed so results say where they came from. */
  readonly source: string;
  readonly profile: string;
  score(files: readonly ImageFile[], label: string): Promise<ScoreResult>;
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
      const { embedded, skipped } = await embedFiles(files, embedder, label);
      // The worker's scoring and wording (src/scoring), so a local verdict reads like the worker's.
      const scored = embedded.map(({ embedding, ...file }) => {
        const s = scoreEmbedding(embedding, reference);
        const lookalike = nearestLookalike(embedding, reference, s);
        return {
          ...file,
          score: s.score,
          threshold: s.threshold,
          verdict: s.verdict,
          confidence: s.confidence,
          message: lookalike ? lookalikeMessage(lookalike.label, reference.displayName) : verdictMessage(s, reference.displayName),
          lookalike: lookalike?.label ?? null,
        };
      });
      return { scored, skipped };
    },
    close: () => embedder.release(),
  };
}

function remoteScorer(url: string, options: ScorerOptions): Scorer {
  return {
    source: `worker ${url}`,
    profile: options.profile,
    async score(files, label) {
      const scored: ScoredPhoto[] = [];
      const skipped: SkippedFile[] = [];
      const progress = startProgress(label, files.length);
      try {
        for (const file of files) {
          let bytes: Uint8Array<ArrayBuffer>;
          try {
            bytes = new Uint8Array(await readFile(file.path));
          } catch (err) {
            skipped.push({ ...file, reason: `unreadable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
            progress.tick();
            continue;
          }
          try {
            const r = await checkRemote(bytes, { url, profile: options.profile, ...(options.apiKey ? { apiKey: options.apiKey } : {}) });
            scored.push({
              ...file,
              score: r.score,
              threshold: r.threshold,
              verdict: r.verdict,
              confidence: r.confidence,
              message: r.message,
              lookalike: r.lookalike?.label ?? null,
            });
          } catch (err) {
            if (!(err instanceof RejectedPhoto)) throw err;
            skipped.push({ ...file, reason: `${err.code}: ${err.message}` });
          }
          progress.tick();
        }
      } finally {
        progress.stop();
      }
      return { scored, skipped };
    },
    close: async () => {},
  };
}
