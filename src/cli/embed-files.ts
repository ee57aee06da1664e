import { ApiError } from "../errors";
import { imageToTensor, type QualityIssue } from "../image";
import type { ImageFile } from "./discover";
import type { NodeEmbedder } from "./model";
import { reasonOf, readPhoto } from "./photo-file";
import { startProgress } from "./progress";
import { l2normalize } from "./vectors";

export interface EmbeddedImage extends ImageFile {
  /** L2-normalised embedding. */
  embedding: number[];
  /** First 16 hex digits of the file's sha256 (contract §3, `data.photos`). */
  sha16: string;
  /** The worker's quality issues of the photo (dark, blurry…), for the same message the worker would give. */
  issues: QualityIssue[];
}

export interface SkippedFile extends ImageFile {
  reason: string;
}

export interface EmbedResult {
  embedded: EmbeddedImage[];
  skipped: SkippedFile[];
  /** Files in the folders that are not images at all: counted, not reported one by one. */
  ignored: ImageFile[];
}

const BATCH = 16;

/**
 * Reads, preprocesses (src/image, the worker's own module) and embeds every file. A file that cannot
 * be read or is not a usable JPEG is reported in `skipped` with the reason; it never aborts the run.
 */
export async function embedFiles(files: readonly ImageFile[], embedder: NodeEmbedder, label = "embedding"): Promise<EmbedResult> {
  const embedded: EmbeddedImage[] = [];
  const skipped: SkippedFile[] = [];
  const ignored: ImageFile[] = [];
  const progress = startProgress(label, files.length);
  let pending: { file: ImageFile; tensor: Float32Array; sha16: string; issues: QualityIssue[] }[] = [];
  const flush = async () => {
    const vectors = await embedder.embedBatch(pending.map((p) => p.tensor));
    pending.forEach((p, i) => embedded.push({ ...p.file, embedding: l2normalize(vectors[i]!), sha16: p.sha16, issues: p.issues }));
    pending = [];
  };
  try {
    for (const file of files) {
      const read = await readPhoto(file);
      if (read.kind === "ignored") ignored.push(file);
      else if (read.kind === "skipped") skipped.push({ ...file, reason: read.reason });
      else {
        const tensor = toTensor(read.bytes, embedder);
        if ("reason" in tensor) skipped.push({ ...file, reason: tensor.reason });
        else pending.push({ file, tensor: tensor.tensor, sha16: read.sha16, issues: tensor.issues });
      }
      if (pending.length >= BATCH) await flush();
      progress.tick();
    }
    if (pending.length > 0) await flush();
  } finally {
    progress.stop();
  }
  return { embedded, skipped, ignored };
}

function toTensor(bytes: Uint8Array, embedder: NodeEmbedder): { tensor: Float32Array; issues: QualityIssue[] } | { reason: string } {
  try {
    const { tensor, quality } = imageToTensor(bytes, embedder.preprocessing);
    return { tensor, issues: quality.issues };
  } catch (err) {
    if (err instanceof ApiError) return { reason: reasonOf(err) };
    // Not a user error but a decoder bug; still only this photo is lost, and the reason says so.
    return { reason: `could not be decoded (unexpected error, please report it): ${(err as Error).message}` };
  }
}
