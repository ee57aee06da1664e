"""import weights -> train -> calibrate -> export -> quantize -> evaluate -> write artifacts."""
from __future__ import annotations

import datetime as dt
import json
import platform
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

import numpy as np
import onnx
import onnxruntime as ort
import torch

from . import __version__, card, data, evaluation, onnx_export, scoring, vectors
from .embedder import DIM, build
from .preprocess import PREPROCESSING, SIZE, preprocess_file
from .train import TrainConfig, embed, seed_everything, train

MODEL_ID = "cropgate-mnv2-arcface-128"
MODEL_FILE = "cropgate-embedder-int8.onnx"


@dataclass
class PipelineConfig:
    data_dir: Path
    weights: Optional[Path]
    out_dir: Path
    work_dir: Path
    train: TrainConfig = field(default_factory=TrainConfig)
    baseline_epochs: int = 3
    limit_per_group: Optional[int] = None
    prototypes: int = 5
    policy_target: float = 0.95
    calibration_per_source: int = 32  # static quantization ranges: every kind of photo, not mostly apple
    ship: str = "auto"  # "dynamic", "static", "weightonly" or "auto"
    unseen_crop: bool = True
    write_card: bool = True
    checkpoint: Optional[Path] = None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1) + "\n")


def _tensors(paths: List[str], size: int = SIZE) -> np.ndarray:
    return np.stack([preprocess_file(p, size) for p in paths]).astype(np.float32)


def calibration_paths(items, per_source: int, seed: int) -> List[str]:
    """Up to per_source training images of each source (seeded)."""
    by: Dict[str, List[str]] = {}
    for it in items:
        by.setdefault(it.source, []).append(it.path)
    rng = np.random.default_rng(seed)
    out: List[str] = []
    for src in sorted(by):
        paths = sorted(by[src])
        out += [paths[i] for i in sorted(rng.choice(len(paths), min(per_source, len(paths)), replace=False))]
    return out


def imagenet_baseline(weights: Optional[Path], seed: int) -> torch.nn.Module:
    """(b) ImageNet features, no fine-tuning: the 1280-d pooled features."""
    m = build(weights, seed)
    return torch.nn.Sequential(m.features, m.pool, m.flatten).eval()


def reference_recipe_baseline(tr_paths, tr_items, cfg: PipelineConfig, log) -> torch.nn.Module:
    """(a) The reference recipe: random init, two classes (rice / not rice), pml's default ArcFace margin
    and scale, whole network trained with BN in training mode."""
    model = build(None, cfg.train.seed)
    bcfg = TrainConfig(epochs=cfg.baseline_epochs, batch_size=cfg.train.batch_size, lr=cfg.train.lr,
                       loss_lr=cfg.train.loss_lr, margin_deg=28.6, scale=64.0, freeze_blocks=0, bn_eval=False,
                       class_balance=1.0, seed=cfg.train.seed)
    train(model, tr_paths, [0 if it.normal else 1 for it in tr_items], bcfg, log)
    return model


def unseen_crop_check(data_dir: Path, run_emb: Callable[[np.ndarray], np.ndarray], neg_emb: np.ndarray,
                      per_class: int = 10, n_classes: int = 5, size: int = SIZE) -> Optional[Dict]:
    """Evaluation only (never trained on), the CLI's protocol (docs/unseen-crop.md): enrol
    unseen-crops/tomato from the first per_class photos (name order) of the first n_classes classes
    (alphabetical), score every photo of the other classes against neg_emb (rice and every negative).
    Split by class, so no physical leaf is on both sides."""
    root = Path(data_dir) / "unseen-crops" / "tomato"
    if not root.is_dir():
        return None
    classes = sorted(d for d in root.iterdir() if d.is_dir())

    def files(d: Path) -> List[str]:
        return sorted(str(p) for p in d.iterdir() if p.suffix.lower() in data.IMAGE_EXTS)

    enrol = [f for d in classes[:n_classes] for f in files(d)[:per_class]]
    rest = [f for d in classes[n_classes:] for f in files(d)]
    c = scoring.centroid(run_emb(_tensors(enrol, size)))
    pos = scoring.centroid_scores(run_emb(_tensors(rest, size)), c)
    neg = scoring.centroid_scores(neg_emb, c)
    m = scoring.roc_metrics(pos, neg)
    m.update({"enrolled": len(enrol),
              "enrolment": f"first {per_class} photos of each of the first {n_classes} classes; evaluated on all "
                           f"photos of the other {len(classes) - n_classes}"})
    return m


