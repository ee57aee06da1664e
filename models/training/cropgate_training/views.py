"""Which views of every photo the model learns from, and how each is drawn.

A view is a function of (photo, kind, n, seed): the photo as shot (`clean`), a phone-like variation of it
(`phone`: reframed, tilted, other light, blur, JPEG), or one of the synthetic kinds of shot of synth.py
(`cutout`, `fill`, `leaf-fill`). A view's label and source are its photo's; a cut-out also records the photo its
background came from, so that a fold that holds a photo out never trains on a view drawn from it (folds.py).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from PIL import Image

from . import synth
from .augment import phone_finish, phone_photo
from .data import Item
from .train import shrink
from .preprocess import load_rgb

KINDS = ("clean", "phone", "cutout", "fill", "leaf-fill", "lesion")
# Views per photo by source, besides its clean view. Small field sources get the most; the big lab and apple sets
# the fewest. `cutout` needs a plain-background source (MASKED), `leaf-fill` a masked leaf.
PLAN: Dict[str, Dict[str, int]] = {
    "rice-leaf": {"phone": 2, "cutout": 3, "leaf-fill": 1},
    "rice-field/dnth-roboflow-rice-mix": {"phone": 6, "fill": 4},
    "rice-field/roboflow-rice-plant-pest": {"phone": 5, "fill": 4},
    "apple-leaf": {"phone": 1, "cutout": 1},
    "sugarcane-field": {"phone": 4, "fill": 2, "lesion": 2},
    "paddy-weeds": {"phone": 4, "fill": 2, "lesion": 1},
    "chilli-field": {"phone": 4, "fill": 2, "lesion": 1},
    "seedlings": {"phone": 2, "lesion": 1},
    "coco": {"phone": 4},
    "photos": {"phone": 6},
}
# `lesion`: painted disease spots on a look-alike (synth.add_lesions): rice here is nearly all diseased, the
# look-alikes nearly all healthy, and spots alone must not read as rice.
# Sources photographed on a plain background, and which (synth.leaf_mask).
MASKED = {"rice-leaf": "light", "apple-leaf": "dark"}
# Where cut-outs' backgrounds come from: photos of scenes, soil, water, gravel and field foliage. Not sugarcane
# (sharp blades even blurred look like leaves), nor the plain-background sets. A quarter are plain colours.
BACKGROUND_SOURCES = ("coco", "photos", "paddy-weeds", "chilli-field", "seedlings",
                      "rice-field/dnth-roboflow-rice-mix", "rice-field/roboflow-rice-plant-pest")
PLAIN_SHARE = 0.25
# Frame-filling crops: the share of the frame, and how much of it must be plant. A crop of a rice photo must
# still show rice (the label); a crop of a negative is still not rice whatever it shows.
FILL_AREA = {"rice-field/dnth-roboflow-rice-mix": (0.15, 0.40)}  # 224-px photos: a smaller share is mush
FILL_AREA_DEFAULT = (0.10, 0.30)
FILL_MIN_PLANT = {True: 0.4, False: 0.0}


@dataclass(frozen=True)
class View:
    photo: int  # index into the item list: label, source and fold membership
    kind: str
    n: int = 0
    background: int = -1  # cut-outs: the background photo's index (-1: plain colour or none)

    def lineage(self) -> Tuple[int, ...]:
        return (self.photo,) if self.background < 0 else (self.photo, self.background)


def _rng(seed: int, key: str, kind: str, n: int) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(key.encode()), KINDS.index(kind), n])


def plan(items: Sequence[Item], seed: int, plan: Dict[str, Dict[str, int]] = PLAN) -> List[View]:
    """Every photo's clean view, and for photos that may train the shipped model the views PLAN gives its source."""
    bg_pool = [i for i, it in enumerate(items) if it.trainable and it.source in BACKGROUND_SOURCES]
    out: List[View] = []
    for i, it in enumerate(items):
        out.append(View(i, "clean"))
        if not it.trainable:
            continue
        for kind, count in plan.get(it.source, {}).items():
            for n in range(count):
                bg = -1
                if kind == "cutout":
                    r = _rng(seed, it.key, kind, n)
                    if r.uniform() >= PLAIN_SHARE and bg_pool:
                        bg = int(bg_pool[r.integers(len(bg_pool))])
                out.append(View(i, kind, n, bg))
    return out


class Renderer:
    """Draws views as PIL images; the caller preprocesses them (preprocess.image_to_tensor)."""

    def __init__(self, items: Sequence[Item], seed: int, out_size: int = 200):
        self.items, self.seed, self.out_size = items, seed, out_size
        self._phone = phone_photo(out_size=out_size)
        self._finish = phone_finish()
        self._masks: Dict[int, np.ndarray] = {}

    def _mask(self, i: int, img: Image.Image) -> np.ndarray:
        if i not in self._masks:
            self._masks[i] = synth.leaf_mask(img, MASKED[self.items[i].source])
        return self._masks[i]

    def render(self, v: View, img: Optional[Image.Image] = None) -> Optional[Image.Image]:
        """The view's image, or None when a synthetic kind finds nothing honest to show (e.g. no crop of the
        photo is mostly plant). `img`: the photo, already loaded (load_rgb), to save a decode."""
        it = self.items[v.photo]
        img = img if img is not None else load_rgb(it.path)
        if v.kind == "clean":
            return img
        r = _rng(self.seed, it.key, v.kind, v.n)
        torch.manual_seed(int(r.integers(2**62)))  # the torchvision transforms draw from torch's generator
        if v.kind == "phone":
            return self._phone(shrink(img, max(320, 2 * self.out_size)))
        if v.kind == "cutout":
            small = shrink(img, 320)
            bg = None if v.background < 0 else shrink(load_rgb(self.items[v.background].path), 400)
            out = synth.composite(small, self._mask(v.photo, small), bg, r, size=256)
        elif v.kind == "fill":
            area = FILL_AREA.get(it.source, FILL_AREA_DEFAULT)
            out = synth.frame_fill_crop(img, r, area=area, min_plant=FILL_MIN_PLANT[it.normal])
        elif v.kind == "lesion":
            base = img if r.uniform() < 0.5 else synth.frame_fill_crop(img, r, area=(0.15, 0.6), min_plant=0.2)
            out = None if base is None else synth.add_lesions(shrink(base, 320), r)
        elif v.kind == "leaf-fill":
            small = shrink(img, 320)
            out = synth.inside_mask_crop(small, self._mask(v.photo, small), r)
        else:
            raise ValueError(f"unknown view kind {v.kind!r}")
        return None if out is None else self._finish(out)
