import { readFile } from "node:fs/promises";
import { ApiError } from "../errors";
import { imageToTensor } from "../image";
import type { ImageFile } from "./discover";
import type { NodeEmbedder } from "./model";
import { startProgress } from "./progress";
import { l2normalize } from "./vectors";

export interface EmbeddedImage extends ImageFile {
  /** L2-normalised embedding. */
  embedding: number[];
}

export interface SkippedFile extends ImageFile {
  reason: string;
}

export interface EmbedResult {
  embedded: EmbeddedImage[];
  skipped: SkippedFile[];
}

const BATCH = 16;

/**
 * Reads, preprocesses (src/image, the worker's own module) and embeds every file. A file that cannot
 * be read or is not a usable JPEG is reported in `skipped` with the reason the worker would give;
 * it never aborts the run.
 */
export async function embedFiles(files: readonly ImageFile[], embedder: NodeEmbedder, label = "embedding"): Promise<EmbedResult> {
  const embedded: EmbeddedImage[] = [];
  const skipped: SkippedFile[] = [];
  const progress = startProgress(label, files.length);
  let pending: { file: ImageFile; tensor: Float32Array }[] = [];
  const flush = async () => {
    const vectors = await embedder.embedBatch(pending.map((p) => p.tensor));
    pending.forEach((p, i) => embedded.push({ ...p.file, embedding: l2normalize(vectors[i]!) }));
    pending = [];
  };
  try {
    for (const file of files) {
      const tensor = await readTensor(file, embedder);
      if ("reason" in tensor) skipped.push(tensor);
      else pending.push({ file, tensor: tensor.tensor });
      if (pending.length >= BATCH) await flush();
      progress.tick();
    }
    if (pending.length > 0) await flush();
  } finally {
    progress.stop();
  }
  return { embedded, skipped };
}

async function readTensor(file: ImageFile, embedder: NodeEmbedder): Promise<{ tensor: Float32Array } | SkippedFile> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file.path));
  } catch (err) {
    return { ...file, reason: `unreadable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  try {
    return { tensor: imageToTensor(bytes, embedder.preprocessing).tensor };
  } catch (err) {
    if (err instanceof ApiError) return { ...file, reason: `${err.code}: ${err.message}` };
    // Not a user error but a decoder bug; still only this photo is lost, and the reason says so.
    return { ...file, reason: `could not be decoded (unexpected error, please report): ${(err as Error).message}` };
  }
}
