/**
 * Calibrates and measures the photo-quality checks (src/image/quality.ts) on the shared photo set:
 * how many real rice photos get flagged, and how many degraded copies of them are caught.
 *
 *   npx tsx bench/quality.ts [--data ../shared/data] [--verbose] [--dump rows.json]
 *
 * Degraded copies are made from the decoded pixels (no re-encoding, so JPEG artefacts don't help):
 * Gaussian blur with σ = BLUR_SIGMA_FRACTION of the shorter side, exposure ×0.25 and ×3 on the 8-bit
 * values (clipped; also reported in linear light, a milder change), and a downscale to 96 px on the
 * longer side. Test: test/node/quality-calibration.test.ts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeJpeg } from "../src/image/jpeg-decoder";
import { readJpegHeader } from "../src/image/jpeg-header";
import { applyOrientation, type RgbImage } from "../src/image/orientation";
import { QUALITY_ISSUES, measureQuality, qualityIssues, type QualityIssue, type QualityStats } from "../src/image/quality";

/** σ of the blur, as a fraction of the shorter side: 1.5 % of a 256-px photo is ≈ 4 px, plainly soft to the eye. */
export const BLUR_SIGMA_FRACTION = 0.015;
export const DOWNSCALE_SIDE = 96;

export const VARIANTS = ["original", "blur", "dark", "bright", "small", "darkLinear", "brightLinear"] as const;
export type Variant = (typeof VARIANTS)[number];
/** The issue that a degraded copy should get. */
export const EXPECTED: Record<Exclude<Variant, "original">, QualityIssue> = {
  blur: "blurry",
  dark: "dark",
  bright: "overexposed",
  small: "low_resolution",
  darkLinear: "dark",
  brightLinear: "overexposed",
};

export function dataDir(): string | undefined {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const dir = resolve(root, process.env.CROPGATE_DATA ?? "../shared/data");
  return existsSync(join(dir, "rice-leaf")) ? dir : undefined;
}

/** The calibration photos: every rice-leaf/* and rice-field/**\/* JPEG. */
export function ricePhotos(data: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.jpe?g$/i.test(name)) out.push(p);
    }
  };
  walk(join(data, "rice-leaf"));
  walk(join(data, "rice-field"));
  return out;
}

export function decodeFile(path: string): RgbImage {
  const bytes = new Uint8Array(readFileSync(path));
  const header = readJpegHeader(bytes);
  return applyOrientation(decodeJpeg(bytes, { scaleDenom: 1, maxMemoryBytes: 512 * 2 ** 20 }), header.orientation);
}

const SRGB_TO_LINEAR = Float64Array.from({ length: 256 }, (_, v) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});
function linearToSrgb(l: number): number {
  const c = l <= 0.0031308 ? l * 12.92 : 1.055 * l ** (1 / 2.4) - 0.055;
  return Math.max(0, Math.min(255, Math.round(c * 255)));
}

/**
 * Exposure ×factor. `linear: false` scales the 8-bit values and clips (PIL's ImageEnhance.Brightness,
 * the usual augmentation); `linear: true` scales linear light (what a camera's exposure does), a much
 * milder change: ×3 of a dim field photo is just a well-exposed one.
 */
export function exposure(img: RgbImage, factor: number, linear = false): RgbImage {
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = linear ? linearToSrgb(SRGB_TO_LINEAR[v]! * factor) : Math.min(255, Math.round(v * factor));
  const data = new Uint8Array(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = lut[img.data[i]!]!;
  return { ...img, data };
}

/** Gaussian blur approximated by three box blurs per axis (the usual ±3 % approximation), per channel. */
export function gaussianBlur(img: RgbImage, sigma: number): RgbImage {
  const { width: w, height: h, channels: c } = img;
  // Box radius for three equal passes: variance of a box of width 2r+1 is ((2r+1)² − 1)/12.
  const r = Math.max(1, Math.round((Math.sqrt((12 * sigma * sigma) / 3 + 1) - 1) / 2));
  let a = Float32Array.from(img.data);
  let b = new Float32Array(a.length);
  const line = new Float32Array(Math.max(w, h) + 2 * r + 2);
  // One pass along lines of `len` samples, `step` apart, starting at `start(lineIndex)`.
  const pass = (len: number, lines: number, start: (l: number) => number, step: number) => {
    for (let l = 0; l < lines; l++) {
      for (let ch = 0; ch < c; ch++) {
        const s0 = start(l) + ch;
        // Clamp-to-edge padding, copied once per line.
        for (let k = -r; k < len + r + 1; k++) line[k + r] = a[s0 + Math.max(0, Math.min(len - 1, k)) * step]!;
        let acc = 0;
        for (let k = 0; k <= 2 * r; k++) acc += line[k]!;
        for (let k = 0; k < len; k++) {
          b[s0 + k * step] = acc / (2 * r + 1);
          acc += line[k + 2 * r + 1]! - line[k]!;
        }
      }
    }
    [a, b] = [b, a];
  };
  for (let i = 0; i < 3; i++) pass(w, h, (y) => y * w * c, c);
  for (let i = 0; i < 3; i++) pass(h, w, (x) => x * c, w * c);
  const data = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(a[i]!)));
  return { ...img, data };
}

