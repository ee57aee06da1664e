"""ImageNet classification with the ported MobileNetV2: the TFLite model's input recipe and its labels.

Only for checking the port (``tflite_port``) against the .tflite file; cropgate's own embedder uses
the contract recipe in ``preprocess``. Run as a module to print the comparison figures:

    models/.venv/bin/python -m cropgate_training.imagenet [--data DIR] [--weights DIR]
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch
from PIL import Image, ImageOps

from .tflite_port import read_tflite

SIZE = 224
# TF-slim's inception_preprocessing.preprocess_for_eval (used for MobileNet) keeps the central 87.5 %.
CENTRAL_FRACTION = 0.875
IMAGE_EXTS = {".jpg", ".jpeg", ".png"}
REPO = Path(__file__).resolve().parents[3]


def load_labels(path: str | Path) -> list[str]:
    """The 1001 labels of the TF-slim checkpoint (line 0 is "background")."""
    labels = Path(path).read_text(encoding="utf-8").splitlines()
    if len(labels) != 1001 or labels[0] != "background":
        raise ValueError(f"{path}: expected 1001 labels starting with 'background', got {len(labels)}")
    return labels


def central_square(width: int, height: int, fraction: float = CENTRAL_FRACTION) -> tuple[int, int, int, int]:
    """Integer (left, top, right, bottom) of the centred square covering `fraction` of the short side."""
    if not 0 < fraction <= 1:
        raise ValueError(f"central fraction must be in (0, 1], got {fraction}")
    side = max(1, round(min(width, height) * fraction))
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def imagenet_pixels(image: Image.Image, size: int = SIZE, fraction: float = CENTRAL_FRACTION) -> np.ndarray:
    """(size, size, 3) uint8 RGB: EXIF-oriented, central square crop, bilinear (antialiased) resize.

    uint8 so that the TFLite interpreter (uint8 input) and the port see exactly the same pixels.
    """
    image = ImageOps.exif_transpose(image).convert("RGB")
    box = central_square(*image.size, fraction=fraction)
    return np.asarray(image.resize((size, size), Image.BILINEAR, box=box), dtype=np.uint8)


def load_imagenet_pixels(path: str | Path, size: int = SIZE, fraction: float = CENTRAL_FRACTION) -> np.ndarray:
    with Image.open(path) as im:
        # JPEG DCT scaling: decoding a 2560 px photo at 1/4 is ~10x faster and still >= 2x the output.
        im.draft("RGB", (2 * size, 2 * size))
        return imagenet_pixels(im, size, fraction)


def pixels_to_tensor(pixels: np.ndarray) -> torch.Tensor:
    """uint8 (H, W, 3) or (N, H, W, 3) RGB -> float32 NCHW in [-1, 1] (``x / 127.5 - 1``)."""
    if pixels.dtype != np.uint8 or pixels.shape[-1] != 3 or pixels.ndim not in (3, 4):
        raise ValueError(f"expected uint8 (H, W, 3) or (N, H, W, 3), got {pixels.dtype} {pixels.shape}")
    batch = pixels[None] if pixels.ndim == 3 else pixels
    x = torch.from_numpy(np.ascontiguousarray(batch)).permute(0, 3, 1, 2).float()
    return x / 127.5 - 1.0


def top_k(logits: torch.Tensor, labels: Sequence[str], k: int = 5) -> list[list[tuple[str, float]]]:
    """Per row, the k most probable (label, softmax probability) pairs."""
    probs, idx = torch.softmax(logits, dim=-1).topk(k, dim=-1)
    return [[(labels[i], float(p)) for p, i in zip(pr, ix)] for pr, ix in zip(probs.tolist(), idx.tolist())]


def image_files(folder: str | Path) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTS)


# --------------------------------------------------------------------------------- TFLite reference


@dataclass(frozen=True)
class TFLiteOutputs:
    probs: np.ndarray  # (N, 1001) dequantized uint8 softmax (steps of 1/256)
    logits: np.ndarray  # (N, 1001) dequantized uint8 logits (the tensor feeding the softmax)


class TFLiteClassifier:
    """The .tflite file run by Google's LiteRT interpreter (``ai-edge-litert``), as the reference."""

    def __init__(self, tflite_path: str | Path, num_threads: int = 2):
        from ai_edge_litert.interpreter import Interpreter  # optional: only the port's checks need it

        # preserve_all_tensors keeps the logits (the softmax input) readable after invoke().
        self._it = Interpreter(model_path=str(tflite_path), num_threads=num_threads,
                               experimental_preserve_all_tensors=True)
        self._it.allocate_tensors()
        (inp,), (out,) = self._it.get_input_details(), self._it.get_output_details()
        self._input, self._output = inp["index"], out["index"]
        self.input_shape = tuple(inp["shape"])
        softmax = next(op for op in read_tflite(tflite_path).operators if op.kind == "SOFTMAX")
        self._logits = softmax.inputs[0]
        self._quant = {d["index"]: d["quantization"] for d in self._it.get_tensor_details()
                       if d["index"] in (self._output, self._logits)}

    def _dequantized(self, index: int) -> np.ndarray:
        scale, zero = self._quant[index]
        return (self._it.get_tensor(index).astype(np.float64) - zero) * scale

    def __call__(self, pixels: np.ndarray) -> TFLiteOutputs:
        """uint8 (N, 224, 224, 3) RGB -> dequantized probabilities and logits."""
        probs, logits = [], []
        for image in pixels:
            self._it.set_tensor(self._input, image[None])
            self._it.invoke()
            probs.append(self._dequantized(self._output)[0])
            logits.append(self._dequantized(self._logits)[0])
        return TFLiteOutputs(np.stack(probs), np.stack(logits))
