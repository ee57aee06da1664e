"""The score-distribution figure of the model card: one histogram per rice source, one outline per negative source."""
from __future__ import annotations

from pathlib import Path
from typing import Dict

import numpy as np



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