/** Area-average downscale so the longer side is `side` px. */
export function downscale(img: RgbImage, side: number): RgbImage {
  const s = side / Math.max(img.width, img.height);
  const tw = Math.max(1, Math.round(img.width * s));
  const th = Math.max(1, Math.round(img.height * s));
  const { channels: c } = img;
  const sum = new Float64Array(tw * th * c);
  const n = new Uint32Array(tw * th);
  for (let y = 0; y < img.height; y++) {
    const ty = Math.min(th - 1, Math.floor((y * th) / img.height));
    for (let x = 0; x < img.width; x++) {
      const t = ty * tw + Math.min(tw - 1, Math.floor((x * tw) / img.width));
      n[t]! += 1;
      for (let k = 0; k < c; k++) sum[t * c + k]! += img.data[(y * img.width + x) * c + k]!;
    }
  }
  const data = new Uint8Array(sum.length);
  for (let i = 0; i < sum.length; i++) data[i] = Math.round(sum[i]! / n[Math.floor(i / c)]!);
  return { width: tw, height: th, channels: c, data };
}

export function variantOf(img: RgbImage, v: Variant): RgbImage {
  switch (v) {
    case "original":
      return img;
    case "blur":
      return gaussianBlur(img, BLUR_SIGMA_FRACTION * Math.min(img.width, img.height));
    case "dark":
      return exposure(img, 0.25);
    case "bright":
      return exposure(img, 3);
    case "small":
      return downscale(img, DOWNSCALE_SIDE);
    case "darkLinear":
      return exposure(img, 0.25, true);
    case "brightLinear":
      return exposure(img, 3, true);
  }
}

export interface Measured {
  path: string;
  variant: Variant;
  stats: QualityStats;
  issues: QualityIssue[];
}

export function measureAll(paths: readonly string[]): Measured[] {
  const out: Measured[] = [];
  for (const path of paths) {
    const img = decodeFile(path);
    for (const variant of VARIANTS) {
      const v = variantOf(img, variant);
      const stats = measureQuality(v, v);
      out.push({ path, variant, stats, issues: qualityIssues(stats) });
    }
  }
  return out;
}

export interface Summary {
  photos: number;
  /** Originals with any issue. */
  flaggedOriginals: number;
  flaggedByIssue: Record<QualityIssue, number>;
  /** Per degradation: copies that got the expected issue. */
  caught: Record<Exclude<Variant, "original">, number>;
}

export function summarize(rows: readonly Measured[]): Summary {
  const originals = rows.filter((r) => r.variant === "original");
  const flaggedByIssue = Object.fromEntries(QUALITY_ISSUES.map((i) => [i, originals.filter((r) => r.issues.includes(i)).length])) as Record<QualityIssue, number>;
  const caught = Object.fromEntries(
    (Object.keys(EXPECTED) as (keyof typeof EXPECTED)[]).map((v) => [v, rows.filter((r) => r.variant === v && r.issues.includes(EXPECTED[v])).length]),
  ) as Summary["caught"];
  return { photos: originals.length, flaggedOriginals: originals.filter((r) => r.issues.length > 0).length, flaggedByIssue, caught };
}

function quantiles(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return [0, 0.01, 0.02, 0.05, 0.1, 0.5, 0.9, 0.95, 0.98, 0.99, 1].map((p) => `${p * 100}%:${q(p).toFixed(3)}`).join(" ");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argData = process.argv.indexOf("--data");
  const data = argData > 0 ? resolve(process.argv[argData + 1]!) : dataDir();
  if (!data) {
    console.error("no shared data: pass --data <dir> or set CROPGATE_DATA (looked for ../shared/data/rice-leaf)");
    process.exit(2);
  }
  const paths = ricePhotos(data);
  const t0 = performance.now();
  const rows = measureAll(paths);
  const s = summarize(rows);
  const pct = (k: number) => `${k}/${s.photos} (${((100 * k) / s.photos).toFixed(1)} %)`;
  if (process.argv.includes("--verbose")) {
    for (const v of VARIANTS) {
      const rs = rows.filter((r) => r.variant === v);
      console.log(`${v}\n  meanLuma  ${quantiles(rs.map((r) => r.stats.meanLuma))}\n  clipped   ${quantiles(rs.map((r) => r.stats.clippedHigh))}\n  sharpness ${quantiles(rs.map((r) => r.stats.sharpness))}`);
    }
    for (const r of rows.filter((r) => r.variant === "original" && r.issues.length > 0)) console.log(`flagged: ${relative(data, r.path)} ${r.issues.join(",")} ${JSON.stringify(r.stats)}`);
  }
  const dump = process.argv.indexOf("--dump");
  if (dump > 0) (await import("node:fs")).writeFileSync(process.argv[dump + 1]!, JSON.stringify(rows.map((r) => ({ ...r, path: relative(data, r.path) }))));
  console.log(`${s.photos} rice photos (rice-leaf/*, rice-field/**) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`originals flagged: ${pct(s.flaggedOriginals)}  by issue: ${QUALITY_ISSUES.map((i) => `${i} ${s.flaggedByIssue[i]}`).join(", ")}`);
  for (const [v, issue] of Object.entries(EXPECTED)) console.log(`${v.padEnd(6)} → ${issue.padEnd(14)} caught ${pct(s.caught[v as keyof typeof EXPECTED])}`);
}
