"""The cached backbone up to block 13: every view's `features[:14]` output (96 x 10 x 10 at 160 px).

The ImageNet layers up to block 13 stay frozen in every recipe, so their output is computed once per view and
cached; the last blocks (`features[14:19]`) and the head are then trained on the cache (tail.py) in minutes on
2 cores instead of re-running the backbone. The frozen last blocks' pooled output (the `features` output before
whitening, and what the linear and MLP heads read) is computed from the same cache.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence

import numpy as np
import torch

from .data import Item
from .preprocess import image_to_tensor, load_rgb
from .views import KINDS, Renderer, View

SPLIT = 14  # features[:SPLIT] is frozen and cached; features[SPLIT:] is the tail (torchvision indices)
# Part of every cache key: bump it when a change to views.py, synth.py, augment.py or preprocessing changes what a
# view looks like (the key itself only covers which views of which photos).
CACHE_VERSION = "maps-v3"


@dataclass
class MapSet:
    """Row r is view views[r]: its block-13 map and the frozen tail's pooled 1280-d vector."""
    views: List[View]
    maps: np.ndarray  # (n, 96, s/16, s/16) float16
    pooled: np.ndarray  # (n, 1280) float32
    size: int

    @property
    def photo(self) -> np.ndarray:
        return np.array([v.photo for v in self.views])

    @property
    def kind(self) -> np.ndarray:
        return np.array([v.kind for v in self.views])

    def clean_rows(self, n_photos: int) -> np.ndarray:
        """Row of each photo's clean view, in photo order."""
        rows = np.full(n_photos, -1, dtype=np.int64)
        for r, v in enumerate(self.views):
            if v.kind == "clean":
                rows[v.photo] = r
        assert (rows >= 0).all(), "every photo has a clean view"
        return rows


def _key(items: Sequence[Item], views: Sequence[View], size: int, seed: int) -> str:
    h = hashlib.sha256(f"{CACHE_VERSION}|{size}|{seed}".encode())
    for v in views:
        bg = items[v.background].key if v.background >= 0 else ""
        h.update(f"{items[v.photo].key}|{v.kind}|{v.n}|{bg}\n".encode())
    return h.hexdigest()[:16]


def onnx_stem_runner(features: torch.nn.Module, size: int, path: Path, threads: int = 2):
    """features[:SPLIT] exported to ONNX and run by onnxruntime (2-3x faster than Debian's CPU torch on
    MobileNetV2's depthwise convolutions here)."""
    import onnxruntime as ort

    path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(features[:SPLIT].eval(), torch.zeros(1, 3, size, size), str(path), input_names=["input"],
                      output_names=["maps"], opset_version=17,
                      dynamic_axes={"input": {0: "batch"}, "maps": {0: "batch"}})
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    return lambda x: sess.run(["maps"], {"input": x})[0]


@torch.no_grad()
def pool_tail(tail: torch.nn.Module, maps: np.ndarray, batch: int = 256) -> np.ndarray:
    """tail(maps) globally average-pooled: (n, 1280) float32."""
    tail.eval()
    out = [tail(torch.from_numpy(maps[k:k + batch].astype(np.float32))).mean(dim=(2, 3)).numpy()
           for k in range(0, len(maps), batch)]
    return np.concatenate(out) if out else np.zeros((0, 1280), np.float32)


def extract(items: Sequence[Item], views: Sequence[View], features: torch.nn.Module, size: int, seed: int,
            cache_dir: Optional[Path], log: Callable[[str], None] = print, batch: int = 64) -> MapSet:
    """Render every view, run features[:SPLIT] on it, pool the frozen tail. Cached per source by (its views,
    size, seed), so a change to one source's views recomputes only that source. Views whose synthetic kind found
    nothing honest to show (views.Renderer.render -> None) are dropped."""
    by_source: dict = {}
    for v in views:
        by_source.setdefault(items[v.photo].source, []).append(v)
    runner = None
    render = Renderer(items, seed)
    parts: List[MapSet] = []
    t0 = time.time()
    for src in sorted(by_source):
        vs = by_source[src]
        name = f"maps-{size}-{src.replace('/', '_')}-{_key(items, vs, size, seed)}.npz"
        cache = Path(cache_dir) / name if cache_dir else None
        if cache is not None and cache.is_file():
            z = np.load(cache)
            kept = [View(int(p), KINDS[int(k)], int(n), int(b)) for p, k, n, b in z["views"]]
            parts.append(MapSet(kept, z["maps"], z["pooled"], size))
            continue
        if runner is None:
            runner = onnx_stem_runner(features, size, Path(cache_dir or ".") / f"features-to-{SPLIT}-{size}.onnx")
        ms = _extract(items, vs, runner, render, size, batch)
        ms = MapSet(ms.views, ms.maps, pool_tail(features[SPLIT:], ms.maps), size)
        log(f"maps {size} px: {src}: {len(ms.views)} views ({len(vs) - len(ms.views)} synthetic views found nothing "
            f"to show), {time.time() - t0:.0f} s")
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            arr = np.array([(v.photo, KINDS.index(v.kind), v.n, v.background) for v in ms.views], dtype=np.int64)
            np.savez(cache, maps=ms.maps, pooled=ms.pooled, views=arr)
        parts.append(ms)
    return MapSet([v for p in parts for v in p.views], np.concatenate([p.maps for p in parts]),
                  np.concatenate([p.pooled for p in parts]), size)


def _extract(items: Sequence[Item], views: Sequence[View], runner, render: Renderer, size: int,
             batch: int) -> MapSet:
    by_photo: dict = {}
    for v in views:
        by_photo.setdefault(v.photo, []).append(v)
    kept: List[View] = []
    chunks: List[np.ndarray] = []
    buf: List[np.ndarray] = []
    for photo in sorted(by_photo):
        img = load_rgb(items[photo].path)
        for v in by_photo[photo]:
            out = render.render(v, img)
            if out is None:
                continue
            buf.append(image_to_tensor(out, size=size))
            kept.append(v)
        if len(buf) >= batch:
            chunks.append(runner(np.stack(buf)).astype(np.float16))
            buf.clear()
    if buf:
        chunks.append(runner(np.stack(buf)).astype(np.float16))
    return MapSet(kept, np.concatenate(chunks), np.zeros((0, 1280), np.float32), size)
