"""Gate quality on the validation split: overall and per negative group, and the histogram figure."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from .data import Item
from .scoring import roc_metrics


def gate_metrics(scores: np.ndarray, items: Sequence[Item]) -> Dict:
    """Normal vs all negatives, vs each negative source and vs each negative leaf group."""
    normal = np.array([it.normal for it in items])
    out = {"overall": roc_metrics(scores[normal], scores[~normal]), "bySource": {}, "byGroup": {}}
    for key, attr in (("bySource", "source"), ("byGroup", "group")):
        names = sorted({getattr(it, attr) for it in items if not it.normal})
        for name in names:
            m = np.array([getattr(it, attr) == name for it in items])
            if attr == "group" and name in out["bySource"]:
                continue  # a source without sub-folders is already reported
            out[key][name] = roc_metrics(scores[normal], scores[m])
    return out


def worst(metrics: Dict) -> Dict[str, float]:
    groups = list(metrics["bySource"].values()) + list(metrics["byGroup"].values())
    return {"minAuroc": min(g["auroc"] for g in groups), "maxFprAt95Tpr": max(g["fprAt95Tpr"] for g in groups)}


def histogram_png(path: Path, scores: np.ndarray, items: Sequence[Item], threshold: float, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bins = np.linspace(min(-0.2, float(scores.min())), 1.0, 61)
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    normal = np.array([it.normal for it in items])
    ax.hist(scores[normal], bins=bins, alpha=0.7, label=f"rice leaf (normal, n={int(normal.sum())})",
            color="tab:green", density=True)
    for src in sorted({it.source for it in items if not it.normal}):
        m = np.array([it.source == src for it in items])
        ax.hist(scores[m], bins=bins, histtype="step", linewidth=1.6, label=f"{src} (n={int(m.sum())})",
                density=True)
    ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.3f}")
    ax.set_xlabel("cosine similarity to the rice reference (int8 model)")
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def source_histogram_png(path: Path, normal: Dict[str, np.ndarray], negative: Dict[str, np.ndarray],
                         threshold: float, title: str) -> Path:
    """Out-of-source score distributions: one filled histogram per rice source, one outline per negative."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    allv = np.concatenate(list(normal.values()) + list(negative.values()))
    bins = np.linspace(min(-0.2, float(allv.min())), 1.0, 61)
    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    for src, s in normal.items():
        ax.hist(s, bins=bins, alpha=0.45, label=f"{src} (rice, n={len(s)})", density=True)
    for src, s in negative.items():
        ax.hist(s, bins=bins, histtype="step", linewidth=1.5, label=f"{src} (n={len(s)})", density=True)
    ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.3f}")
    ax.set_xlabel("cosine similarity to the rice reference (scored by a head that never saw the photo's source)")
    ax.set_ylabel("density")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
