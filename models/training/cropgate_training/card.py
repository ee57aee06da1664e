"""Renders the model card (models/README.md) from the run's manifest, metrics and reference, and the recipe
comparison from eval/selection.json: every number in it comes from the run that wrote those files."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence

PIPELINE_CMD = ("cd models/training && ../.venv/bin/python -m cropgate_training pipeline "
                "--data ../../../shared/data --weights ../../../shared/weights/mobilenet_v2_1.0_224_quant.tflite")
SELECT_CMD = ("cd models/training && ../.venv/bin/python -m cropgate_training select "
              "--data ../../../shared/data --weights ../../../shared/weights/mobilenet_v2_1.0_224_quant.tflite")
KINDS_CMD = SELECT_CMD + " --recipes tail --view-sets no-cutout no-fill --out ../eval/selection-kinds.json"
SEED_CMD = SELECT_CMD + " --recipes tail --view-sets all no-cutout --train-seed 1 --out ../eval/selection-seed1.json"
GOALS = {  # issue 13: (whole source left out, held-out photos)
    "rice": ("≥ 85 %", "≥ 95 %"), "paddy-weeds": ("≤ 5 %", "≤ 3 %"), "sugarcane-field": ("≤ 20 %", "≤ 1 %"),
    "other": ("≤ 2 %", "≤ 1 %"),
}


def _f(x: Optional[float], n: int = 4) -> str:
    return "–" if x is None else f"{x:.{n}f}"


def _pct(x: Optional[float]) -> str:
    return "–" if x is None else f"{100 * x:.1f} %"


def _table(head: List[str], rows: List[List[str]]) -> str:
    return "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                     + ["| " + " | ".join(r) + " |" for r in rows])


def _best(results: Sequence[Dict]) -> Dict[tuple, Dict]:
    """Each (recipe, view set) by its best scorer: the row the tables show (every scorer stays in the JSON)."""
    best: Dict[tuple, Dict] = {}
    for x in results:
        k = (x["recipe"], x["views"])
        if k not in best or x["aurocWholeSourceOut"] > best[k]["aurocWholeSourceOut"]:
            best[k] = x
    return best


def _selection(path: Path, cmd: str = SELECT_CMD) -> str:
    if not path.is_file():
        return f"`{path.name}` is not in this checkout: run `{cmd}`."
    r = json.loads(path.read_text())
    res = r["results"]
    if not res:
        return "No results."
    rice = list(res[0]["aurocBySource"])
    short = lambda s: s.split("/")[-1]  # noqa: E731
    head = (["recipe", "views", "best scorer", "AUROC, whole sources out", "AUROC, held out"]
            + [f"AUROC {short(s)} out" for s in rice]
            + ["look-alikes passed at 50 % / 70 % rice", "negatives passed at 70 % rice", "seconds"])
    best = _best(res)
    rows = []
    for x in sorted(best.values(), key=lambda x: -x["aurocWholeSourceOut"]):
        eq = x["atEqualRiceAcceptance"]
        rows.append([f"`{x['recipe']}`", x["views"], f"`{x['scorer']}`",
                     _f(x["aurocWholeSourceOut"]), _f(x["aurocHeldOut"])]
                    + [_f(x["aurocBySource"][s], 3) for s in rice]
                    + [f"{_pct(eq['0.50']['lookalikesAccepted'])} / {_pct(eq['0.70']['lookalikesAccepted'])}",
                       _pct(eq["0.70"]["negativesAccepted"]), str(x["seconds"])])
    return _table(head, rows) + f"\n\n({r.get('seconds', '?')} s for the whole comparison on this machine.)"


def _goal(src: str, normal: bool) -> tuple:
    return GOALS["rice"] if normal else GOALS.get(src, GOALS["other"])


def _views_verdict(path: Path, recipe: str = "tail") -> str:
    """Why the shipped recipe trains on the synthetic shots, in this run's own numbers."""
    if not path.is_file():
        return ""
    best = _best_by_views([path], recipe)
    a, n = best.get("all"), best.get("none")
    if not a or not n:
        return ""
    la, ln = (x["atEqualRiceAcceptance"] for x in (a, n))
    if la["0.70"]["lookalikesAccepted"] >= ln["0.70"]["lookalikesAccepted"]:
        return (f"Without the synthetic shots `{recipe}` passed no more look-alikes at 70 % rice "
                f"({_pct(ln['0.70']['lookalikesAccepted'])} against {_pct(la['0.70']['lookalikesAccepted'])} with them).")
    return (f"`{recipe}` with and without the synthetic shots rank within {abs(a['aurocWholeSourceOut'] - n['aurocWholeSourceOut']):.3f} "
            f"of AUROC ({_f(a['aurocWholeSourceOut'])} / {_f(n['aurocWholeSourceOut'])}), but at equal rice acceptance the "
            f"synthetic shots let fewer look-alikes through: {_pct(la['0.50']['lookalikesAccepted'])} against "
            f"{_pct(ln['0.50']['lookalikesAccepted'])} at 50 % rice, {_pct(la['0.70']['lookalikesAccepted'])} against "
            f"{_pct(ln['0.70']['lookalikesAccepted'])} at 70 %. That is the failure the gate exists to stop, so the shipped "
            f"model is `{recipe}` on every view.")


