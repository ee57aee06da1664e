"""Phone-photo augmentations on the PIL image, applied before the canonical preprocessing step.
Randomness comes from torch's generator so a seeded run is reproducible."""
from __future__ import annotations

import io
import math

import torch
from PIL import Image
from torchvision import transforms as T


def _uniform(lo: float, hi: float) -> float:
    return lo + (hi - lo) * float(torch.rand(()))


class RotateCrop:
    """Rotate by up to +-degrees and crop to the largest inscribed axis-aligned rectangle, so no fill
    colour leaks in (black corners would look like the black background of the apple-leaf photos)."""

    def __init__(self, degrees: float = 25.0, p: float = 0.5):
        self.degrees, self.p = degrees, p

    def __call__(self, img: Image.Image) -> Image.Image:
        if float(torch.rand(())) >= self.p:
            return img
        a = _uniform(-self.degrees, self.degrees)
        w, h = img.size
        r = math.radians(abs(a))
        # Largest rectangle of the same aspect ratio inside the rotated one.
        k = 1.0 / (math.cos(r) + math.sin(r) * max(w, h) / min(w, h))
        out = img.rotate(a, resample=Image.BILINEAR, expand=False)
        cw, ch = w * k, h * k
        return out.crop((int((w - cw) / 2), int((h - ch) / 2), int((w + cw) / 2), int((h + ch) / 2)))


class JpegRecompress:
    """Re-encode at a random JPEG quality, as phones and messengers do."""

    def __init__(self, quality=(35, 95), p: float = 0.5):
        self.quality, self.p = quality, p

    def __call__(self, img: Image.Image) -> Image.Image:
        if float(torch.rand(())) >= self.p:
            return img
        q = int(round(_uniform(*self.quality)))
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=q)
        buf.seek(0)
        with Image.open(buf) as im:
            return im.convert("RGB")


class Downscale:
    """Shrink to a random short side and back up: the detail a distant or cheap camera, or a messenger's
    resize, leaves."""

    def __init__(self, short_side=(48, 128), p: float = 0.3):
        self.short_side, self.p = short_side, p

    def __call__(self, img: Image.Image) -> Image.Image:
        if float(torch.rand(())) >= self.p:
            return img
        w, h = img.size
        f = _uniform(*self.short_side) / min(w, h)
        if f >= 1.0:
            return img
        small = img.resize((max(1, round(w * f)), max(1, round(h * f))), Image.BILINEAR)
        return small.resize((w, h), Image.BILINEAR)


class Exposure:
    """Multiply pixel values: under- and over-exposed shots (ColorJitter's brightness is milder)."""

    def __init__(self, gain=(0.5, 1.6), p: float = 0.3):
        self.gain, self.p = gain, p

    def __call__(self, img: Image.Image) -> Image.Image:
        if float(torch.rand(())) >= self.p:
            return img
        g = math.exp(_uniform(math.log(self.gain[0]), math.log(self.gain[1])))
        return img.point(lambda v: min(255, int(v * g + 0.5)))


def phone_photo(out_size: int = 160) -> T.Compose:
    """How people frame a shot: from a quarter of the frame (closer) to all of it (farther), tilted, in
    other light, blurred, re-encoded, downscaled. Output is a square-ish PIL image; the canonical step
    then box-resizes it to the model size."""
    return T.Compose(
        [
            RotateCrop(25.0, p=0.5),
            T.RandomResizedCrop(out_size, scale=(0.25, 1.0), ratio=(3 / 4, 4 / 3)),
            T.RandomHorizontalFlip(),
            T.RandomVerticalFlip(),
            T.RandomApply([T.ColorJitter(0.35, 0.35, 0.3, 0.03)], p=0.8),
            Exposure((0.5, 1.6), p=0.3),
            T.RandomApply([T.GaussianBlur(5, sigma=(0.1, 1.6))], p=0.3),
            Downscale((48, 128), p=0.25),
            JpegRecompress((35, 95), p=0.5),
        ]
    )


def phone_finish() -> T.Compose:
    """phone_photo without the framing: for synthetic shots that are already framed (synth.py), the light,
    focus, resolution and compression of a phone."""
    return T.Compose(
        [
            T.RandomHorizontalFlip(),
            T.RandomApply([T.ColorJitter(0.3, 0.3, 0.25, 0.03)], p=0.7),
            Exposure((0.6, 1.5), p=0.25),
            T.RandomApply([T.GaussianBlur(5, sigma=(0.1, 1.4))], p=0.25),
            Downscale((64, 128), p=0.2),
            JpegRecompress((40, 95), p=0.5),
        ]
    )
