"""The score-distribution figure of the model card: one histogram per rice source, one outline per negative source."""
from __future__ import annotations

from pathlib import Path
from typing import Dict

import numpy as np



def source_histogram_png(path: Path, normal: Dict[str, np.ndarray], negative: Dict[str, np.ndarray],
                         threshold: float, lower: float, title: str) -> Path:
    """Score distributions: one filled histogram per rice source, one outline per negative source, the accept
    threshold and the uncertain band."""
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
    if lower < threshold:
        ax.axvspan(lower, threshold, color="orange", alpha=0.15, label=f"uncertain {lower:.3f}-{threshold:.3f}")
    ax.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.3f}")
    ax.set_xlabel("score: cosine similarity to the rice reference, by a model trained without the photo")
    ax.set_ylabel("density")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