def _best_by_views(paths: Sequence[Path], recipe: str) -> Dict[str, Dict]:
    """One recipe's best scorer per view set, over the results of several selection files."""
    rows = [x for p in paths for x in json.loads(p.read_text())["results"]]
    return {v: x for (r, v), x in _best(rows).items() if r == recipe}


def _kinds_verdict(all_path: Path, kinds_path: Path, seed_path: Optional[Path] = None, recipe: str = "tail") -> str:
    """What leaving out each synthetic kind does to the shipped recipe, against the same recipe on every view, and
    (when a second training seed was run) whether that exceeds what the seed alone moves."""
    if not (all_path.is_file() and kinds_path.is_file()):
        return ""
    best = _best_by_views([all_path, kinds_path], recipe)
    if "all" not in best:
        return ""
    a = best["all"]
    look = lambda x: x["atEqualRiceAcceptance"]["0.70"]["lookalikesAccepted"]  # noqa: E731
    la = look(a)
    spread = None
    seed_text = ""
    if seed_path is not None and seed_path.is_file():
        other = _best_by_views([seed_path], recipe)
        both = [v for v in other if v in best]
        if both:
            spread = max(abs(other[v]["aurocWholeSourceOut"] - best[v]["aurocWholeSourceOut"]) for v in both)
            seed = other[both[0]].get("trainSeed", "?")
            seed_text = (f" A second training seed ({seed}; `{SEED_CMD}`) gave "
                         + "; ".join(f"`{v}` AUROC {_f(other[v]['aurocWholeSourceOut'])} (seed 0: "
                                     f"{_f(best[v]['aurocWholeSourceOut'])}), {_pct(look(other[v]))} of look-alikes at "
                                     f"70 % rice (seed 0: {_pct(look(best[v]))})" for v in both)
                         + f": the seed alone moves AUROC by up to {spread:.3f}, so a difference between rows of the "
                         "tables above smaller than that is not shown to be more than run-to-run variation.")
    parts = []
    for v, x in sorted(best.items()):
        if not v.startswith("no-"):
            continue
        d = x["aurocWholeSourceOut"] - a["aurocWholeSourceOut"]
        lx = look(x)
        if spread is not None and abs(d) <= spread:
            effect = "that difference is within what the seed alone moves"
        else:
            effect = ("" if spread is not None else "in this run ") + (
                "that kind helps" if d < 0 and lx > la else "that kind does not help" if d >= 0 and lx <= la
                else "that kind's effect is mixed")
        parts.append(f"without `{v[3:]}` AUROC {_f(x['aurocWholeSourceOut'])} ({d:+.3f}) and {_pct(lx)} of look-alikes "
                     f"passed at 70 % rice: {effect}")
    if not parts:
        return ""
    caveat = (seed_text if seed_text else
              " One training run per row and no repeat with another seed, so a difference of a few hundredths is not "
              "shown to exceed run-to-run variation.")
    return (f"Against `{recipe}` on every view (AUROC {_f(a['aurocWholeSourceOut'])}, {_pct(la)} of look-alikes at 70 % "
            f"rice): " + "; ".join(parts) + "." + caveat + " `leaf-fill` and `lesion` were not left out one by one.")

