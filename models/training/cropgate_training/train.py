"""Training helpers shared by the heads (head.py, tail.py) and the views (views.py): seeding, class-balanced
sampling weights, and the pre-shrunk training copy of a photo."""
from __future__ import annotations

import random
from typing import Sequence

import numpy as np
import torch
from PIL import Image

from .preprocess import load_rgb


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def shrink(img: Image.Image, max_side: int) -> Image.Image:
    """BOX-downscale so the shorter side is at most max_side (augmenting a small copy is cheap)."""
    s = min(img.size)
    if s > max_side:
        f = max_side / s
        img = img.resize((max(1, round(img.size[0] * f)), max(1, round(img.size[1] * f))), Image.BOX)
    return img


def load_train_image(path: str, max_side: int) -> Image.Image:
    return shrink(load_rgb(path), max_side)


def sampling_weights(labels: Sequence[int], power: float) -> torch.Tensor:
    counts = np.bincount(labels)
    w = np.array([counts[y] ** power / counts[y] for y in labels], dtype=np.float64)
    return torch.tensor(w / w.sum())


def sampling_probs(labels: Sequence[int], strata: Sequence[str], power: float) -> np.ndarray:
    """Per-row sampling probability: a class gets ~ (its rows) ** power, shared evenly by its strata (source x
    kind of shot), then evenly by the rows of a stratum. So the big lab set does not drown the field sources,
    and a synthetic kind of shot weighs as much as the photos it came from."""
    labels = np.asarray(labels)
    strata = np.asarray(strata)
    p = np.zeros(len(labels), np.float64)
    for c in np.unique(labels):
        in_c = labels == c
        ss = np.unique(strata[in_c])
        for s in ss:
            m = in_c & (strata == s)
            p[m] = (in_c.sum() ** power) / len(ss) / m.sum()
    return p / p.sum()
