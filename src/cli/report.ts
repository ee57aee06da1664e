import { histogramSpec, rocSpec, toSvg } from "./charts";
import type { Evaluation, GroupScores } from "./evaluation";
import { digitsToTell, num, pct } from "./format";

/** One wrongly accepted or wrongly refused photo, for the report's gallery. */
export interface GalleryItem {
  path: string;
  group: string;
  score: number;
  lookalike?: string | null;
  /** A data: URI of what the model saw (thumbnails.ts), or null when the photo could not be rendered. */
  thumbnail: string | null;
}

export interface Gallery {
  refusedNormals: GalleryItem[];
  acceptedAnomalies: GalleryItem[];
}

export interface ReportMeta {
  profile: string;
  source: string;
  skipped: number;
  /** Files in the folders that are not images (counted only). */
  ignored?: number;
  createdAt: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** A self-contained HTML page: inline CSS and inline SVG charts, no scripts, no external links. */
export async function renderReport(e: Evaluation, groups: readonly GroupScores[], meta: ReportMeta, gallery?: Gallery): Promise<string> {
  const all = groups.flatMap((g) => g.scores);
  const lo = Math.min(Math.floor(Math.min(...all, e.threshold) * 10) / 10, 0.9);
  const domain: [number, number] = [lo, 1];
  const band = e.lowerThreshold < e.threshold;
  const histograms = await Promise.all(groups.map((g) => toSvg(histogramSpec(g, e.threshold, domain, band ? e.lowerThreshold : undefined))));
  const roc = await toSvg(rocSpec(e.roc, e.threshold));
  const o = e.overall;
  const d = digitsToTell([e.threshold, e.lowerThreshold]);
  const rows = e.groups
    .map(
      (g) =>
        `<tr class="${g.kind}${g.inSample ? " in-sample" : ""}"><td>${escapeHtml(g.name)}${g.inSample ? ` <span class="tag">in-sample</span>` : ""}</td>` +
        `<td>${g.kind}</td><td>${g.count}</td><td>${g.accepted}</td>${band ? `<td>${g.uncertain}</td>` : ""}` +
        `<td>${g.rejected}</td><td>${pct(g.acceptRate)}</td><td>${num(g.auroc, 4)}</td><td>${pct(g.fprAt95Tpr)}</td><td>${pct(g.tprAt1Fpr)}</td>` +
        `<td>${g.inSample ? `${g.inSample.photos}/${g.count} (${escapeHtml(g.inSample.sources.join(", "))})` : ""}</td></tr>`,
    )
    .join("\n");
  const inSample = e.groups.filter((g) => g.inSample);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>cropgate evaluation: ${escapeHtml(meta.profile)}</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
  .headline { display: flex; gap: 1.5rem; flex-wrap: wrap; margin: 1rem 0; }
  .headline div { background: #f4f4f4; border-radius: 6px; padding: .6rem 1rem; }
  .headline b { display: block; font-size: 1.5rem; }
  .table-wrap { overflow-x: auto; } table { border-collapse: collapse; } td, th { padding: .25rem .7rem; text-align: right; border-bottom: 1px solid #ddd; }
  td:first-child, th:first-child, td:nth-child(2) { text-align: left; }
  tr.normal td:first-child { border-left: 4px solid #2e7d32; } tr.anomaly td:first-child { border-left: 4px solid #c62828; }
  .grid { display: flex; gap: .5rem 1.5rem; flex-wrap: wrap; }
  .note { color: #666; font-size: 12px; }
  .gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: .8rem; }
  .gallery figure { margin: 0; background: #f7f7f7; border-radius: 6px; padding: .4rem; }
  .gallery img { width: 100%; aspect-ratio: 1; object-fit: cover; border-radius: 4px; display: block; }
  .gallery figcaption { font-size: 12px; overflow-wrap: anywhere; margin-top: .3rem; }
  tr.in-sample td { color: #777; font-style: italic; }
  .tag { font-style: normal; font-size: 11px; background: #fff3cd; color: #6b4e00; border-radius: 3px; padding: 0 .3rem; }
  .warn { background: #fff3cd; border-left: 4px solid #b58900; padding: .5rem .8rem; }
</style>
</head>
<body>
<h1>cropgate evaluation — profile <code>${escapeHtml(meta.profile)}</code></h1>
<p>Scored by ${escapeHtml(meta.source)} on ${escapeHtml(meta.createdAt)}. Threshold <b>${e.threshold.toFixed(d)}</b>
(a photo passes when its score to the reference is ≥ the threshold)${
    band ? `; between <b>${e.lowerThreshold.toFixed(d)}</b> and the threshold a photo is <i>uncertain</i> (a retake, neither a pass nor a refusal)` : ""
  }.
${meta.skipped > 0 ? `${meta.skipped} unreadable or unsupported photos were skipped.` : ""}
${meta.ignored ? `${meta.ignored} files that are not images were ignored.` : ""}</p>
${
  inSample.length > 0
    ? `<p class="warn"><b>In-sample:</b> ${inSample.map((g) => escapeHtml(g.name)).join(", ")} hold${inSample.length === 1 ? "s" : ""} photos the reference was built from
(listed in its <code>data.photos</code>). Their figures measure the photos it learnt from, not held-out results.</p>`
    : ""
}
<div class="headline">
  <div>AUROC<b>${num(o.auroc, 4)}</b></div>
  <div>FPR at 95 % TPR<b>${pct(o.fprAt95Tpr)}</b></div>
  <div>TPR at 1 % FPR<b>${pct(o.tprAt1Fpr)}</b></div>
  <div>crop photos accepted<b>${o.normal.accepted}/${o.normal.count}</b></div>
  <div>anomalies accepted<b>${o.anomaly.accepted}/${o.anomaly.count}</b></div>${
    band ? `\n  <div>uncertain (crop / anomalies)<b>${o.normal.uncertain} / ${o.anomaly.uncertain}</b></div>` : ""
  }
</div>
<h2>Per directory</h2>
<div class="table-wrap"><table>
<tr><th>group</th><th>kind</th><th>photos</th><th>accepted</th>${band ? "<th>uncertain</th>" : ""}<th>rejected</th><th>accept rate</th><th>AUROC</th><th>FPR@95%TPR</th><th>TPR@1%FPR</th><th>in-sample</th></tr>
${rows}
</table></div>
<p class="note">A normal directory is measured against all anomalies; an anomaly directory against all normal photos.
TPR = share of crop photos accepted; FPR = share of anomalies accepted.</p>
${gallery ? galleryHtml(gallery, e.threshold, d) : ""}
<h2>ROC curve</h2>
${roc}
<h2>Score histograms per directory (dashed line: the threshold${band ? "; dotted: the lower threshold" : ""})</h2>
<div class="grid">
${histograms.map((svg) => `<div>${svg}</div>`).join("\n")}
</div>
</body>
</html>
`;
}

function tiles(items: readonly GalleryItem[]): string {
  if (items.length === 0) return `<p class="note">None.</p>`;
  const tile = (g: GalleryItem) =>
    `<figure>${g.thumbnail ? `<img src="${g.thumbnail}" alt="${escapeHtml(g.path)}">` : ""}` +
    `<figcaption><b>${num(g.score, 4)}</b> · ${escapeHtml(g.group)}${g.lookalike ? ` · looks like <i>${escapeHtml(g.lookalike)}</i>` : ""}` +
    `<br>${escapeHtml(g.path)}</figcaption></figure>`;
  return `<div class="gallery">${items.map(tile).join("\n")}</div>`;
}

/** The mistakes worth a look, worst first: as the model saw them (centre crop at its input size). */
function galleryHtml(g: Gallery, threshold: number, digits: number): string {
  return `<h2>Crop photos refused, lowest score first (threshold ${threshold.toFixed(digits)})</h2>
${tiles(g.refusedNormals)}
<h2>Anomalies accepted, highest score first</h2>
${tiles(g.acceptedAnomalies)}
<p class="note">Thumbnails show what the model saw: the photo after orientation, centre square crop and resize.</p>
`;
}
