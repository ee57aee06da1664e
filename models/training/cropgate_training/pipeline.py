"""import weights -> cache features -> leave-one-source-out scores -> place the threshold -> train the head
on everything -> export (two outputs) -> quantize -> check parity -> write artifacts and the model card."""
from __future__ import annotations

import datetime as dt
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

from . import __version__, card, data, evaluation, features, graph_passes, head as H, loso, onnx_export, scoring, vectors
from .embedder import TwoOutputEmbedder, imagenet_features
from .preprocess import SIZE, preprocess_file, preprocessing
from .select_recipe import unseen_enrolment, unseen_features

MODEL_FILE = "cropgate-embedder-int8.onnx"
# Human words for the negative sources, for lookalikes ("This looks more like weeds than a rice plant.").
LOOKALIKE_LABELS = {
    "paddy-weeds": "weeds in a paddy",
    "seedlings": "weed seedlings",
    "chilli-field": "chilli seedlings and weeds",
    "sugarcane-field": "sugarcane",
    "apple-leaf": "apple leaves",
    "coco": "an everyday scene",
    "photos": "an unrelated photo",
}


@dataclass
class PipelineConfig:
    data_dir: Path
    weights: Optional[Path]
    out_dir: Path
    work_dir: Path
    size: int = SIZE  # preprocess.SIZE: the input the shipped model and the preprocessing constant share
    recipe: str = "head-centroid"
    head: H.HeadConfig = field(default_factory=H.HeadConfig)
    views_target: int = 1000  # augmented views per source (features.views_per_photo)
    views_most: int = 6
    whiten_dim: int = 256  # the `features` output (head.Whitening)
    limit_per_group: Optional[int] = None
    prototypes: int = 5
    seed: int = 0
    unseen: bool = True
    parity_per_source: int = 30  # photos per source checked torch vs ONNX vs int8
    write_card: bool = True
    profile: str = "rice"
    display_name: str = "rice plant"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1) + "\n")


