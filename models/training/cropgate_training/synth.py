"""The kinds of shot the data set lacks, made from the photos it has (issue 13).

Every rice source here is one kind of shot: lab leaves on a plain light background (`rice-leaf`), one leaf held in a
hand in the field, paddy canopies. Left out whole, none has a sibling, so nothing teaches the head which differences
between rice photos do not matter. Two synthetic kinds give each a sibling, with honest labels:

- **cut-outs on real backgrounds**: a `rice-leaf` leaf (light background, masked by colour and brightness) pasted,
  rotated and scaled, onto a blurred background: soil, water, gravel, cloth, skin, sky, out-of-focus foliage, taken
  from photos of other sources and from plain colours. Never onto a sharp plant: the background is always blurred
  well past leaf detail, so the only plant in focus is the pasted one. PlantVillage apple leaves (black background)
  get the same treatment as negatives, so a background never tells rice from not-rice.
- **frame-filling crops**: 10-30 % of a field photo's frame (a blade or a panicle filling the picture, the way
  people shoot a lesion), kept only when most of the crop is plant; inside a lab leaf's mask, a crop that is all
  leaf. The same for negatives whose label survives a crop (sugarcane blades, paddy weeds, chilli-field soil).

All functions are pure given a numpy Generator, so a view is a function of (photo, kind, seed) and can be cached.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageFilter
from scipy import ndimage

Mask = np.ndarray  # bool (H, W)


def _hsv(img: Image.Image) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hue in [0, 1), saturation and value in [0, 1] (numpy, no colour-management surprises)."""
    a = np.asarray(img.convert("HSV"), dtype=np.float32) / 255.0
    return a[..., 0], a[..., 1], a[..., 2]


def _clean(mask: Mask, min_part: float = 0.02) -> Mask:
    """Open away specks, fill holes (lesions inside a leaf are leaf), drop parts under min_part of the frame."""
    m = ndimage.binary_opening(mask, structure=np.ones((3, 3)), iterations=1)
    m = ndimage.binary_fill_holes(m)
    lab, n = ndimage.label(m)
    if n == 0:
        return m
    sizes = ndimage.sum(m, lab, index=np.arange(1, n + 1))
    keep = np.nonzero(sizes >= min_part * m.size)[0] + 1
    return np.isin(lab, keep)


def leaf_mask(img: Image.Image, background: str) -> Mask:
    """The leaf of a photo on a plain background.
    "light" (`rice-leaf`: cream paper): leaf = saturated or darker than the paper (its grey shadow is neither);
    "dark" (PlantVillage's segmented leaves on black): leaf = anything brighter than near-black."""
    _, s, v = _hsv(img)
    if background == "light":
        m = (s > 0.28) | (v < 0.55)
    elif background == "dark":
        m = v > 0.14
    else:
        raise ValueError(f"background must be 'light' or 'dark', not {background!r}")
    return _clean(m)


def plant_fraction(img: Image.Image) -> float:
    """Share of pixels that are plant-coloured (yellow to green hue, some saturation and light): a cheap check
    that a crop of a field photo still shows the plant, not just the hand, the shirt or the mud."""
    h, s, v = _hsv(img)
    # Hue 0.13-0.45 (47-162 degrees): yellow-green ripening rice to blue-green leaves; skin (about 20-30
    # degrees), straw, soil and mud fall below it, water and sky above.
    return float(((h > 0.13) & (h < 0.45) & (s > 0.25) & (v > 0.15)).mean())


def _square(img: Image.Image, rng: np.random.Generator, side: float) -> Image.Image:
    w, h = img.size
    side = int(round(min(side, w, h)))
    x = int(rng.integers(0, w - side + 1))
    y = int(rng.integers(0, h - side + 1))
    return img.crop((x, y, x + side, y + side))


def frame_fill_crop(img: Image.Image, rng: np.random.Generator, area: Tuple[float, float] = (0.10, 0.30),
                    min_plant: float = 0.5, tries: int = 12) -> Optional[Image.Image]:
    """A square crop covering `area` of the frame that is mostly plant (plant_fraction >= min_plant), or None
    when no try finds one (the photo is then not used for this kind of shot)."""
    w, h = img.size
    for _ in range(tries):
        side = math.sqrt(rng.uniform(*area) * w * h)
        c = _square(img, rng, side)
        if plant_fraction(c) >= min_plant:
            return c
    return None


