"""Input resolution comparison (128 vs 160 vs 224 px): same recipe and budget, AUROC and inference time."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

from . import data, evaluation, onnx_export, scoring
from .embedder import build
from .preprocess import preprocess_file
from .train import TrainConfig, embed, train


def sweep(data_dir: Path, weights: Optional[Path], sizes: Sequence[int], epochs: Optional[int], out: Path,
          work: Path, log: Callable[[str], None] = print, seed: int = 0, limit: Optional[int] = None) -> Dict:
    torch.set_num_threads(2)
    work.mkdir(parents=True, exist_ok=True)
    items = data.limit_per_group(data.discover(data_dir), limit, seed)
    fixtures = data.fixture_matches(items)
    tr, va = data.split(items, 0.2, seed, force_val=fixtures.keys())
    names = sorted({data.class_name(i) for i in tr})
    labels = [names.index(data.class_name(i)) for i in tr]
    normal = np.array([i.normal for i in va])
    results: List[Dict] = []
    for size in sizes:
        cfg = TrainConfig(image_size=size, seed=seed)
        if epochs:
            cfg.epochs = epochs
        log(f"size {size}: training {cfg.epochs} epochs")
        model = build(weights, seed)
        hist = train(model, [i.path for i in tr], labels, cfg, log)
        x = np.stack([preprocess_file(i.path, size) for i in va])
        e = embed(model.cpu(), x)
        s = scoring.centroid_scores(e, scoring.centroid(e[normal]))
        m = evaluation.gate_metrics(s, va)
        from .pipeline import unseen_crop_check

        # Negatives here: the validation split only (cheaper than the pipeline's all-photo check).
        unseen = unseen_crop_check(data_dir, lambda t: embed(model, t), e, size=size)
        path = onnx_export.export_fp32(model, work / f"fp32-{size}.onnx", size)
        results.append({"size": size, "epochs": cfg.epochs, "trainSeconds": hist["seconds"],
                        "trainImgPerSec": float(np.mean([h["imgPerSec"] for h in hist["epochs"]])),
                        "auroc": m["overall"]["auroc"], "fprAt95Tpr": m["overall"]["fprAt95Tpr"],
                        "tprAt1Fpr": m["overall"]["tprAt1Fpr"], **evaluation.worst(m),
                        "unseenTomatoAuroc": unseen["auroc"] if unseen else None,
                        "ortCpuFp32": onnx_export.time_ms(path, x[:1], threads=1, runs=60)})
        log(json.dumps(results[-1]))
    report = {"what": "same recipe, seed and epochs at each input size; validation split; fp32 model; "
                      "latency = onnxruntime CPU, batch 1, 1 thread, this machine (shared 2 cores)",
              "results": results}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    return report