def _r(v: np.ndarray) -> List[float]:
    return [round(float(x), 7) for x in v]


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _sample(items, per_source: int, seed: int) -> List[int]:
    """Up to per_source photo indices of every source (seeded), for parity checks."""
    by: Dict[str, List[int]] = {}
    for n, it in enumerate(items):
        by.setdefault(it.source, []).append(n)
    rng = np.random.default_rng(seed)
    return sorted(i for s in sorted(by) for i in rng.permutation(by[s])[:per_source].tolist())


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

    # --- data and cached backbone features
    t0 = time.time()
    items = data.limit_per_group(data.discover(cfg.data_dir), cfg.limit_per_group, seed)
    trainable = np.array([i.trainable for i in items])
    normal = np.array([i.normal for i in items])
    fixtures = data.fixture_matches(items)
    log(f"data: {len(items)} photos, {int(trainable.sum())} may train; sources {data.sources(items)}")
    net = features.backbone(cfg.weights, seed)
    runner = features.onnx_runner(net, size, work / f"backbone-{size}.onnx")
    views = features.views_per_photo(items, cfg.views_target, cfg.views_most)
    fs = features.extract({size: runner}, items, views, seed, work / "cache", log)[size]
    lap("features", t0)

    # --- out-of-source scores of the chosen recipe
    t0 = time.time()
    recipe = replace(loso.RECIPES[cfg.recipe], head=cfg.head if loso.RECIPES[cfg.recipe].head else None)
    if recipe.scorer == "knn":  # the worker scores the cosine to one reference vector (contract §3)
        raise ValueError(f"{recipe.name}: a shipped recipe must score by the cosine to one vector")
    sc = loso.evaluate(recipe, fs, items, seed, kfold=True, log=log)
    lap("leave-one-source-out", t0)

    # --- threshold: held-out photos (5 folds inside every source), rice and negatives together
    t0 = time.time()
    nor = loso.split_by_source(sc.kfold, items, True)
    neg = loso.split_by_source(np.where(trainable, sc.kfold, np.nan), items, False)
    lg_neg = loso.split_by_source(np.where(trainable, sc.loso, np.nan), items, False)
    summary = loso.summarise(sc, items)  # places the threshold on exactly nor and neg (loso.summarise)
    placed = summary["threshold"]
    th = placed["value"]
    lap("calibrate", t0)

    # --- the shipped head: trained on every photo that may train it
    t0 = time.time()
    train_rows = np.nonzero(trainable[fs.item])[0]
    head_recipe = recipe if recipe.head else replace(loso.RECIPES["head-centroid"], head=cfg.head)
    fitted_head = loso.fit(head_recipe, fs, items, train_rows)
    fitted = fitted_head if recipe.output == "embedding" else loso.fit(recipe, fs, items, train_rows)
    whitening = H.fit_whitening(fs.x[train_rows], cfg.whiten_dim)
    model = TwoOutputEmbedder(imagenet_features(cfg.weights) if cfg.weights else net.features, fitted_head.fc,
                              whitening.mean, whitening.proj).eval()
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
    ref_out = recipe.output
    cos8 = {k: onnx_export.cosine_rows(o32[k], o8[k]) for k in TwoOutputEmbedder.OUTPUTS}
    parity = {
        "photos": len(pick),
        "torchVsOnnxFp32": {"embedding": float(onnx_export.cosine_rows(t_emb, o32["embedding"]).min()),
                            "features": float(onnx_export.cosine_rows(t_feat, o32["features"]).min())},
        "cacheVsOnnxFp32Features": float(onnx_export.cosine_rows(
            whitening.apply(fs.x[fs.clean_rows()[pick]]), o32["features"]).min()),
        "fp32VsInt8MinCosine": {k: float(v.min()) for k, v in cos8.items()},
        "fp32VsInt8MeanCosine": {k: float(v.mean()) for k, v in cos8.items()},
    }
    s_fp = scoring.l2n(fitted.embed(fs.x[fs.clean_rows()[pick]])) @ fitted.reference
    s_i8 = scoring.l2n(o8[ref_out]) @ fitted.reference
    parity["maxScoreDelta"] = float(np.abs(s_fp - s_i8).max())
    parity["verdictAgreement"] = float(((s_fp >= th) == (s_i8 >= th)).mean())
    quant = {"fp32": {"bytes": fp32.stat().st_size, "ortCpu": onnx_export.time_ms(fp32, x[:1], threads=1)},
             "weightonly": {"bytes": int8.stat().st_size, "ops": onnx_export.op_counts(int8),
                            "ortCpu": onnx_export.time_ms(int8, x[:1], threads=1, config=session_config)}}
    log(f"parity: {json.dumps(parity)}")
    lap("parity", t0)

    # --- reference vectors (the int8 model's own embeddings of every rice photo that may train)
    t0 = time.time()
    rice_idx = [n for n, it in enumerate(items) if it.normal and it.trainable]
    xr = np.stack([preprocess_file(items[i].path, size) for i in rice_idx]).astype(np.float32)
    e_rice = onnx_export.run_all(s8, xr)[ref_out]
    del xr
    if recipe.scorer == "logreg":
        cen = fitted.reference  # the logistic direction: score = cosine to it (a monotone map of the probe)
    else:
        cen = scoring.centroid(e_rice)
    protos = scoring.prototypes(e_rice, cfg.prototypes, seed)
    emb_all = fitted.embed(fs.x[fs.clean_rows()])  # fp32 head on cached features: lookalike centroids
    lookalikes = []
    for src in data.sources(items, normal=False):
        m = np.array([it.source == src and it.trainable for it in items])
        if m.any() and src in LOOKALIKE_LABELS:
            lookalikes.append({"label": LOOKALIKE_LABELS[src], "source": src,
                               "vector": _r(scoring.centroid(emb_all[m]))})
    lap("reference", t0)

    # --- per-source report
    t0 = time.time()
    full = sc.full
    measure_only = {s: float((full[np.array([i.source == s for i in items])] >= th).mean())
                    for s in data.sources(items, normal=False) if s in data.MEASUREMENT_ONLY}
    per_source = {}
    for src in data.sources(items):
        m = np.array([i.source == src for i in items])
        is_normal = bool(normal[m][0])
        row = {"normal": is_normal, "photos": int(m.sum()), "trainsShippedModel": bool(trainable[m][0])}
        if trainable[m][0]:
            row["outOfSourceAccept"] = float((sc.loso[m] >= th).mean())
            row["inSourceAccept"] = float((sc.kfold[m] >= th).mean())
            if is_normal:
                row["inSourceAcceptNested"] = summary["normalAcceptNested"][src]
                row["auroc"] = summary["aurocBySource"][src]
                row["aurocOutOfSource"] = summary["aurocBySourceOutOfSource"][src]
            else:
                row["auroc"] = summary["aurocByNegative"][src]
                row["aurocOutOfGroup"] = summary["aurocByNegativeOutOfGroup"][src]
        else:
            row["neverTrainedAccept"] = measure_only.get(src)
        per_source[src] = row
    unseen_as_negative = {}
    unseen_enrol = {}
    if cfg.unseen:
        emb_fn = {"embedding": fitted_head.embed, "features": whitening.apply,
                  "pooled (raw ImageNet, for comparison)": lambda v: v}
        for crop in ("bok-choy-field", "tomato"):
            xu = unseen_features(cfg.data_dir, runner, size, crop)
            if not len(xu):
                continue
            unseen_as_negative[crop] = {"photos": len(xu), "accept": float((fitted.score(xu) >= th).mean())}
            unseen_enrol[crop] = {o: unseen_enrolment(xu, fs, f) for o, f in emb_fn.items()}
    lap("report", t0)

    # --- artifacts
    t0 = time.time()
    out.mkdir(parents=True, exist_ok=True)
    model_path = out / MODEL_FILE
    shutil.copyfile(int8, model_path)
    sha = onnx_export.sha256_file(model_path)
    fp32_sha = onnx_export.sha256_file(fp32)
    created = _now()
    model_id = f"cropgate-mnv2-arcface-{size}-v2"
    dims = {"embedding": cfg.head.dim, "features": whitening.proj.shape[1]}
    counts = {s: sum(1 for i in items if i.source == s) for s in data.sources(items)}
    training_sets = [{"source": s, "photos": counts[s], "licence": data.LICENCES.get(s, "see ../shared/data/README.md"),
                      "normal": any(i.normal for i in items if i.source == s),
                      "augmentedViews": int(sum(v for v, i in zip(views, items) if i.source == s))}
                     for s in data.sources(items) if any(i.trainable for i in items if i.source == s)]
    nor_all = np.concatenate(list(nor.values()))
    lo_nor = loso.split_by_source(sc.loso, items, True)
    reference = {
        "schema": "cropgate.reference/v1", "profile": cfg.profile, "displayName": cfg.display_name,
        "createdAt": created, "createdBy": f"cropgate-training {__version__}",
        "model": {"id": model_id, "sha256": sha, "dimension": dims[ref_out],
                  **({} if ref_out == "embedding" else {"output": ref_out})},
        "centroid": _r(cen),
        "prototypes": [_r(p) for p in protos],
        "threshold": {"value": th, "score": "centroid-cosine",
                      "policy": {"kind": "balanced-goals", "normalMissBudget": loso.NORMAL_MISS_BUDGET,
                                 "negativeBudget": {s: loso.negative_budget(s) for s in neg},
                                 "worstGoalRatio": placed["worstGoalRatio"], "interval": placed["interval"]}},
        "calibration": {
            "method": ("held-out scores only: every photo scored by a head trained without it (5 folds inside "
                       "every source); threshold = the value with the smallest worst goal ratio, max(refused "
                       "rice photos of a source / 5 % of it, accepted paddy-weeds / 3 % of them, accepted photos "
                       "of any other negative source / 1 % of it; at least one photo each), every source counted "
                       "alike. Whole sources never seen are in bySource.outOfSourceAccept as the worst case: rice "
                       "sources left out (leave-one-source-out), negative sources left out (leave-one-group-out)"),
            "normal": scoring.stats(nor_all, th),
            "negatives": {s: scoring.stats(v, th) for s, v in neg.items()},
            "metrics": {"auroc": summary["auroc"], "fprAt95Tpr": summary["fprAt95Tpr"],
                        "aurocOutOfSource": summary["aurocOutOfSource"]},
            "expectedAcceptRate": {s: float((v >= th).mean()) for s, v in nor.items()},
            "falseAcceptRate": {s: float((v >= th).mean()) for s, v in neg.items()},
            "falseAcceptRateUnseenSource": {s: float((v >= th).mean()) for s, v in lg_neg.items()},
            "bySource": per_source,
        },
        "lookalikes": [{"label": lk["label"], "vector": lk["vector"]} for lk in lookalikes],
        "data": {"normal": [s for s in nor], "negatives": [s for s in neg],
                 "lookalikeSources": {lk["label"]: lk["source"] for lk in lookalikes}},
    }
    cen_r = np.array(reference["centroid"], dtype=np.float64)
    s1_32, s1_8 = onnx_export.session(fp32, 1), onnx_export.session(model_path, 1, session_config)
    tv = vectors.build(sha, fp32_sha, vectors.image_vectors(
        vectors.fixture_files(), lambda v: onnx_export.run(s1_32, v), lambda v: onnx_export.run(s1_8, v),
        cen_r / np.linalg.norm(cen_r), th, size=size,
        score_int8=(lambda v: onnx_export.run(s1_8, v, output=ref_out)) if ref_out != "embedding" else None),
        size=size, output=ref_out)
    metrics = {
        "recipe": {"name": recipe.name, "output": recipe.output, "scorer": recipe.scorer, "size": size,
                   "head": cfg.head.as_dict()},
        "threshold": placed,
        "summary": summary,
        "perSource": per_source,
        "unseenCropsAsNegatives": unseen_as_negative,
        "unseenEnrolment": unseen_enrol,
        "parity": parity,
        "quantization": quant,
        "trainingSets": training_sets,
        "foldSeconds": sc.folds,
    }
    outputs = [{"name": "embedding", "shape": ["batch", cfg.head.dim], "dtype": "float32", "normalized": False,
                "description": "ArcFace head (Linear 1280 -> %d) on the pooled backbone" % cfg.head.dim},
               {"name": "features", "shape": ["batch", whitening.proj.shape[1]], "dtype": "float32",
                "normalized": False,
                "description": "pooled ImageNet MobileNetV2 features (frozen backbone), centred and PCA-whitened "
                               "(unsupervised); enrolment of new crops"}]
    manifest = {
        "schema": "cropgate.manifest/v1",
        "model": {"id": model_id, "file": MODEL_FILE, "sha256": sha, "bytes": model_path.stat().st_size,
                  "opset": onnx_export.OPSET,
                  "input": {"name": onnx_export.INPUT, "shape": ["batch", 3, size, size], "dtype": "float32"},
                  "output": {k: v for k, v in outputs[0].items() if k != "description"},
                  "outputs": outputs,
                  "quantization": {"method": "weight-only QDQ 8-bit: backbone weights on their TFLite uint8 grid "
                                             "(lossless), head int8 per output channel; float activations",
                                   "tool": f"cropgate_training.onnx_export.quantize_weight_only_qdq (onnx {onnx.__version__})",
                                   "calibrationImages": 0, "calibration": None},
                  "fp32Sha256": fp32_sha,
                  "sessionConfig": session_config},
        "preprocessing": preprocessing(size),
        "training": {"tool": f"cropgate-training {__version__}", "createdAt": created,
                     "init": "ImageNet MobileNetV2 1.0/224 (google-coral/test_data, Apache-2.0), frozen" if cfg.weights
                     else "random", "loss": "pytorch-metric-learning ArcFaceLoss (head only)",
                     "recipe": metrics["recipe"],
                     "data": {"sets": training_sets,
                              "classes": sorted({data.class_name(i) for i in items if i.trainable}),
                              "measurementOnly": sorted({i.source for i in items if not i.trainable}),
                              "excluded": list(data.EXCLUDED), "seed": seed,
                              "fixtures": {Path(k).name: v for k, v in sorted(fixtures.items())}},
                     "timingsSeconds": timings,
                     "environment": {"torch": torch.__version__, "onnxruntime": ort.__version__,
                                     "python": platform.python_version(), "threads": torch.get_num_threads()}},
        "metrics": {"split": "5-fold within rice sources; leave-one-group-out negatives; leave-one-source-out rice",
                    "threshold": th, "auroc": summary["auroc"], "aurocOutOfSource": summary["aurocOutOfSource"],
                    "fprAt95Tpr": summary["fprAt95Tpr"], "perSource": per_source, "parity": parity},
    }
    _json(out / "references" / f"{cfg.profile}.json", reference)
    _json(out / "test-vectors.json", tv)
    evaluation.source_histogram_png(out / "eval" / "histogram.png", nor, neg, th,
                                    f"{model_id}: held-out photos (5 folds inside every source)")
    evaluation.source_histogram_png(out / "eval" / "histogram-left-out.png", lo_nor, lg_neg, th,
                                    f"{model_id}: whole sources left out (rice LOSO, negatives LOGO): worst case")
    lap("artifacts", t0)
    timings["total"] = round(time.time() - t_all, 1)
    manifest["training"]["timingsSeconds"] = timings
    _json(out / "manifest.json", manifest)
    _json(out / "eval" / "metrics.json", metrics)
    if cfg.write_card:
        (out / "README.md").write_text(card.render(manifest, metrics, reference, out / "eval"))
    log(f"done in {timings['total']} s: threshold {th:.4f}, worst goal ratio {placed['worstGoalRatio']:.2f}, "
        f"AUROC {summary['auroc']:.4f}")
    return {"manifest": manifest, "metrics": metrics, "reference": reference}