def inside_mask_crop(img: Image.Image, mask: Mask, rng: np.random.Generator,
                     area: Tuple[float, float] = (0.15, 0.6), min_inside: float = 0.92,
                     tries: int = 16) -> Optional[Image.Image]:
    """A square crop that is (almost) all leaf: a lab leaf's lesion filling the frame, no paper behind it.
    `area` is relative to the leaf's own area (the strips are narrow: relative to the frame few crops fit)."""
    w, h = img.size
    leaf_area = float(mask.sum())
    for _ in range(tries):
        side = int(round(math.sqrt(rng.uniform(*area) * leaf_area)))
        side = min(side, w, h)
        if side < 24:
            continue
        x = int(rng.integers(0, w - side + 1))
        y = int(rng.integers(0, h - side + 1))
        if mask[y:y + side, x:x + side].mean() >= min_inside:
            return img.crop((x, y, x + side, y + side))
    return None


def plant_mask(img: Image.Image, min_saturation: float = 0.25) -> Mask:
    """Plant-coloured pixels (plant_fraction's rule), as a mask."""
    h, s, v = _hsv(img)
    return (h > 0.13) & (h < 0.45) & (s > min_saturation) & (v > 0.15)


# Lesion colours (RGB): dark brown centres, lighter tan and straw centres, and the yellow halo around them.
_LESION_CORE = np.array([[95, 55, 25], [130, 80, 35], [170, 130, 80], [200, 180, 130], [60, 40, 25]], np.float32)
_HALO = np.array([205, 190, 70], np.float32)


def add_lesions(img: Image.Image, rng: np.random.Generator, count: Tuple[int, int] = (3, 25)) -> Optional[Image.Image]:
    """Painted disease spots and streaks on the plant pixels of a photo: elongated brown or straw-coloured spots
    with a yellow halo, blurred edges and grain, the way leaf spot, blast and blight look from a phone. Rice
    photos here are nearly all diseased leaves; look-alike photos are nearly all healthy. Without spots on the
    look-alikes, "spotted leaf" alone would read as "rice" (diseased sugarcane close-ups were accepted 45 % of
    the time by the previous model). None when the photo has too little plant to paint on."""
    w, h = img.size
    plant = plant_mask(img, min_saturation=0.12)  # sugarcane's grey-green blades are barely saturated
    if plant.mean() < 0.15:
        return None
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    px = np.asarray(img, np.float32).copy()
    core_a = np.zeros((h, w), np.float32)
    halo_a = np.zeros((h, w), np.float32)
    colour = np.zeros((h, w, 3), np.float32)
    ys, xs = np.nonzero(plant)
    streaky = rng.uniform() < 0.3  # blight-like long streaks instead of spots
    for _ in range(int(rng.integers(count[0], count[1] + 1))):
        k = int(rng.integers(len(xs)))
        cx, cy = float(xs[k]), float(ys[k])
        major = rng.uniform(0.01, 0.06) * min(w, h) * (3.0 if streaky else 1.0)
        minor = major * (rng.uniform(0.08, 0.25) if streaky else rng.uniform(0.3, 0.7))
        a = rng.uniform(0, np.pi)
        dx, dy = xx - cx, yy - cy
        u = (dx * np.cos(a) + dy * np.sin(a)) / major
        v = (-dx * np.sin(a) + dy * np.cos(a)) / minor
        d = np.sqrt(u * u + v * v)
        core = np.clip(1.5 - 1.5 * d, 0, 1)
        halo = np.clip(1.0 - np.abs(d - 1.1) / 0.5, 0, 1) * rng.uniform(0.3, 0.9)
        c = _LESION_CORE[rng.integers(len(_LESION_CORE))] * rng.uniform(0.85, 1.15)
        newer = core > core_a
        colour[newer] = c
        core_a = np.maximum(core_a, core)
        halo_a = np.maximum(halo_a, halo * (core < 0.05))
    grain = 1.0 + rng.normal(0, 0.12, (h, w)).astype(np.float32)
    core_a = np.clip(core_a * grain, 0, 1) * plant
    halo_a = halo_a * plant
    px = px * (1 - halo_a[..., None] * 0.6) + _HALO * (halo_a[..., None] * 0.6)
    px = px * (1 - core_a[..., None]) + colour * core_a[..., None]
    out = Image.fromarray(np.clip(px, 0, 255).astype(np.uint8))
    return out.filter(ImageFilter.GaussianBlur(0.6))


# Plain backgrounds where no photo has one: paper, cloth, skin, sky, soil, concrete (RGB).
PLAIN_COLOURS = np.array([
    [236, 232, 222], [250, 250, 250], [60, 80, 140], [30, 30, 35], [200, 60, 50], [90, 120, 170],  # paper, cloth
    [224, 172, 140], [198, 134, 98], [141, 85, 54], [94, 58, 40],  # skin
    [135, 180, 230], [190, 210, 235], [170, 170, 175],  # sky, overcast
    [120, 95, 70], [80, 60, 45], [150, 130, 105],  # soil, dry and wet
    [128, 128, 120],  # concrete
], dtype=np.float32)