def render(manifest: Dict, metrics: Dict, reference: Dict, eval_dir: Optional[Path] = None) -> str:
    m = manifest["model"]
    tr = manifest["training"]
    rec = metrics["recipe"]
    th = metrics["threshold"]
    summ = metrics["summary"]
    par = metrics["parity"]
    q = metrics["quantization"]
    ps = metrics["perSource"]
    eval_dir = eval_dir or Path(".")
    size = rec["size"]
    t = reference["threshold"]
    dim = m["outputs"][0]["shape"][1]
    feat_dim = next(o["shape"][1] for o in m["outputs"] if o["name"] == "features")
    cfg = rec.get("tail") or rec.get("head") or {}
    protos = t["score"] == "prototype-max-cosine"

    def row(src: str, r: Dict) -> List[str]:
        w, h = r["wholeSourceOut"], r["heldOut"]
        gw, gh = _goal(src, r["normal"])
        return [f"`{src}`", str(r["photos"]), f"**{_pct(w['accepted'])}** ({gw})", _pct(w["uncertain"]),
                f"**{_pct(h['accepted'])}** ({gh})", _pct(h["uncertain"]), _f(r.get("aurocWholeSourceOut"))]

    head = ["source", "photos", "accepted, whole source left out (goal)", "uncertain, left out",
            "accepted, held-out photos (goal)", "uncertain, held out", "AUROC, left out (vs the other side left out)"]
    rice_rows = [row(s, r) for s, r in ps.items() if r["normal"] and r["trainsShippedModel"]]
    neg_rows = [row(s, r) for s, r in ps.items() if not r["normal"] and r["trainsShippedModel"]]
    never = [[f"`{s}` (measurement only: licence)", str(r["photos"]), _pct(r["neverTrained"]["accepted"]),
              _pct(r["neverTrained"]["uncertain"])] for s, r in ps.items() if not r["trainsShippedModel"]]
    never += [[f"`unseen-crops/{c}` (held apart by design)", str(u["asNegative"]["photos"]),
               _pct(u["asNegative"]["accepted"]), _pct(u["asNegative"]["uncertain"])]
              for c, u in metrics.get("unseenCrops", {}).items()]
    enrol = [[c, label, f"{e['enrolled']} / {e['evaluated']}", _f(e["auroc"]), _pct(e["fprAt95Tpr"]),
              _pct(e["tprAt1Fpr"])]
             for c, u in metrics.get("unseenCrops", {}).items()
             for key, label in (("enrolment", "`features` (shipped: fine-tuned blocks)"),
                                ("enrolmentFrozen", "frozen ImageNet blocks 14–18, whitened alike (not shipped)"))
             if u.get(key) for e in (u[key],)]
    sets = [[f"`{s['source']}`", "rice" if s["normal"] else "negative", str(s["photos"]),
             ", ".join(f"{k} {v}" for k, v in s["views"].items()), s["licence"]] for s in metrics["trainingSets"]]
    folds = "; ".join(" + ".join(f"`{s}`" for s in f) for f in rec["folds"])
    times = ", ".join(f"{k} {v}" for k, v in tr["timingsSeconds"].items())
    arch = (f"frozen ImageNet MobileNetV2 up to block 13 → blocks 14–17 and the 1×1 conv to 1280 (`features[14:19]`) "
            f"**fine-tuned** → {'GeM' if cfg.get('gem', 1) != 1 else 'average'} pooling → "
            f"{'MLP' if cfg.get('hidden') else 'Linear'}(1280, {dim})"
            if rec["model"] == "tail" else
            f"frozen ImageNet MobileNetV2 → average pooling → {'MLP' if cfg.get('hidden') else 'Linear'}(1280, {dim})")
    return f"""# cropgate embedder — model card

**What it is.** The embedder behind cropgate's "is this really a photo of the crop?" gate: {arch}, trained with
ArcFace (pytorch-metric-learning) on rice against 17 classes of weeds, seedlings, other crops and scenes, from the
photos of `../shared/data` that may train it *and* synthetic kinds of shot made from them (cut-out leaves on real
backgrounds, frame-filling crops, painted disease spots on look-alikes). One inference returns two vectors from the
same pooled vector: `embedding` (the head, centred: what the rice reference scores in) and `features` (the pooled
vector centred and PCA-whitened to {feat_dim} dimensions without labels: what `npm run enroll` uses for a crop the
model was never trained on). Both come from the fine-tuned blocks: a frozen copy of blocks 14–18 beside them, for
`features` alone, would add their 1,663,360 weights (76 % of the backbone's; ≈ 1.66 MB in int8, over the 4 MB
budget) and 30 % of the inference (45.7 of 152.8 M multiply-adds at 160 px), and the fine-tuned vector enrols unseen
crops as well (below). The score is the {'largest cosine to any of the reference prototypes' if protos else 'cosine to the reference centroid'};
`score ≥ {_f(t['value'])}` ⇒ **normal**, `{_f(t['lower'])} ≤ score < {_f(t['value'])}` ⇒ **uncertain** (a retake hint),
below ⇒ **anomaly**.

| | |
|---|---|
| file | `{m['file']}` ({m['bytes']:,} bytes, sha256 `{m['sha256']}`) |
| format | ONNX opset {m['opset']}, input `input` float32 `[batch, 3, {size}, {size}]`, outputs `embedding` float32 `[batch, {dim}]` and `features` float32 `[batch, {feat_dim}]` |
| quantization | {m['quantization']['method']} (`{m['quantization']['tool']}`) |
| preprocessing | `{manifest['preprocessing']['id']}`: EXIF orientation, RGB, centre square crop, Pillow BOX resize to {size} on float channels, `(x − 127.5) / 127.5`, NCHW (`docs/contracts.md` §2, `manifest.json`) |
| recipe | `{rec['name']}`, scorer `{rec['scorer']}` (`loso.Fitted.references`) |
| reference | `references/rice.json`: `threshold.score` = `{t['score']}`, {len(reference['prototypes'])} prototypes (k-means of the training rice views' embeddings), {len(reference.get('lookalikes', []))} lookalike centroids (one per negative source), the hashes of the {sum(len(v) for v in reference['data']['photos']['sources'].values())} photos it was trained on (`data.photos`) |
| thresholds | accept **{_f(t['value'])}**, uncertain from **{_f(t['lower'])}**, both placed on whole sources left out (below) |
| created | {tr['createdAt']} by {tr['tool']} |

## What to expect, source by source

No figure here comes from a photo its scorer was trained on. There is one fold per source ({len(rec['folds'])} in all). Fold
k trains without one whole source and without a part of every other source, so every photo gets two scores:
- **whole source left out**: a model that never saw the photographer, place and camera of the photo: rice
  leave-one-source-out (LOSO), negatives leave-one-group-out (LOGO). This is what a farmer's photo from a field the
  model never saw looks like to it, and what the thresholds are placed on.
- **held-out photos**: a model that saw the rest of the photo's source, not the photo.

A synthetic view drawn from a photo (its leaf, its background) is left out wherever the photo is.

Rice sources:

{_table(head, rice_rows)}

Negative sources:

{_table(head, neg_rows)}

Never trained on at all (scored by the shipped model):

{_table(['set', 'photos', 'accepted', 'uncertain'], never)}

Pooled AUROC, every rice source left out vs every negative source left out: **{_f(summ['aurocWholeSourceOut'])}**; held-out
photos: {_f(summ['aurocHeldOut'])} (FPR @ 95 % TPR {_pct(summ['fprAt95TprHeldOut'])}). Worst goal ratio at the accept
threshold (≤ 1: every goal met): {_f(summ['goalRatioWholeSourceOut'], 2)} on whole sources left out,
{_f(summ['goalRatioHeldOut'], 2)} on held-out photos.

**How the thresholds are placed.** On the whole-source-left-out scores only. The accept threshold is the value with
the smallest worst goal ratio: the largest of (refused photos of a left-out rice source / 15 % of it; accepted
photos of a left-out negative source / its budget: paddy weeds 5 %, sugarcane 20 %, any other 2 %), each budget at
least one photo; ties go to the middle of the best interval ({_f(th['interval'][0])}–{_f(th['interval'][1])}). Every source
counts alike, whatever its size. The uncertain band reaches down as far as it can while no left-out source (rice or
negative) has more than {int(100 * t['policy']['bandCap'])} % of its photos inside it: a photo there gets *"Not sure this is
rice: fill the frame with one leaf, in daylight"*, neither a pass nor a silent refusal.

![whole sources left out](eval/histogram-left-out.png)

![held-out photos](eval/histogram-held-out.png)

## Enrolling a crop it was never trained on

`npm run enroll` (docs/cli.md) embeds a new crop's photos in the `features` output. Enrolled from the first 50 photos
(name order), scored on the rest against every rice and negative photo here:

{_table(['crop', 'vector', 'enrolled / evaluated', 'AUROC', 'FPR @ 95 % TPR', 'TPR @ 1 % FPR'], enrol)}

## How it was made

One command, {tr['timingsSeconds']['total'] / 60:.1f} min on this machine's 2 shared CPU cores (the cached views in
`models/work/cache` reused; drawing them from nothing adds about 7 min):

```sh
bash models/setup.sh            # Debian torch 1.13 CPU + pinned PyPI packages in models/.venv
{PIPELINE_CMD}
```

Timings (s): {times}. Seeded (seed {tr['data']['seed']}).

**Training data** (only the sets `../shared/data/README.md` marks "may train the shipped model"), with the views of
each that trained the shipped model:

{_table(['set', 'role', 'photos', 'views by kind', 'licence'], sets)}

Measurement only, never trained on: {', '.join(f'`{s}`' for s in tr['data']['measurementOnly'])}
(non-commercial licence) and {', '.join(f'`{s}`' for s in tr['data']['excluded'])} (held apart by design).

**Views** (`views.py`, `synth.py`). Every photo once as shot and as phone-like variations (reframed from a quarter of
the frame to all of it, tilted, other light, blur, downscaling, JPEG). Then the kinds of shot the data lacks, so that a
rice source left out has a sibling in training:
- `cutout`: a `rice-leaf` leaf cut out of its light lab background (colour and brightness mask), rotated, scaled to
  span 0.6–2 × the frame, pasted with a feathered edge on a blurred background (soil, water, gravel, cloth, skin, sky,
  foliage, from photos of other sources, or a plain colour). PlantVillage apple leaves get the same, as negatives.
- `fill`: 10–30 % of the frame of a field photo (15–40 % for the 224-px one), kept only when ≥ 40 % of it is plant
  for rice; the same for sugarcane, paddy weeds and chilli fields as negatives.
- `leaf-fill`: a crop that is ≥ 92 % leaf inside a lab leaf's mask: a lesion filling the frame.
- `lesion`: painted disease spots and streaks on look-alikes (sugarcane, paddy weeds, seedlings, chilli fields): rice
  here is nearly all diseased and the look-alikes nearly all healthy, so spots alone must not mean rice.

**Training.** {len(tr['data']['classes'])} ArcFace classes: one for all rice, one per negative leaf folder. Each class is
sampled ∝ n^{cfg.get('class_balance')}, shared evenly by its (source × kind of shot) strata, so a synthetic kind weighs as much as
the photos it came from. Blocks 14–18 start from ImageNet and the head from scratch, AdamW (learning rates
{cfg.get('lr_tail')} / {cfg.get('lr_head')}), one-cycle, {cfg.get('steps')} steps of {cfg.get('batch_size')} on cached block-13 maps;
MixStyle {cfg.get('mixstyle')}, GeM p = {cfg.get('gem')}; ArcFace margin {cfg.get('margin_deg')}°, scale {cfg.get('scale')}.
Folds: {folds}.

**Recipe selection** (`{SELECT_CMD}`, and for what each synthetic kind adds `{KINDS_CMD}`; the same folds and
cached views as the pipeline). Views: `all`, `none` (photos and their phone-like variations only), `no-<kind>` (all but one
synthetic kind). Ranked by the AUROC of rice sources left out against negative sources left out; "look-alikes" are
sugarcane and paddy weeds left out, counted at the threshold where every left-out rice source keeps 50 % or 70 % of
its photos (what a farmer's gate lets through once it accepts most rice from a new photographer); each row is a
recipe's best scorer (every scorer is in the JSON):

{_selection(eval_dir / 'selection.json')}

{_views_verdict(eval_dir / 'selection.json')}

{_selection(eval_dir / 'selection-kinds.json', KINDS_CMD)}

{_kinds_verdict(eval_dir / 'selection.json', eval_dir / 'selection-kinds.json', eval_dir / 'selection-seed1.json')}

**Export and quantization.** `torch.onnx.export` (fp32, opset {m['opset']}, dynamic batch, two outputs) →
`quant_pre_process` → weight-only QDQ (`onnx_export.quantize_weight_only_qdq`): frozen backbone weights stored on
exactly their TFLite uint8 grid (lossless), trained weights int8 per output channel, activations float; ORT opens it
with `session.disable_quant_qdq=1` (`manifest.json` `sessionConfig`). On {par['photos']} photos (up to 30 per source):
torch vs ONNX fp32 min cosine {_f(par['torchVsOnnxFp32']['embedding'], 6)} (embedding) /
{_f(par['torchVsOnnxFp32']['features'], 6)} (features); fp32 vs int8 min cosine
{_f(par['fp32VsInt8MinCosine']['embedding'], 6)} / {_f(par['fp32VsInt8MinCosine']['features'], 6)}; largest score change
between the scores the thresholds were placed with and the int8 model's {_f(par['maxScoreDelta'], 5)}; verdicts agree
on {_pct(par['verdictAgreement'])}. Size {q['weightonly']['bytes']:,} bytes (fp32 {q['fp32']['bytes']:,}); native onnxruntime
CPU, batch 1, 1 thread: {q['weightonly']['ortCpu']['medianMs']} ms (fp32 {q['fp32']['ortCpu']['medianMs']} ms) on this shared
machine; the worker measures onnxruntime-web separately (`npm run bench`).

**Pretrained weights.** `tflite_port.load_imagenet_mobilenet_v2` reads Google's ImageNet MobileNetV2 1.0/224 TFLite
file (Apache-2.0, google-coral/test_data), dequantizes, converts NHWC→OIHW, keeps the folded batch norm as identity
BatchNorms and reproduces TensorFlow's asymmetric SAME padding. Checked against LiteRT on 124 photos with
`cd models/training && ../.venv/bin/python -m cropgate_training.imagenet` (top-1 agreement 93.55 %, median logit
correlation 0.9983, min 0.9926; with symmetric padding 54.0 %; measured on 2026-11-29; `tests/test_tflite_port.py`
asserts the bounds).

## Limits

- Three rice sources (one lab set, two field sets, 799 photos), each its own kind of shot, and seven negative sources
  are all there is to learn from and to check with. Left out whole, a rice source is a kind of shot the model never
  saw: the left-out columns are the honest figure for such a photo, and they miss the goals (above).
- Sugarcane, the one other grass here, left out whole scores above nearly every rice photo: an unseen grass is the
  gate's blind spot. Trained on, healthy and painted-diseased sugarcane is refused (held-out column).
- Thresholds and figures pool the scores of {len(rec['folds'])} models; the shipped model trains on every source, so on photos
  like its training sources it scores higher than the left-out columns show.
"""


