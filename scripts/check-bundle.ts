// `npm run check:bundle` (CI): builds the deploy bundle with `wrangler deploy --dry-run` and fails when its
// gzip size, as wrangler reports it (what Cloudflare's upload limit counts), passes 8 MiB: headroom under the
// Workers Paid plan's 10 MB, and a tripwire for an accidental second wasm or fp32 model in the bundle.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const MAX_GZIP_BYTES = 8 * 2 ** 20;

/** `Total Upload: 17952.46 KiB / gzip: 6170.80 KiB` → sizes in bytes. */
export function parseUploadLine(log: string): { rawBytes: number; gzipBytes: number } | null {
  const m = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(log);
  return m ? { rawBytes: Math.round(Number(m[1]) * 1024), gzipBytes: Math.round(Number(m[2]) * 1024) } : null;
}

export function dryRunBundle(): { rawBytes: number; gzipBytes: number; line: string } {
  const dir = mkdtempSync(join(tmpdir(), "cropgate-bundle-"));
  try {
    const cli = createRequire(import.meta.url).resolve("wrangler");
    const log = execFileSync(process.execPath, [cli, "deploy", "--dry-run", "--outdir", dir], {
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const sizes = parseUploadLine(log);
    if (!sizes) throw new Error(`no "Total Upload" line in wrangler's output:\n${log}`);
    return { ...sizes, line: /Total Upload:.*$/m.exec(log)![0] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const b = dryRunBundle();
  const mib = (n: number) => (n / 2 ** 20).toFixed(2);
  const ok = b.gzipBytes <= MAX_GZIP_BYTES;
  console.log(`check:bundle: ${b.line} → ${mib(b.gzipBytes)} MiB gzip, limit ${mib(MAX_GZIP_BYTES)} MiB: ${ok ? "ok" : "TOO BIG"}`);
  process.exit(ok ? 0 : 1);
}
