"""Frozen-backbone feature cache: the pooled 1280-d ImageNet MobileNetV2 features of every photo, once
clean (the canonical preprocessing, as the worker sees it) and as several augmented phone-like views.

The backbone stays frozen in the shipped recipe (see models/README.md, "Recipes tried"), so the head can be
trained, and every leave-one-source-out fold re-trained, on these cached vectors in seconds instead of
re-running the backbone: what makes a 10-fold source-wise selection fit in the 30-minute budget on 2 cores.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

from .augment import phone_photo
from .data import Item
from .preprocess import image_to_tensor, load_rgb
from .train import seed_everything, shrink


class Backbone(torch.nn.Module):
    """features -> global average pool -> flatten: the embedder's `features` output."""

    def __init__(self, features: torch.nn.Module):
        super().__init__()
        self.features = features
        self.pool = torch.nn.AdaptiveAvgPool2d(1)
        self.flatten = torch.nn.Flatten()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.flatten(self.pool(self.features(x)))


@dataclass
class FeatureSet:
    """Rows of `x` are views; `item[i]` indexes the photo list, `clean[i]` marks the canonical view."""
    paths: List[str]
    x: np.ndarray  # (views, 1280) float32
    item: np.ndarray  # (views,) int
    clean: np.ndarray  # (views,) bool
    size: int

    def clean_rows(self) -> np.ndarray:
        """Index into x of each photo's clean view, in photo order."""
        rows = np.full(len(self.paths), -1, dtype=np.int64)
        idx = np.nonzero(self.clean)[0]
        rows[self.item[idx]] = idx
        assert (rows >= 0).all()
        return rows


def _key(paths: Sequence[str], size: int, views: Sequence[int], seed: int) -> str:
    h = hashlib.sha256(f"v3|{size}|{seed}".encode())
    for p, v in zip(paths, views):
        h.update(f"{p}|{v}\n".encode())
    return h.hexdigest()[:16]


Runner = Callable[[np.ndarray], np.ndarray]


def extract(runners: Dict[int, Runner], items: Sequence[Item], views: Sequence[int], seed: int,
            cache_dir: Optional[Path] = None, log: Callable[[str], None] = print,
            batch: int = 64) -> Dict[int, FeatureSet]:
    """For every input size in `runners` (size -> batch of NCHW tensors -> (n, 1280) features): the clean
    view of every item plus views[i] augmented views of item i. The augmented PIL images are drawn once
    and shared by all sizes, so sizes are compared on the same views. Cached per (paths, views, seed, size)."""
    paths = [i.path for i in items]
    sizes = sorted(runners)
    caches = {s: Path(cache_dir) / f"features-{s}-{_key(paths, s, views, seed)}.npz" if cache_dir else None
              for s in sizes}
    out: Dict[int, FeatureSet] = {}
    for s in sizes:
        if caches[s] is not None and caches[s].is_file():
            z = np.load(caches[s])
            out[s] = FeatureSet(paths, z["x"], z["item"], z["clean"], s)
            log(f"features {s} px: {len(z['x'])} views from cache {caches[s].name}")
    todo = [s for s in sizes if s not in out]
    if not todo:
        return out
    seed_everything(seed)
    aug = phone_photo(out_size=int(round(max(todo) * 1.25)))
    xs: Dict[int, List[np.ndarray]] = {s: [] for s in todo}
    bufs: Dict[int, List[np.ndarray]] = {s: [] for s in todo}
    item_idx: List[int] = []
    clean: List[bool] = []
    t0 = time.time()

    def flush():
        for s in todo:
            if bufs[s]:
                xs[s].append(runners[s](np.stack(bufs[s])).astype(np.float32))
                bufs[s].clear()

    for n, (it, v) in enumerate(zip(items, views)):
        img = load_rgb(it.path)  # oriented RGB; the clean view is the canonical recipe on it
        for s in todo:
            bufs[s].append(image_to_tensor(img, size=s))
        item_idx.append(n)
        clean.append(True)
        if v:
            small = shrink(img, max(320, 2 * max(todo)))  # the same decode, shrunk for cheap augmenting
            for _ in range(v):
                a = aug(small)
                for s in todo:
                    bufs[s].append(image_to_tensor(a, size=s))
                item_idx.append(n)
                clean.append(False)
        if len(bufs[todo[0]]) >= batch:
            flush()
        if (n + 1) % 250 == 0:
            log(f"  features {todo} px: {n + 1}/{len(items)} photos ({time.time() - t0:.0f} s)")
    flush()
    for s in todo:
        fs = FeatureSet(paths, np.concatenate(xs[s]), np.array(item_idx), np.array(clean), s)
        out[s] = fs
        if caches[s] is not None:
            caches[s].parent.mkdir(parents=True, exist_ok=True)
            np.savez(caches[s], x=fs.x, item=fs.item, clean=fs.clean)
    log(f"features {todo} px: {len(item_idx)} views of {len(items)} photos in {time.time() - t0:.0f} s")
    return out


def views_per_photo(items: Sequence[Item], target: int = 1000, most: int = 6) -> List[int]:
    """Augmented views per photo: about `target` views per source, at most `most` per photo (small field
    sources get the most), none for photos that may not train the shipped model."""
    counts: Dict[str, int] = {}
    for it in items:
        counts[it.source] = counts.get(it.source, 0) + 1
    return [0 if not it.trainable else max(1, min(most, -(-target // counts[it.source]))) for it in items]


def onnx_runner(net: torch.nn.Module, size: int, path: Path, threads: int = 2) -> Runner:
    """The backbone exported to ONNX and run by onnxruntime: 2-3x faster than Debian's CPU torch on
    MobileNetV2's depthwise convolutions here (17.6 vs 43 ms per 128-px image, 2 threads, same machine
    and load), and equal to it within 2e-5."""
    import onnxruntime as ort

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(net.eval(), torch.zeros(1, 3, size, size), str(path), input_names=["input"],
                      output_names=["features"], opset_version=17,
                      dynamic_axes={"input": {0: "batch"}, "features": {0: "batch"}})
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    return lambda x: sess.run(["features"], {"input": x})[0]


def backbone(weights: Optional[Path], seed: int = 0) -> Backbone:
    from .embedder import build

    return Backbone(build(weights, seed).features).eval()
