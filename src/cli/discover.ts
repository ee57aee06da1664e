import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { usageError } from "./cli-error";

export interface ImageFile {
  path: string;
  /** The command-line argument it came from: results are reported per argument ("per directory"). */
  group: string;
  /** Named on the command line itself rather than found in a folder: reported even when it is not an image. */
  named?: boolean;
}

/**
 * Expands files and directories (recursively) into a sorted list of candidate photos. The format is
 * judged later from the bytes, not the extension (photo-file.ts): a PNG shows up as a skipped file with
 * its reason, a file that is no image at all (manifest.csv) is only counted; hidden entries (".DS_Store",
 * ".git") are left out. Sorting is by code unit, not locale, so the order (and k-means, folds) is the
 * same on every machine. `limit` keeps the first N files of each argument in that order.
 */
export async function discoverImages(args: readonly string[], limit?: number): Promise<ImageFile[]> {
  const files: ImageFile[] = [];
  for (const arg of args) {
    let info;
    try {
      info = await stat(arg);
    } catch {
      throw usageError(`no such file or directory: ${arg}`);
    }
    if (!info.isDirectory()) {
      files.push({ path: arg, group: arg, named: true });
      continue;
    }
    const found = await walk(arg);
    const kept = limit === undefined ? found : found.slice(0, limit);
    files.push(...kept.map((path) => ({ path, group: arg })));
  }
  return files;
}

async function walk(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw usageError(`cannot list ${dir}: ${(err as Error).message}`);
  }
  const out: string[] = [];
  for (const entry of entries.sort((a, b) => compare(a.name, b.name))) {
    if (entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile() || entry.isSymbolicLink()) out.push(path);
  }
  return out;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