def run(cfg: PipelineConfig, log: Callable[[str], None] = print) -> Dict:
    t_all = time.time()
    torch.set_num_threads(2)
    seed = cfg.train.seed
    work, out = Path(cfg.work_dir), Path(cfg.out_dir)
    work.mkdir(parents=True, exist_ok=True)
    timings: Dict[str, float] = {}

    def lap(name: str, t0: float) -> None:
        timings[name] = round(time.time() - t0, 1)
        log(f"[{name}] {timings[name]} s")

    # --- data
    t0 = time.time()
    items = data.limit_per_group(data.discover(cfg.data_dir), cfg.limit_per_group, seed)
    fixtures = data.fixture_matches(items)
    tr_items, va_items = data.split(items, 0.2, seed, force_val=fixtures.keys())
    rpd = cfg.train.rice_per_disease
    class_names = sorted({data.class_name(i, rpd) for i in tr_items})
    tr_labels = [class_names.index(data.class_name(i, rpd)) for i in tr_items]
    tr_paths = [i.path for i in tr_items]
    xval = _tensors([i.path for i in va_items])
    normal = np.array([i.normal for i in va_items])
    log(f"data: {len(tr_items)} train, {len(va_items)} validation, {len(class_names)} classes; "
        f"fixtures kept in validation: {sorted(fixtures.values())}")
    lap("data", t0)

    # --- (c) ours: ImageNet init, multi-class ArcFace
    t0 = time.time()
    model = build(cfg.weights, seed)
    if cfg.checkpoint:  # re-run everything after training from a saved state (development)
        model.load_state_dict(torch.load(cfg.checkpoint, map_location="cpu"))
        hist = {"config": cfg.train.as_dict(), "checkpoint": str(cfg.checkpoint)}
    else:
        hist = train(model, tr_paths, tr_labels, cfg.train, log)
    model.cpu().eval()
    if not cfg.checkpoint:
        torch.save(model.state_dict(), work / "embedder.pt")
    lap("train", t0)

    # --- export + quantize
    t0 = time.time()
    fp32 = onnx_export.export_fp32(model, work / "cropgate-embedder-fp32.onnx")
    pre = onnx_export.prepare(fp32, work / "cropgate-embedder-fp32-pre.onnx")
    calib = _tensors(calibration_paths(tr_items, cfg.calibration_per_source, seed))
    candidates = {
        "dynamic": onnx_export.quantize_weight_only(pre, work / "cropgate-embedder-int8-dynamic.onnx"),
        "static": onnx_export.quantize_static_qdq(pre, work / "cropgate-embedder-int8-static.onnx", calib),
        "weightonly": onnx_export.quantize_weight_only_qdq(pre, work / "cropgate-embedder-int8-weightonly.onnx"),
    }
    cfg_of = lambda k: onnx_export.SESSION_CONFIG.get(k)  # noqa: E731
    lap("export+quantize", t0)

    # --- embeddings of the validation split under every variant
    t0 = time.time()
    emb = {"torch": embed(model, xval)}
    sess = {"fp32": onnx_export.session(fp32, 2)}
    sess.update({k: onnx_export.session(p, 2, cfg_of(k)) for k, p in candidates.items()})
    for k, s in sess.items():
        emb[k] = onnx_export.run(s, xval)
    parity = {"torchVsOnnxFp32": float(onnx_export.cosine_rows(emb["torch"], emb["fp32"]).min())}
    quant = {}
    x1 = xval[:1]
    fp32_metrics = scoring.roc_metrics(*_split_scores(emb["fp32"], normal))
    src = np.array([i.source for i in va_items])
    c32 = scoring.centroid(emb["fp32"][normal])
    th32 = scoring.threshold_at_accept_rate(scoring.centroid_scores(emb["fp32"], c32)[normal], cfg.policy_target)
    for k, p in candidates.items():
        cos = onnx_export.cosine_rows(emb["fp32"], emb[k])
        m = scoring.roc_metrics(*_split_scores(emb[k], normal))
        # What the gate sees: the score against the fp32 reference, and the verdict at the fp32 threshold.
        s32, sq = scoring.centroid_scores(emb["fp32"], c32), scoring.centroid_scores(emb[k], c32)
        quant[k] = {"bytes": p.stat().st_size, "cosineToFp32": {"min": float(cos.min()), "mean": float(cos.mean()),
                                                               "minNormal": float(cos[normal].min()),
                                                               "minBySource": {s: float(cos[src == s].min())
                                                                               for s in sorted(set(src))}},
                    "scoreDelta": {"maxAbs": float(np.abs(sq - s32).max()),
                                   "maxAbsNormal": float(np.abs(sq - s32)[normal].max())},
                    "verdictAgreement": float(((sq >= th32) == (s32 >= th32)).mean()),
                    "auroc": m["auroc"], "aurocLoss": fp32_metrics["auroc"] - m["auroc"],
                    "fprAt95Tpr": m["fprAt95Tpr"], "ops": onnx_export.op_counts(p),
                    "ortCpu": onnx_export.time_ms(p, x1, threads=1, config=cfg_of(k))}
    quant["fp32"] = {"bytes": fp32.stat().st_size, "auroc": fp32_metrics["auroc"],
                     "fprAt95Tpr": fp32_metrics["fprAt95Tpr"], "ortCpu": onnx_export.time_ms(fp32, x1, threads=1)}
    ship = cfg.ship
    if ship == "auto":
        ok = [k for k in candidates if quant[k]["aurocLoss"] <= 0.005 and quant[k]["bytes"] <= 4_000_000
              and quant[k]["verdictAgreement"] >= 0.98 and quant[k]["cosineToFp32"]["min"] >= 0.99]
        # Among variants that keep the gate (AUROC loss, verdicts at the fp32 threshold, cosine to fp32 >= 0.99
        # on every validation photo) and the size bar, ship the faster one (ORT CPU, batch 1).
        ship = min(ok, key=lambda k: quant[k]["ortCpu"]["medianMs"]) if ok else \
            max(candidates, key=lambda k: quant[k]["cosineToFp32"]["minNormal"])
    log(f"quantization: {json.dumps({k: {kk: v[kk] for kk in ('bytes', 'auroc')} for k, v in quant.items()})}; "
        f"shipping {ship}")
    lap("embed+compare", t0)

    # --- calibrate the reference on the shipped model's validation embeddings
    t0 = time.time()
    e_ship = emb[ship]
    cen = scoring.centroid(e_ship[normal])
    protos = scoring.prototypes(e_ship[normal], cfg.prototypes, seed)
    s_cen = scoring.centroid_scores(e_ship, cen)
    s_pro = scoring.prototype_scores(e_ship, protos)
    th = scoring.threshold_at_accept_rate(s_cen[normal], cfg.policy_target)
    th_pro = scoring.threshold_at_accept_rate(s_pro[normal], cfg.policy_target)
    ours = evaluation.gate_metrics(s_cen, va_items)
    ours_proto = evaluation.gate_metrics(s_pro, va_items)
    stability = scoring.bootstrap_threshold(s_cen[normal], cfg.policy_target, seed=seed)
    neg_stats = {src: scoring.stats(s_cen[np.array([i.source == src for i in va_items])], th)
                 for src in sorted({i.source for i in va_items if not i.normal})}
    lap("calibrate", t0)

    # --- baselines on the same split
    t0 = time.time()
    base_b = imagenet_baseline(cfg.weights, seed)
    e_b = embed(base_b, xval)
    b_metrics = evaluation.gate_metrics(scoring.centroid_scores(e_b, scoring.centroid(e_b[normal])), va_items)
    lap("baseline-imagenet", t0)
    a_metrics = None
    if cfg.baseline_epochs > 0:  # 0: skipped (quick experiments only)
        t0 = time.time()
        base_a = reference_recipe_baseline(tr_paths, tr_items, cfg, log)
        e_a = embed(base_a, xval)
        a_metrics = evaluation.gate_metrics(
            scoring.centroid_scores(e_a, scoring.last_batch_centroid(e_a[normal])), va_items)
        lap("baseline-reference-recipe", t0)

    # --- unseen crop (evaluation only)
    unseen = None
    if cfg.unseen_crop:
        t0 = time.time()
        s_ship = onnx_export.session(candidates[ship], 2, cfg_of(ship))
        # Negatives: every rice and negative photo, training split included (as the CLI evaluates).
        x_tr = _tensors(tr_paths)
        e_all = np.concatenate([e_ship, onnx_export.run(s_ship, x_tr)])
        e_all_b = np.concatenate([e_b, embed(base_b, x_tr)])
        del x_tr
        unseen = {"ours": unseen_crop_check(cfg.data_dir, lambda x: onnx_export.run(s_ship, x), e_all),
                  "imagenet": unseen_crop_check(cfg.data_dir, lambda x: embed(base_b, x), e_all_b),
                  "negatives": f"all {len(e_all)} rice and negative photos (training split included)"}
        lap("unseen-crop", t0)

    # --- artifacts
    t0 = time.time()
    out.mkdir(parents=True, exist_ok=True)
    model_path = out / MODEL_FILE
    shutil.copyfile(candidates[ship], model_path)
    sha = onnx_export.sha256_file(model_path)
    fp32_sha = onnx_export.sha256_file(fp32)
    created = _now()
    split_summary = {"train": data.summary(tr_items), "validation": data.summary(va_items),
                     "classes": class_names, "seed": seed, "valFraction": 0.2,
                     "fixturesInValidation": {Path(k).name: v for k, v in sorted(fixtures.items())},
                     "excluded": list(data.EXCLUDED)}
    reference = {
        "schema": "cropgate.reference/v1", "profile": "rice", "displayName": "rice leaf",
        "createdAt": created, "createdBy": f"cropgate-training {__version__}",
        "model": {"id": MODEL_ID, "sha256": sha, "dimension": DIM},
        "centroid": [round(float(v), 7) for v in cen],
        "prototypes": [[round(float(v), 7) for v in p] for p in protos],
        "threshold": {"value": th, "score": "centroid-cosine",
                      "policy": {"kind": "normal-accept-rate", "target": cfg.policy_target},
                      "prototypeValue": th_pro},
        "calibration": {
            "method": "validation split (20 % per source folder, stratified, seeded); embeddings of the shipped "
                      "int8 model",
            "normal": scoring.stats(s_cen[normal], th),
            "negatives": neg_stats,
            "metrics": {k: ours["overall"][k] for k in ("auroc", "fprAt95Tpr", "tprAt1Fpr")},
            "thresholdStability": stability,
        },
        "data": {"normal": "rice-leaf/{bacterial,brownspot,leafsmut} validation split",
                 "counts": data.summary(va_items)},
    }
    # The rounded centroid is what consumers get: score the vectors with it.
    cen_r = np.array(reference["centroid"], dtype=np.float64)
    s_fp32 = onnx_export.session(fp32, 1)
    s_int8 = onnx_export.session(model_path, 1, cfg_of(ship))
    tv = vectors.build(sha, fp32_sha, vectors.image_vectors(
        vectors.fixture_files(), lambda x: onnx_export.run(s_fp32, x), lambda x: onnx_export.run(s_int8, x),
        cen_r / np.linalg.norm(cen_r), th))
    metrics = {
        "split": "validation",
        "model": ship,
        "threshold": th,
        "gate": ours,
        "worst": evaluation.worst(ours),
        "prototypeGate": {"overall": ours_proto["overall"], "threshold": th_pro},
        "parity": {**parity, "fp32VsInt8MinCosine": quant[ship]["cosineToFp32"]["min"],
                   "fp32VsInt8MinCosineNormal": quant[ship]["cosineToFp32"]["minNormal"],
                   "fp32VsInt8MaxScoreDelta": quant[ship]["scoreDelta"]["maxAbs"],
                   "fp32VsInt8VerdictAgreement": quant[ship]["verdictAgreement"]},
        "quantization": quant,
        "baselines": {"referenceRecipe": a_metrics, "imagenetNoFinetune": b_metrics},
        "unseenCrop": unseen,
        "thresholdStability": stability,
    }
    manifest = {
        "schema": "cropgate.manifest/v1",
        "model": {"id": MODEL_ID, "file": MODEL_FILE, "sha256": sha, "bytes": model_path.stat().st_size,
                  "opset": onnx_export.OPSET,
                  "input": {"name": onnx_export.INPUT, "shape": ["batch", 3, SIZE, SIZE], "dtype": "float32"},
                  "output": {"name": onnx_export.OUTPUT, "shape": ["batch", DIM], "dtype": "float32",
                             "normalized": False},
                  "quantization": {"method": {"dynamic": "dynamic (weight-only) int8, per-channel weights",
                                              "static": "static QDQ 8-bit (uint8 per-tensor weights, uint8 "
                                                        "activations calibrated (Percentile) on real training images)",
                                              "weightonly": "weight-only QDQ 8-bit: backbone weights on their TFLite "
                                                            "uint8 grid (lossless), head int8 per output channel; "
                                                            "float activations"}[ship],
                                   "tool": (f"cropgate_training.onnx_export.quantize_weight_only_qdq (onnx {onnx.__version__})"
                                            if ship == "weightonly" else f"onnxruntime.quantization {ort.__version__}"),
                                   "calibrationImages": len(calib) if ship == "static" else 0,
                                   "calibration": "Percentile 99.999, up to 32 training images per source"
                                   if ship == "static" else None},
                  "fp32Sha256": fp32_sha,
                  # ORT session config entries to open the model with (worker, CLI and these measurements).
                  "sessionConfig": onnx_export.SESSION_CONFIG.get(ship, {})},
        "preprocessing": PREPROCESSING,
        "training": {"tool": f"cropgate-training {__version__}", "createdAt": created,
                     "init": "ImageNet MobileNetV2 1.0/224 (google-coral/test_data, Apache-2.0)" if cfg.weights
                     else "random", "loss": "pytorch-metric-learning ArcFaceLoss", "data": split_summary,
                     "history": hist, "timingsSeconds": timings, "baselineEpochs": cfg.baseline_epochs,
                     "environment": {"torch": torch.__version__, "onnxruntime": ort.__version__,
                                     "python": platform.python_version(), "threads": torch.get_num_threads()}},
        "metrics": {"split": "validation", "threshold": th, **{k: ours["overall"][k] for k in
                                                               ("auroc", "fprAt95Tpr", "tprAt1Fpr")},
                    "bySource": ours["bySource"], "byGroup": ours["byGroup"], "worst": evaluation.worst(ours),
                    "parity": metrics["parity"]},
    }
    _json(out / "references" / "rice.json", reference)
    _json(out / "test-vectors.json", tv)
    evaluation.histogram_png(out / "eval" / "histogram.png", s_cen, va_items, th,
                             "cropgate int8 embedder, validation split")
    lap("artifacts", t0)
    timings["total"] = round(time.time() - t_all, 1)
    manifest["training"]["timingsSeconds"] = timings
    _json(out / "manifest.json", manifest)
    _json(out / "eval" / "metrics.json", metrics)
    if cfg.write_card:
        (out / "README.md").write_text(card.render(manifest, metrics, reference, out / "eval"))
    log(f"done in {timings['total']} s: AUROC {ours['overall']['auroc']:.4f}, FPR@95TPR "
        f"{ours['overall']['fprAt95Tpr']:.4f}, worst {evaluation.worst(ours)}")
    return {"manifest": manifest, "metrics": metrics, "reference": reference}


def _split_scores(e: np.ndarray, normal: np.ndarray):
    s = scoring.centroid_scores(e, scoring.centroid(e[normal]))
    return s[normal], s[~normal]
