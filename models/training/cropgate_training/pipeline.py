"""import weights -> draw every view (photos, phone-like variations, synthetic kinds of shot) and cache the
backbone up to block 13 -> score every photo with models trained without it (its whole source, then only it) ->
place the accept threshold and the "uncertain" band on the whole-source scores -> train on everything -> export
(two outputs) -> quantize -> check parity -> write artifacts and the model card."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
import onnx
import onnxruntime as ort
import torch

from . import __version__, card, data, evaluation, graph_passes, head as H, loso, maps, onnx_export, scoring, \
    tail as T, vectors, views
from .embedder import TrainedTailEmbedder, TwoOutputEmbedder, backbone_features, centred_head
from .head import fit_whitening
from .preprocess import SIZE, preprocess_file, preprocessing

MODEL_FILE = "cropgate-embedder-int8.onnx"
# Human words for the negative sources, for lookalikes ("it looks more like weeds in a paddy").
LOOKALIKE_LABELS = {
    "paddy-weeds": "weeds in a paddy",
    "seedlings": "weed seedlings",
    "chilli-field": "chilli seedlings and weeds",
    "sugarcane-field": "sugarcane",
    "apple-leaf": "apple leaves",
    "coco": "an everyday scene",
    "photos": "an unrelated photo",
}
UNSEEN_CROPS = ("bok-choy-field", "tomato")


@dataclass
class PipelineConfig:
    data_dir: Path
    weights: Optional[Path]
    out_dir: Path
    work_dir: Path
    size: int = SIZE  # preprocess.SIZE: the input the shipped model and the preprocessing constant share
    recipe: str = "tail"
    scorer: str = "protos-6"  # loso.Fitted.references
    steps: Optional[int] = None  # override the recipe's training steps (smoke runs)
    whiten_dim: int = 256  # the `features` output (head.Whitening)
    limit_per_group: Optional[int] = None
    seed: int = 0
    unseen: bool = True
    parity_per_source: int = 30  # photos per source checked torch vs ONNX vs int8
    write_card: bool = True
    profile: str = "rice"
    display_name: str = "rice"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1) + "\n")


def _r(v: np.ndarray) -> List[float]:
    return [round(float(x), 7) for x in v]


def _sample(items, per_source: int, seed: int) -> List[int]:
    """Up to per_source photo indices of every source (seeded), for parity checks."""
    by: Dict[str, List[int]] = {}
    for n, it in enumerate(items):
        by.setdefault(it.source, []).append(n)
    rng = np.random.default_rng(seed)
    return sorted(i for s in sorted(by) for i in rng.permutation(by[s])[:per_source].tolist())


def photo_hashes(items) -> Dict[str, List[str]]:
    """data.photos of the reference (docs/contracts.md section 3): the first 16 hex digits of the sha256 of every
    photo file that trained the model, by source, so `npm run evaluate` can mark a folder as in-sample."""
    out: Dict[str, List[str]] = {}
    for it in items:
        if it.trainable:
            out.setdefault(it.source, []).append(hashlib.sha256(Path(it.path).read_bytes()).hexdigest()[:16])
    return {s: sorted(v) for s, v in sorted(out.items())}


def rates(scores: Dict[str, np.ndarray], upper: float, lower: float) -> Dict[str, Dict[str, float]]:
    """Per source: the share accepted (score >= upper) and in the uncertain band (lower <= score < upper)."""
    return {s: {"accepted": float((v >= upper).mean()), "uncertain": float(((v >= lower) & (v < upper)).mean()),
                "photos": int(len(v))} for s, v in scores.items()}


def run(cfg: PipelineConfig, log: Callable[[str], None] = print) -> Dict:
    t_all = time.time()
    torch.set_num_threads(2)
    seed, size = cfg.seed, cfg.size
    work, out = Path(cfg.work_dir), Path(cfg.out_dir)
    work.mkdir(parents=True, exist_ok=True)
    timings: Dict[str, float] = {}

    def lap(name: str, t0: float) -> None:
        timings[name] = round(time.time() - t0, 1)
        log(f"[{name}] {timings[name]} s")

    # --- data, views and the cached backbone up to block 13
    t0 = time.time()
    items = data.limit_per_group(data.discover(cfg.data_dir), cfg.limit_per_group, seed)
    trainable = np.array([i.trainable for i in items])
    fixtures = data.fixture_matches(items)
    log(f"data: {len(items)} photos, {int(trainable.sum())} may train; sources {data.sources(items)}")
    feats = backbone_features(cfg.weights, seed)
    plan_views = views.plan(items, seed)
    ms = maps.extract(items, plan_views, feats, size, seed, work / "cache", log)
    lap("views", t0)

    # --- every photo scored by models trained without it
    t0 = time.time()
    recipe = loso.RECIPES[cfg.recipe]
    if cfg.steps is not None:
        recipe = (replace(recipe, tail=replace(recipe.tail, steps=cfg.steps)) if recipe.tail
                  else replace(recipe, head=replace(recipe.head, steps=cfg.steps)) if recipe.head else recipe)
    plan = loso.fold_plan(items, seed)
    sc, fitted = loso.evaluate(recipe, ms, items, plan, feats[maps.SPLIT:], seed, log, final=True,
                               scorers=[cfg.scorer])
    whole, held, final = sc.whole[cfg.scorer], sc.held[cfg.scorer], sc.final[cfg.scorer]
    lap("folds", t0)

    # --- thresholds, on whole sources left out
    t0 = time.time()
    w_nor = loso.split_by_source(whole, items, True)
    w_neg = loso.split_by_source(np.where(trainable, whole, np.nan), items, False)
    h_nor = loso.split_by_source(held, items, True)
    h_neg = loso.split_by_source(np.where(trainable, held, np.nan), items, False)
    placed = loso.place_threshold(w_nor, w_neg, loso.WHOLE_BUDGETS)
    upper = placed["value"]
    lower = loso.place_band(upper, {**w_nor, **w_neg})
    lap("thresholds", t0)

    # --- the shipped model: trained on every photo that may train it (loso.evaluate's final fit)
    t0 = time.time()
    train_rows = loso.usable_rows(ms, plan.out(-1, trainable))
    # The `features` output is whitened on the photos as shot (clean views): it must describe real photos, and the
    # synthetic composites (a third of the views) would skew its covariance. Enrolment of unseen crops, bok choy /
    # tomato AUROC: clean views 0.9948 / 0.9977, every view 0.9937 / 0.9972 (the run of 2026-12-04).
    clean_train = train_rows[ms.kind[train_rows] == "clean"]
    whitening = fit_whitening(fitted.pooled_rows(clean_train), cfg.whiten_dim)
    mu, refs = fitted.references(cfg.scorer)
    _, cen = fitted.references(("c-" if cfg.scorer.startswith("c-") else "") + "centroid")
    if recipe.model == "tail":
        model = TrainedTailEmbedder(feats, maps.SPLIT, centred_head(fitted.model, mu), whitening.mean,
                                    whitening.proj).eval()
    elif recipe.model in ("linear", "mlp"):
        model = TwoOutputEmbedder(feats, centred_head(fitted.model, mu), whitening.mean, whitening.proj).eval()
    else:
        raise ValueError(f"{recipe.name}: the shipped model needs a trained head")
    torch.save(model.state_dict(), work / "embedder.pt")
    lap("train", t0)

    # --- export + weight-only quantization (the frozen backbone's weights lie on their TFLite uint8 grid)
    t0 = time.time()
    fp32 = onnx_export.export_fp32(model, work / "cropgate-embedder-fp32.onnx", size, TwoOutputEmbedder.OUTPUTS)
    pre = onnx_export.prepare(fp32, work / "cropgate-embedder-fp32-pre.onnx")
    log(f"  {graph_passes.fold_pads_file(pre, pre)} Pad nodes (TF SAME padding) folded into their convolutions")
    int8 = onnx_export.quantize_weight_only_qdq(pre, work / "cropgate-embedder-int8-weightonly.onnx")
    session_config = onnx_export.SESSION_CONFIG["weightonly"]
    s32 = onnx_export.session(fp32, 2)
    s8 = onnx_export.session(int8, 2, session_config)
    lap("export+quantize", t0)

    # --- parity: torch vs ONNX fp32 vs int8, on real photos of every source
    t0 = time.time()
    pick = _sample(items, cfg.parity_per_source, seed)
    x = np.stack([preprocess_file(items[i].path, size) for i in pick]).astype(np.float32)
    with torch.no_grad():
        t_emb, t_feat = (v.numpy() for v in model(torch.from_numpy(x)))
    o32, o8 = onnx_export.run_all(s32, x), onnx_export.run_all(s8, x)
    cos8 = {k: onnx_export.cosine_rows(o32[k], o8[k]) for k in TwoOutputEmbedder.OUTPUTS}
    clean = ms.clean_rows(len(items))
    s_cache = final[pick]  # the fp32 model on cached block-13 maps: what the thresholds were placed with
    s_i8 = (scoring.l2n(o8["embedding"]) @ refs.T).max(axis=1)
    verdict = lambda s: np.where(s >= upper, 2, np.where(s >= lower, 1, 0))  # noqa: E731
    parity = {
        "photos": len(pick),
        "torchVsOnnxFp32": {"embedding": float(onnx_export.cosine_rows(t_emb, o32["embedding"]).min()),
                            "features": float(onnx_export.cosine_rows(t_feat, o32["features"]).min())},
        "cacheVsOnnxFp32Features": float(onnx_export.cosine_rows(
            whitening.apply(fitted.pooled_rows(clean[pick])), o32["features"]).min()),
        "fp32VsInt8MinCosine": {k: float(v.min()) for k, v in cos8.items()},
        "fp32VsInt8MeanCosine": {k: float(v.mean()) for k, v in cos8.items()},
        "maxScoreDelta": float(np.abs(s_cache - s_i8).max()),
        "verdictAgreement": float((verdict(s_cache) == verdict(s_i8)).mean()),
    }
    quant = {"fp32": {"bytes": fp32.stat().st_size, "ortCpu": onnx_export.time_ms(fp32, x[:1], threads=1)},
             "weightonly": {"bytes": int8.stat().st_size, "ops": onnx_export.op_counts(int8),
                            "ortCpu": onnx_export.time_ms(int8, x[:1], threads=1, config=session_config)}}
    log(f"parity: {json.dumps(parity)}")
    lap("parity", t0)

    # --- lookalikes: one centroid per negative source, in the shipped embedding space (centred like it)
    t0 = time.time()
    emb_all = fitted.embed_rows(clean) - mu
    lookalikes = []
    for src in data.sources(items, normal=False):
        m = np.array([it.source == src and it.trainable for it in items])
        if m.any() and src in LOOKALIKE_LABELS:
            lookalikes.append({"label": LOOKALIKE_LABELS[src], "source": src,
                               "vector": _r(scoring.centroid(emb_all[m]))})
    lap("reference", t0)

    # --- per-source report
    t0 = time.time()
    per_source = {}
    for src in data.sources(items):
        m = np.array([i.source == src for i in items])
        is_normal = bool(items[int(np.nonzero(m)[0][0])].normal)
        row = {"normal": is_normal, "photos": int(m.sum()), "trainsShippedModel": bool(trainable[m][0])}
        if trainable[m][0]:
            row["wholeSourceOut"] = rates({src: whole[m]}, upper, lower)[src]
            row["heldOut"] = rates({src: held[m]}, upper, lower)[src]
            rest = w_neg if is_normal else w_nor
            pooled = np.concatenate(list(rest.values()))
            row["aurocWholeSourceOut"] = (scoring.roc_metrics(whole[m], pooled) if is_normal
                                          else scoring.roc_metrics(pooled, whole[m]))["auroc"]
        else:
            row["neverTrained"] = rates({src: final[m]}, upper, lower)[src]
        per_source[src] = row
    cat = lambda d: np.concatenate(list(d.values()))  # noqa: E731
    summary = {
        "aurocWholeSourceOut": scoring.roc_metrics(cat(w_nor), cat(w_neg))["auroc"],
        "aurocHeldOut": scoring.roc_metrics(cat(h_nor), cat(h_neg))["auroc"],
        "fprAt95TprHeldOut": scoring.roc_metrics(cat(h_nor), cat(h_neg))["fprAt95Tpr"],
        "goalRatioWholeSourceOut": loso.goal_ratio(upper, w_nor, w_neg, loso.WHOLE_BUDGETS),
        "goalRatioHeldOut": loso.goal_ratio(upper, h_nor, h_neg, loso.HELD_BUDGETS),
    }
    unseen: Dict[str, Dict] = {}
    if cfg.unseen:
        frozen_wh = fit_whitening(ms.pooled[clean_train], cfg.whiten_dim)
        for crop in UNSEEN_CROPS:
            u_items = data.discover_unseen(cfg.data_dir, crop)
            if not u_items:
                continue
            u_ms = maps.extract(u_items, [views.View(i, "clean") for i in range(len(u_items))], feats, size, seed,
                                work / "cache", log)
            u_rows = u_ms.clean_rows(len(u_items))
            if recipe.model == "tail":
                e = T.embed(fitted.model, u_ms.maps[u_rows])
                p = T.embed(fitted.model, u_ms.maps[u_rows], pooled=True)
            else:
                p = u_ms.pooled[u_rows]
                e = H.apply(fitted.model, p)
            s_u = (scoring.l2n(e - mu) @ refs.T).max(axis=1)
            unseen[crop] = {"asNegative": rates({crop: s_u}, upper, lower)[crop],
                            "enrolment": enrolment(whitening.apply(p), whitening.apply(fitted.pooled_rows(clean))),
                            # For comparison: the frozen ImageNet blocks' vector, whitened the same way (not shipped).
                            "enrolmentFrozen": enrolment(frozen_wh.apply(u_ms.pooled[u_rows]),
                                                         frozen_wh.apply(ms.pooled[clean]))}
    lap("report", t0)

    # --- artifacts
    t0 = time.time()
    out.mkdir(parents=True, exist_ok=True)
    model_path = out / MODEL_FILE
    shutil.copyfile(int8, model_path)
    sha = onnx_export.sha256_file(model_path)
    fp32_sha = onnx_export.sha256_file(fp32)
    created = _now()
    model_id = f"cropgate-mnv2-{recipe.name}-{size}-v3"
    dim = int(o32["embedding"].shape[1])
    counts = {s: sum(1 for i in items if i.source == s) for s in data.sources(items)}
    view_counts: Dict[str, Dict[str, int]] = {}
    for r in train_rows:
        v = ms.views[r]
        view_counts.setdefault(items[v.photo].source, {}).setdefault(v.kind, 0)
        view_counts[items[v.photo].source][v.kind] += 1
    training_sets = [{"source": s, "photos": counts[s], "licence": data.LICENCES.get(s, "see ../shared/data/README.md"),
                      "normal": any(i.normal for i in items if i.source == s),
                      "views": dict(sorted(view_counts.get(s, {}).items()))}
                     for s in data.sources(items) if any(i.trainable for i in items if i.source == s)]
    prototype_scoring = "protos" in cfg.scorer
    budgets = {s: loso.budget(loso.WHOLE_BUDGETS, s) for s in w_neg}
    reference = {
        "schema": "cropgate.reference/v1", "profile": cfg.profile, "displayName": cfg.display_name,
        "createdAt": created, "createdBy": f"cropgate-training {__version__}",
        "model": {"id": model_id, "sha256": sha, "dimension": dim},
        "centroid": _r(cen[0]),
        "prototypes": [_r(p) for p in refs] if prototype_scoring else [],
        "threshold": {"value": upper, "lower": lower,
                      "score": "prototype-max-cosine" if prototype_scoring else "centroid-cosine",
                      "policy": {"kind": "balanced-goals-unseen-source",
                                 "normalMissBudget": loso.WHOLE_BUDGETS["normal"], "negativeBudget": budgets,
                                 "bandCap": loso.BAND_CAP, "worstGoalRatio": placed["worstGoalRatio"],
                                 "interval": placed["interval"]}},
        "calibration": {
            "method": ("whole sources left out: every photo scored by a model trained without its source (rice "
                       "leave-one-source-out, negatives leave-one-group-out, one fold per source, synthetic views "
                       "drawn from a left-out photo left out too). Accept threshold = the value with the smallest "
                       "worst goal ratio of (refused rice photos of a left-out source / 15 %, accepted photos of a "
                       "left-out negative source / its budget: paddy weeds 5 %, sugarcane 20 %, any other 2 %; at "
                       "least one photo each); uncertain band = as low as it goes while no left-out source has more "
                       "than 10 % of its photos in it. heldOut: the same photos scored by models trained on the rest "
                       "of their source"),
            "normal": scoring.stats(cat(w_nor), upper),
            "negatives": {s: scoring.stats(v, upper) for s, v in w_neg.items()},
            "metrics": {"auroc": summary["aurocWholeSourceOut"], "aurocHeldOut": summary["aurocHeldOut"],
                        "fprAt95Tpr": scoring.roc_metrics(cat(w_nor), cat(w_neg))["fprAt95Tpr"]},
            "expectedAcceptRate": {s: float((v >= upper).mean()) for s, v in w_nor.items()},
            "falseAcceptRate": {s: float((v >= upper).mean()) for s, v in w_neg.items()},
            "bySource": per_source,
        },
        "lookalikes": [{"label": lk["label"], "vector": lk["vector"]} for lk in lookalikes],
        "data": {"normal": list(w_nor), "negatives": list(w_neg),
                 "lookalikeSources": {lk["label"]: lk["source"] for lk in lookalikes},
                 "photos": {"hash": "sha256-16", "sources": photo_hashes(items)}},
    }
    s1_32, s1_8 = onnx_export.session(fp32, 1), onnx_export.session(model_path, 1, session_config)
    tv = vectors.build(sha, fp32_sha, vectors.image_vectors(
        vectors.fixture_files(), lambda v: onnx_export.run(s1_32, v), lambda v: onnx_export.run(s1_8, v),
        np.array(reference["prototypes"] if prototype_scoring else [reference["centroid"]]), upper, lower,
        size=size), size=size)
    metrics = {
        "recipe": {"name": recipe.name, "model": recipe.model, "scorer": cfg.scorer, "size": size,
                   "tail": recipe.tail.as_dict() if recipe.tail else None,
                   "head": recipe.head.as_dict() if recipe.head else None,
                   "folds": [list(f) for f in plan.folds], "views": views.PLAN},
        "threshold": {**placed, "lower": lower},
        "summary": summary,
        "perSource": per_source,
        "unseenCrops": unseen,
        "parity": parity,
        "quantization": quant,
        "trainingSets": training_sets,
        "foldSeconds": sc.seconds,
    }
    outputs = [{"name": "embedding", "shape": ["batch", dim], "dtype": "float32", "normalized": False,
                "description": ("MobileNetV2 blocks 14-18 trained (on the frozen ImageNet blocks up to 13), pooled, and "
                                "an ArcFace head, centred" if recipe.model == "tail"
                                else "ArcFace head on the pooled frozen backbone, centred")},
               {"name": "features", "shape": ["batch", whitening.proj.shape[1]], "dtype": "float32",
                "normalized": False,
                "description": "the pooled vector the head reads, centred and PCA-whitened (unsupervised); "
                               "enrolment of new crops"}]
    manifest = {
        "schema": "cropgate.manifest/v1",
        "model": {"id": model_id, "file": MODEL_FILE, "sha256": sha, "bytes": model_path.stat().st_size,
                  "opset": onnx_export.OPSET,
                  "input": {"name": onnx_export.INPUT, "shape": ["batch", 3, size, size], "dtype": "float32"},
                  "output": {k: v for k, v in outputs[0].items() if k != "description"},
                  "outputs": outputs,
                  "quantization": {"method": "weight-only QDQ 8-bit: frozen backbone weights on their TFLite uint8 "
                                             "grid (lossless), trained weights int8 per output channel; float "
                                             "activations",
                                   "tool": f"cropgate_training.onnx_export.quantize_weight_only_qdq (onnx {onnx.__version__})",
                                   "calibrationImages": 0, "calibration": None},
                  "fp32Sha256": fp32_sha,
                  "sessionConfig": session_config},
        "preprocessing": preprocessing(size),
        "training": {"tool": f"cropgate-training {__version__}", "createdAt": created,
                     "init": "ImageNet MobileNetV2 1.0/224 (google-coral/test_data, Apache-2.0)" if cfg.weights
                     else "random", "loss": "pytorch-metric-learning ArcFaceLoss",
                     "recipe": metrics["recipe"],
                     "data": {"sets": training_sets,
                              "classes": sorted({data.class_name(i) for i in items if i.trainable}),
                              "measurementOnly": sorted({i.source for i in items if not i.trainable}),
                              "excluded": list(data.EXCLUDED), "seed": seed,
                              "fixtures": {Path(k).name: v for k, v in sorted(fixtures.items())}},
                     "timingsSeconds": timings,
                     "environment": {"torch": torch.__version__, "onnxruntime": ort.__version__,
                                     "python": platform.python_version(), "threads": torch.get_num_threads()}},
        "metrics": {"split": "one fold per source: the source left out whole, and a part of every other source",
                    "threshold": upper, "lowerThreshold": lower, **summary, "perSource": per_source,
                    "parity": parity},
    }
    _json(out / "references" / f"{cfg.profile}.json", reference)
    _json(out / "test-vectors.json", tv)
    evaluation.source_histogram_png(out / "eval" / "histogram-held-out.png", h_nor, h_neg, upper, lower,
                                    f"{model_id}: held-out photos (their source known to the model)")
    evaluation.source_histogram_png(out / "eval" / "histogram-left-out.png", w_nor, w_neg, upper, lower,
                                    f"{model_id}: whole sources left out (rice LOSO, negatives LOGO)")
    lap("artifacts", t0)
    timings["total"] = round(time.time() - t_all, 1)
    manifest["training"]["timingsSeconds"] = timings
    _json(out / "manifest.json", manifest)
    _json(out / "eval" / "metrics.json", metrics)
    if cfg.write_card:
        (out / "README.md").write_text(card.render(manifest, metrics, reference, out / "eval"))
        if out.resolve() == (data.REPO / "models").resolve():  # the shipped artifacts: the README says the same
            card.write_readme_block(data.REPO / "README.md", card.readme_block(manifest, metrics, reference))
    log(f"done in {timings['total']} s: threshold {upper:.4f}, band from {lower:.4f}, worst goal ratio "
        f"{placed['worstGoalRatio']:.2f}, AUROC whole sources out {summary['aurocWholeSourceOut']:.4f}")
    return {"manifest": manifest, "metrics": metrics, "reference": reference}


def enrolment(e_unseen: np.ndarray, e_all: np.ndarray, n_enrol: int = 50) -> Optional[Dict]:
    """Enrol an unseen crop from its first n_enrol photos (name order) by centroid of the `features` output, score
    the rest against every rice and negative photo (the CLI's `enroll` + `evaluate` protocol)."""
    if len(e_unseen) <= n_enrol:
        return None
    c = scoring.centroid(e_unseen[:n_enrol])
    m = scoring.roc_metrics(scoring.l2n(e_unseen[n_enrol:]) @ c, scoring.l2n(e_all) @ c)
    m.update({"enrolled": n_enrol, "evaluated": len(e_unseen) - n_enrol})
    return m
