"""The one image -> tensor recipe (docs/contracts.md section 2), shared by training, calibration,
evaluation and the test vectors. The TypeScript worker reimplements exactly this."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional, Sequence, Tuple

import numpy as np
from PIL import Image, ImageOps

SIZE = 160  # the shipped model's input (models/manifest.json); pipeline.PipelineConfig.size

def preprocessing(size: int = SIZE) -> dict:
    """Written verbatim into manifest.preprocessing; the worker reads it."""
    return {
        "id": "cropgate-preprocess-v1",
        "orientation": "exif",
        "colorSpace": "RGB",
        "crop": {"mode": "center-square"},
        "resize": {
            "width": size,
            "height": size,
            "filter": "box",
            "antialias": True,
            "reference": "Pillow Image.resize(resample=BOX, box=crop) on float32 ('F') channels",
        },
        "scale": {"mean": [127.5, 127.5, 127.5], "std": [127.5, 127.5, 127.5]},
        "layout": "NCHW",
        "dtype": "float32",
    }


PREPROCESSING = preprocessing(SIZE)

Box = Tuple[float, float, float, float]


def decode(path: str | Path) -> Image.Image:
    """Step 1: decode to 8-bit RGB (before orientation)."""
    with Image.open(path) as im:
        im.load()
        return im.convert("RGB") if im.mode != "RGB" else im.copy()


def load_rgb(path: str | Path) -> Image.Image:
    """Steps 1-2: decode, apply EXIF orientation, RGB."""
    with Image.open(path) as im:
        im.load()
        im = ImageOps.exif_transpose(im)
        # exif_transpose keeps the mode; convert after so palette/CMYK/L all become RGB.
        return im.convert("RGB") if im.mode != "RGB" else im.copy()


def center_square_box(width: int, height: int) -> Box:
    """Step 3: integer center-square crop box (left, top, right, bottom)."""
    side = min(width, height)
    left = (width - side) // 2
    top = (height - side) // 2
    return (float(left), float(top), float(left + side), float(top + side))


def array_to_tensor(rgb: np.ndarray, box: Optional[Sequence[float]] = None, size: int = SIZE) -> np.ndarray:
    """Steps 3-5 on an HxWx3 array (uint8 or float): box resize per 'F' channel, scale, CHW float32."""
    h, w = rgb.shape[:2]
    box = tuple(float(v) for v in (box if box is not None else center_square_box(w, h)))
    chans = [
        np.asarray(
            Image.fromarray(np.ascontiguousarray(rgb[:, :, c]).astype(np.float32), "F").resize(
                (size, size), Image.BOX, box=box
            ),
            dtype=np.float32,
        )
        for c in range(3)
    ]
    x = np.stack(chans, axis=0)
    return ((x - np.float32(127.5)) / np.float32(127.5)).astype(np.float32)


def image_to_tensor(img: Image.Image, box: Optional[Sequence[float]] = None, size: int = SIZE) -> np.ndarray:
    """Steps 3-5 on an already oriented RGB PIL image -> (3, size, size) float32."""
    return array_to_tensor(np.asarray(img.convert("RGB")), box=box, size=size)


def preprocess_file(path: str | Path, size: int = SIZE) -> np.ndarray:
    """The whole recipe for one file -> (3, size, size) float32."""
    return image_to_tensor(load_rgb(path), size=size)


def formula_image(width: int, height: int) -> np.ndarray:
    """Decoder-independent input of the resize vectors (contract section 4)."""
    x = np.arange(width, dtype=np.int64)[None, :, None]
    y = np.arange(height, dtype=np.int64)[:, None, None]
    c = np.arange(3, dtype=np.int64)[None, None, :]
    return ((x * 7 + y * 13 + c * 71 + (x * y) % 17) % 256).astype(np.uint8)


def sample_indices(n: int = 3 * SIZE * SIZE, count: int = 64) -> list[int]:
    """Fixed, spread-out flat indices into an NCHW tensor (first, last, and evenly between)."""
    step = (n - 1) / (count - 1)
    return sorted({int(math.floor(i * step)) for i in range(count)})
