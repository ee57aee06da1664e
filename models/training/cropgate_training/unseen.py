"""Evaluation only: how well saved embedders (or plain ImageNet features) enrol the unseen tomato crop,
with the CLI's protocol (pipeline.unseen_crop_check), fp32 PyTorch. For comparing recipes."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, Sequence

import torch

from . import data
from .embedder import build
from .pipeline import _tensors, unseen_crop_check
from .train import embed


def compare(data_dir: Path, weights: Path, checkpoints: Sequence[str], log: Callable[[str], None] = print,
            out_json: Path | None = None) -> Dict:
    """checkpoints: 'label=path/to/embedder.pt' or 'imagenet'; results (with the labels) go to out_json."""
    torch.set_num_threads(2)
    x_all = _tensors([i.path for i in data.discover(data_dir)])  # every rice and negative photo
    out = {}
    for spec in checkpoints:
        label, _, ck = spec.rpartition("=")
        label = label or ck
        m = build(weights, 0)
        if ck == "imagenet":
            net = torch.nn.Sequential(m.features, m.pool, m.flatten).eval()
        else:
            m.load_state_dict(torch.load(ck, map_location="cpu"))
            net = m.eval()
        r = unseen_crop_check(data_dir, lambda x: embed(net, x), embed(net, x_all))
        out[label] = r
        log(f"{label}: AUROC {r['auroc']:.4f}, FPR@95%TPR {r['fprAt95Tpr']:.3f} ({r['normal']} tomato vs "
            f"{r['negative']} others)")
    if out_json:
        import json

        out_json.parent.mkdir(parents=True, exist_ok=True)
        out_json.write_text(json.dumps({"what": "unseen tomato, CLI protocol, fp32 PyTorch embedders", "results": out},
                                       indent=1) + "\n")
    return out