README_BEGIN = "<!-- model-card:begin (written by the model pipeline: python -m cropgate_training card) -->"
README_END = "<!-- model-card:end -->"
NAMES = {  # how the README names each source
    "rice-leaf": "lab leaves", "rice-field/dnth-roboflow-rice-mix": "leaves held in a hand in the field",
    "rice-field/roboflow-rice-plant-pest": "paddy canopies", "paddy-weeds": "weeds in flooded paddies",
    "sugarcane-field": "healthy sugarcane leaves", "photos": "assorted photos", "coco": "COCO scenes",
    "apple-leaf": "apple leaves", "seedlings": "weed and crop seedlings", "chilli-field": "chilli fields",
}


def readme_block(manifest: Dict, metrics: Dict, reference: Dict) -> str:
    """The README's "model in numbers" section, from the same run as the model card."""
    ps = metrics["perSource"]
    t = reference["threshold"]
    summ = metrics["summary"]
    tr = manifest["training"]

    def row(src: str, r: Dict) -> List[str]:
        w, h = r["wholeSourceOut"], r["heldOut"]
        gw, gh = _goal(src, r["normal"])
        return [f"{NAMES.get(src, src)} (`{src.split('/')[-1]}`, {r['photos']})",
                f"{_pct(w['accepted'])} ({gw}) · {_pct(w['uncertain'])}", f"{_pct(h['accepted'])} ({gh})"]

    head = ["source (photos)", "accepted · uncertain, whole source left out (goal)", "accepted, held-out photos (goal)"]
    rice = [row(s, r) for s, r in ps.items() if r["normal"] and r["trainsShippedModel"]]
    neg = [row(s, r) for s, r in ps.items() if not r["normal"] and r["trainsShippedModel"]]
    never = [f"{s} {_pct(r['neverTrained']['accepted'])}" for s, r in ps.items() if not r["trainsShippedModel"]]
    never += [f"{c} {_pct(u['asNegative']['accepted'])}" for c, u in metrics.get("unseenCrops", {}).items()]
    enrol = [f"{c} AUROC {_f(u['enrolment']['auroc'])} (FPR @ 95 % TPR {_pct(u['enrolment']['fprAt95Tpr'])})"
             for c, u in metrics.get("unseenCrops", {}).items() if u.get("enrolment")]
    return f"""{README_BEGIN}
From the pipeline run that made the shipped model `{manifest['model']['sha256'][:8]}…` (`{PIPELINE_CMD}`,
{tr['timingsSeconds']['total'] / 60:.1f} min on 2 CPU cores with its view cache; every figure per source and how it is
measured: [model card](models/README.md)). Trained only on the sets `../shared/data/README.md` allows. No figure
below comes from a photo its scorer was trained on. The left-hand column is what matters for a farmer whose field,
phone and way of shooting the model never saw: every photo scored by a model trained without its whole source.

{_table(head, rice)}

{_table(head, neg)}

Never trained on (shipped model): {' · '.join(never)}.

Accept threshold **{_f(t['value'])}**, uncertain band from **{_f(t['lower'])}**, both placed on the whole-source-left-out
scores: the accept threshold trades the goals above evenly (worst goal ratio {_f(summ['goalRatioWholeSourceOut'], 2)}; ≤ 1
would meet them all), the band reaches as low as it can while holding at most {int(100 * t['policy']['bandCap'])} % of any
left-out source. AUROC, rice sources left out vs negative sources left out: {_f(summ['aurocWholeSourceOut'])}; held-out
photos: {_f(summ['aurocHeldOut'])}. Enrolling a crop the model never saw (`features` output, 50 photos enrolled):
{'; '.join(enrol) or 'not measured'}.
{README_END}"""


def write_readme_block(readme: Path, block: str) -> None:
    """Replace the README's block between README_BEGIN and README_END (both must be there)."""
    text = readme.read_text()
    a, b = text.find(README_BEGIN), text.find(README_END)
    if a < 0 or b < a:
        raise ValueError(f"{readme}: no '{README_BEGIN}' ... '{README_END}' block to replace")
    readme.write_text(text[:a] + block + text[b + len(README_END):])
