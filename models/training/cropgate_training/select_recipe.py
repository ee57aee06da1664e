"""Recipe selection by source: every recipe and input size scored leave-one-source-out on cached features
(`python -m cropgate_training select`), written to models/eval/selection.json."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

from . import data, features, loso
from .scoring import centroid, l2n, roc_metrics


def feature_sets(data_dir: Path, weights: Optional[Path], sizes: Sequence[int], work: Path, seed: int = 0,
                 log: Callable[[str], None] = print, limit: Optional[int] = None):
    """(items, {size: FeatureSet}) for every photo of the data set (measurement-only sets clean only)."""
    items = data.limit_per_group(data.discover(data_dir), limit, seed)
    net = features.backbone(weights, seed)
    runners = {s: features.onnx_runner(net, s, work / f"backbone-{s}.onnx") for s in sizes}
    fsets = features.extract(runners, items, features.views_per_photo(items), seed, work / "cache", log)
    return items, fsets, runners


def unseen_features(data_dir: Path, runner, size: int, crop: str) -> np.ndarray:
    """Backbone features of unseen-crops/<crop>, photos in path order."""
    from .preprocess import preprocess_file

    unseen = sorted(data.discover_unseen(data_dir, crop), key=lambda i: i.path)
    if not unseen:
        return np.zeros((0, 1280), np.float32)
    return np.concatenate([runner(np.stack([preprocess_file(i.path, size) for i in unseen[k:k + 64]]))
                           for k in range(0, len(unseen), 64)])


def unseen_enrolment(xu: np.ndarray, fs: features.FeatureSet, embed: Callable[[np.ndarray], np.ndarray],
                     n_enrol: int = 50) -> Optional[Dict]:
    """Enrol an unseen crop from its first n_enrol photos (name order) by centroid, score the rest against
    every rice and negative photo (the CLI's `enroll` + `evaluate` protocol). xu: its backbone features."""
    if len(xu) <= n_enrol:
        return None
    e = embed(xu)
    c = centroid(e[:n_enrol])
    pos = l2n(e[n_enrol:]) @ c
    neg = l2n(embed(fs.x[fs.clean_rows()])) @ c
    m = roc_metrics(pos, neg)
    m.update({"enrolled": n_enrol, "evaluated": len(xu) - n_enrol})
    return m


def run(data_dir: Path, weights: Optional[Path], sizes: Sequence[int], recipes: Sequence[str], work: Path,
        out: Path, log: Callable[[str], None] = print, seed: int = 0, limit: Optional[int] = None) -> Dict:
    torch.set_num_threads(2)
    t0 = time.time()
    items, fsets, runners = feature_sets(data_dir, weights, sizes, work, seed, log, limit)
    results: List[Dict] = []
    for size in sizes:
        xu = {c: unseen_features(data_dir, runners[size], size, c) for c in ("bok-choy-field", "tomato")}
        for name in recipes:
            r = loso.RECIPES[name]
            sc = loso.evaluate(r, fsets[size], items, seed, log=log)
            summ = loso.summarise(sc, items)
            full = loso.fit(r, fsets[size], items, np.nonzero(
                np.array([i.trainable for i in items])[fsets[size].item])[0])
            emb = full.embed
            enrol = {c: unseen_enrolment(xu[c], fsets[size], emb) for c in xu}
            results.append({"size": size, "recipe": name, "output": r.output, "scorer": r.scorer, **summ,
                            "unseenEnrolment": enrol})
            log(f"{size} px {name}: rice accepted {json.dumps({k: round(v, 3) for k, v in summ['normalAccept'].items()})} "
                f"(out of source {json.dumps({k: round(v, 3) for k, v in summ['normalAcceptOutOfSource'].items()})}) "
                f"negatives accepted {json.dumps({k: round(v, 3) for k, v in summ['negativeAccept'].items()})} "
                f"AUROC {summ['auroc']:.4f} (out of source {summ['aurocOutOfSource']:.4f}) "
                f"worst goal ratio {summ['threshold']['worstGoalRatio']:.2f} "
                f"bok choy {enrol['bok-choy-field'] and round(enrol['bok-choy-field']['auroc'], 4)}")
    report = {"what": "leave-one-source-out selection on cached features (models/training/cropgate_training/loso.py)",
              "seconds": round(time.time() - t0, 1), "results": results}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    return report