def plain_background(rng: np.random.Generator, size: int) -> Image.Image:
    """A plain colour with a soft light gradient and sensor-like noise (never flat: no photo is)."""
    c = PLAIN_COLOURS[rng.integers(len(PLAIN_COLOURS))] * rng.uniform(0.8, 1.15, 3)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    a = rng.uniform(-1, 1, 2)
    grad = 1.0 + 0.25 * (a[0] * (xx - 0.5) + a[1] * (yy - 0.5))
    px = c[None, None, :] * grad[..., None] + rng.normal(0, 4.0, (size, size, 3))
    return Image.fromarray(np.clip(px, 0, 255).astype(np.uint8))


def blurred_background(photo: Image.Image, rng: np.random.Generator, size: int) -> Image.Image:
    """A random square of a photo, blurred well past leaf detail (sigma 2.5-6 % of the side: out-of-focus),
    brightness varied."""
    c = _square(photo, rng, min(photo.size) * rng.uniform(0.4, 1.0)).resize((size, size), Image.BILINEAR)
    c = c.filter(ImageFilter.GaussianBlur(size * rng.uniform(0.025, 0.06)))
    g = rng.uniform(0.75, 1.2)
    return c.point(lambda v: min(255, int(v * g + 0.5)))


def paste_leaf(leaf: Image.Image, mask: Mask, background: Image.Image, rng: np.random.Generator,
               min_cover: float = 0.08) -> Optional[Image.Image]:
    """The masked leaf, rotated by any angle and scaled so its longer side spans 0.6-1.4 x the frame, pasted with
    a feathered edge at a random place that keeps its centre in the middle half. A leaf the photo's edge cut
    (most lab crops: a strip across the frame) spans 0.9-2.0 x the frame instead, so its straight cut ends
    often fall outside the picture, as in a close-up of a leaf on the plant. None if it covers under
    `min_cover` of the frame."""
    ys, xs = np.nonzero(mask)
    if len(xs) < 50:
        return None
    cut = bool(mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any())
    length = (0.9, 2.0) if cut else (0.6, 1.4)
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    fg = leaf.crop(box)
    alpha = Image.fromarray((mask[box[1]:box[3], box[0]:box[2]] * 255).astype(np.uint8))
    angle = float(rng.uniform(0, 360))
    fg = fg.rotate(angle, resample=Image.BILINEAR, expand=True)
    alpha = alpha.rotate(angle, resample=Image.BILINEAR, expand=True)
    a = np.asarray(alpha) > 127
    ys, xs = np.nonzero(a)
    if len(xs) == 0:
        return None
    tight = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    fg, alpha = fg.crop(tight), alpha.crop(tight)
    size = background.size[0]
    k = rng.uniform(*length) * size / max(fg.size)
    nw, nh = max(2, int(round(fg.size[0] * k))), max(2, int(round(fg.size[1] * k)))
    fg = fg.resize((nw, nh), Image.BILINEAR)
    alpha = alpha.resize((nw, nh), Image.BILINEAR).filter(ImageFilter.GaussianBlur(max(0.6, size / 220)))
    fg = fg.point(lambda v: min(255, int(v * rng.uniform(0.85, 1.1) + 0.5)))  # the light where it lies
    cx, cy = rng.uniform(0.25, 0.75, 2) * size
    x, y = int(round(cx - nw / 2)), int(round(cy - nh / 2))
    out = background.copy()
    out.paste(fg, (x, y), alpha)
    cover = np.zeros((size, size), bool)
    ax = np.asarray(alpha) > 127
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(size, x + nw), min(size, y + nh)
    if x1 <= x0 or y1 <= y0:
        return None
    cover[y0:y1, x0:x1] = ax[y0 - y:y1 - y, x0 - x:x1 - x]
    if cover.mean() < min_cover:
        return None
    return out


def composite(leaf: Image.Image, mask: Mask, background_photo: Optional[Image.Image], rng: np.random.Generator,
              size: int = 256, tries: int = 6) -> Optional[Image.Image]:
    """A cut-out leaf on a background: a blurred photo when given, else a plain colour."""
    for _ in range(tries):
        bg = (blurred_background(background_photo, rng, size) if background_photo is not None
              else plain_background(rng, size))
        out = paste_leaf(leaf, mask, bg, rng)
        if out is not None:
            return out
    return None


def mask_cover(masks: Sequence[Mask]) -> np.ndarray:
    return np.array([float(m.mean()) for m in masks])
