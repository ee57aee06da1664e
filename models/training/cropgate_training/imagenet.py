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
from typing import Callable, Iterable, Sequence

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
    logits: np.ndarray | None  # (N, 1001) dequantized uint8 logits (the softmax input), if kept


class TFLiteClassifier:
    """The .tflite file run by Google's LiteRT interpreter (``ai-edge-litert``), as the reference."""

    def __init__(self, tflite_path: str | Path, num_threads: int = 2, keep_logits: bool = True):
        from ai_edge_litert.interpreter import Interpreter  # optional: only the port's checks need it

        # preserve_all_tensors keeps the logits (the softmax input) readable after invoke(); it is a
        # debugging mode, so timings use keep_logits=False.
        self._keep_logits = keep_logits
        self._it = Interpreter(model_path=str(tflite_path), num_threads=num_threads,
                               experimental_preserve_all_tensors=keep_logits)
        self._it.allocate_tensors()
        (inp,), (out,) = self._it.get_input_details(), self._it.get_output_details()
        self._input, self._output = inp["index"], out["index"]
        self.input_shape = tuple(int(s) for s in inp["shape"])
        softmax = next(op for op in read_tflite(tflite_path).operators if op.kind == "SOFTMAX")
        self._logits = softmax.inputs[0]
        self._quant = {d["index"]: d["quantization"] for d in self._it.get_tensor_details()
                       if d["index"] in (self._output, self._logits)}

    def _dequantized(self, index: int) -> np.ndarray:
        scale, zero = self._quant[index]
        return (self._it.get_tensor(index).astype(np.float64) - zero) * scale

    def __call__(self, pixels: np.ndarray) -> TFLiteOutputs:
        """uint8 (N, 224, 224, 3) RGB -> dequantized probabilities and logits."""
        if pixels.dtype != np.uint8 or tuple(pixels.shape[1:]) != self.input_shape[1:]:
            raise ValueError(f"expected uint8 (N, {', '.join(map(str, self.input_shape[1:]))}), "
                             f"got {pixels.dtype} {pixels.shape}")
        probs, logits = [], []
        for image in pixels:
            self._it.set_tensor(self._input, image[None])
            self._it.invoke()
            probs.append(self._dequantized(self._output)[0])
            if self._keep_logits:
                logits.append(self._dequantized(self._logits)[0])
        return TFLiteOutputs(np.stack(probs), np.stack(logits) if logits else None)


# --------------------------------------------------------------------------------- measurement


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def compare(logits: np.ndarray, ref: TFLiteOutputs) -> dict[str, float]:
    """Agreement of float logits with the .tflite outputs on the same pixels."""
    probs = _softmax(logits)
    corr = np.array([np.corrcoef(a, b)[0, 1] for a, b in zip(logits, ref.logits)])
    return {
        "top1_agreement": float((probs.argmax(1) == ref.probs.argmax(1)).mean()),
        "mean_abs_dprob": float(np.abs(probs - ref.probs).mean()),
        "max_abs_dprob": float(np.abs(probs - ref.probs).max()),
        "mean_abs_dtop1prob": float(np.abs(probs.max(1) - ref.probs.max(1)).mean()),
        "logit_corr_min": float(corr.min()),
        "logit_corr_median": float(np.median(corr)),
    }


def _best_times(fns: dict[str, Callable], batch, repeats: int) -> dict[str, float]:
    """Best-of-`repeats` seconds per image for each function, interleaved so load from other
    processes on a shared machine hits all of them alike."""
    for fn in fns.values():
        fn(batch)  # warm-up (allocations, XNNPACK weight packing)
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn(batch)
            best[name] = min(best[name], time.perf_counter() - t)
    return {name: b / len(batch) for name, b in best.items()}


def main(argv: Iterable[str] | None = None) -> None:
    from .tflite_port import load_imagenet_mobilenet_v2

    default_data = Path(os.environ.get("CROPGATE_DATA", REPO.parent / "shared" / "data"))
    default_weights = Path(os.environ.get("CROPGATE_WEIGHTS", REPO.parent / "shared" / "weights"))
    ap = argparse.ArgumentParser(description="Compare the TFLite->torchvision port with the .tflite file.")
    ap.add_argument("--data", type=Path, default=default_data)
    ap.add_argument("--weights", type=Path, default=default_weights)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(None if argv is None else list(argv))
    torch.set_num_threads(args.threads)
    tflite_path = args.weights / "mobilenet_v2_1.0_224_quant.tflite"

    files = image_files(args.data / "negatives" / "photos") + image_files(args.data / "negatives" / "coco")
    pixels = np.stack([load_imagenet_pixels(f) for f in files])
    t = time.perf_counter()
    port = load_imagenet_mobilenet_v2(tflite_path)
    load_s = time.perf_counter() - t
    symmetric = load_imagenet_mobilenet_v2(tflite_path, tf_padding=False)
    reference = TFLiteClassifier(tflite_path, num_threads=args.threads)

    def logits(model: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            return torch.cat([model(x[i:i + 16]) for i in range(0, len(x), 16)]).double().numpy()

    ref = reference(pixels)
    x = pixels_to_tensor(pixels)
    # What the .tflite sees after its own input dequantization: (q - 128) / 128, not x / 127.5 - 1.
    x_exact = (torch.from_numpy(pixels).permute(0, 3, 1, 2).float() - 128) / 128
    print(f"{len(files)} photos (negatives/photos + negatives/coco), {args.threads} threads, "
          f"torch {torch.__version__}; port loaded in {load_s:.2f} s")
    for name, model, inp in [("port, x/127.5-1", port, x), ("port, (x-128)/128", port, x_exact),
                             ("symmetric padding", symmetric, x)]:
        print(f"  {name:20s} " + "  ".join(f"{k} {v:.4g}" for k, v in compare(logits(model, inp), ref).items()))

    print("runtime per image (best of 5, interleaved), same process:")
    timed_reference = TFLiteClassifier(tflite_path, num_threads=args.threads, keep_logits=False)
    tfl = _best_times({"tflite": timed_reference}, pixels[:8], 5)["tflite"]
    print(f"  tflite uint8 (LiteRT CPU) 224 px, one image per invoke: {tfl * 1e3:.1f} ms (baseline)")
    with torch.no_grad():
        for size, batch in [(224, 1), (224, 16), (128, 16)]:
            xb = torch.rand(batch, 3, size, size) * 2 - 1
            t = _best_times({"port": port, "plain": symmetric}, xb, 5)
            print(f"  port float32 {size} px batch {batch:2d}: {t['port'] * 1e3:.1f} ms/image "
                  f"({t['port'] / tfl:.1f}x tflite); with torchvision's symmetric padding instead "
                  f"{t['plain'] * 1e3:.1f} ms ({t['port'] / t['plain']:.2f}x)")

if __name__ == "__main__":
    main()
