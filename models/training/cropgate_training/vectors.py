"""Test vectors (docs/contracts.md section 4): what the TypeScript side must reproduce."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from .data import FIXTURES, REPO
from .preprocess import PREPROCESSING, SIZE, array_to_tensor, decode, formula_image, load_rgb, image_to_tensor, \
    sample_indices

RESIZE_CASES = [
    {"width": 301, "height": 203, "box": None},
    {"width": 64, "height": 48, "box": None},
    {"width": 97, "height": 97, "box": [3.5, 2.25, 90.75, 89.5]},
]


def tensor_summary(x: np.ndarray) -> Dict:
    x = np.ascontiguousarray(x, dtype="<f4")
    flat = x.reshape(-1)
    idx = sample_indices(flat.size)
    return {"sum": float(flat.astype(np.float64).sum()), "mean": float(flat.astype(np.float64).mean()),
            "std": float(flat.astype(np.float64).std()), "min": float(flat.min()), "max": float(flat.max()),
            "sha256": hashlib.sha256(flat.tobytes()).hexdigest(),
            "sample": [float(flat[i]) for i in idx], "sampleIndices": idx,
            "channelMeans": [float(c) for c in x.reshape(3, -1).astype(np.float64).mean(axis=1)]}


def resize_vectors(size: int = SIZE) -> List[Dict]:
    out = []
    for case in RESIZE_CASES:
        x = array_to_tensor(formula_image(case["width"], case["height"]), box=case["box"], size=size)
        out.append({**case, "tensor": tensor_summary(x)})
    return out


def _decodes(path: Path, max_pixels: int = 50_000_000) -> bool:
    from PIL import Image

    try:
        with Image.open(path) as im:
            if im.size[0] * im.size[1] > max_pixels:  # e.g. the 65535x65535 header-limit fixture
                return False
            im.load()
        return True
    except Exception:  # truncated and other error-path fixtures: nothing to compare
        return False


def fixture_files(fixtures_dir: Path = FIXTURES) -> List[Path]:
    """The top-level JPEG fixtures and the decodable JPEG variants (orientation, subsampling, CMYK, grey,
    progressive...) under variants/; tomato/ is the CLI's enrolment set, not the gate's."""
    top = [p for p in fixtures_dir.iterdir() if p.suffix.lower() in (".jpg", ".jpeg")]
    var = fixtures_dir / "variants"
    more = [p for p in var.iterdir() if p.suffix.lower() in (".jpg", ".jpeg") and _decodes(p)] if var.is_dir() else []
    return sorted(top) + sorted(more)


def verdict(score: float, threshold: float, lower: float) -> str:
    """The worker's verdict words (src/scoring/verdict.ts): normal, uncertain (the band), anomaly."""
    return "normal" if score >= threshold else "uncertain" if score >= lower else "anomaly"


def image_vectors(files: Sequence[Path], embed_fp32: Callable[[np.ndarray], np.ndarray],
                  embed_int8: Callable[[np.ndarray], np.ndarray], refs: np.ndarray, threshold: float,
                  lower: float, size: int = SIZE) -> List[Dict]:
    """refs: the reference's scoring vectors (its centroid, or its prototypes): score = the largest cosine of the
    int8 embedding to any of them."""
    refs = np.atleast_2d(np.asarray(refs, np.float64))
    refs = refs / np.linalg.norm(refs, axis=1, keepdims=True)
    out = []
    for f in files:
        raw = decode(f)  # step 1 only: checks the JPEG decoder on its own
        x = image_to_tensor(load_rgb(f), size=size)
        e32 = embed_fp32(x[None])[0]
        e8 = embed_int8(x[None])[0]
        score = float((refs @ (e8 / np.linalg.norm(e8))).max())
        out.append({
            "file": f.resolve().relative_to(REPO).as_posix(),
            "decoded": {"width": raw.size[0], "height": raw.size[1],
                        "sha256": hashlib.sha256(np.asarray(raw, dtype=np.uint8).tobytes()).hexdigest(),
                        "note": "RGB bytes after decoding, before EXIF orientation"},
            "tensor": tensor_summary(x),
            "embeddingFp32": [float(v) for v in e32],
            "embeddingInt8": [float(v) for v in e8],
            "score": score,
            "verdict": verdict(score, threshold, lower),
        })
    return out


def build(model_sha256: str, fp32_sha256: str, images: List[Dict], size: int = SIZE) -> Dict:
    """`score` of every image is the shipped reference's score in the primary `embedding` output."""
    return {"schema": "cropgate.test-vectors/v1", "model": {"sha256": model_sha256, "fp32Sha256": fp32_sha256},
            "preprocessing": PREPROCESSING["id"], "scoreOutput": "embedding", "images": images,
            "resizeVectors": resize_vectors(size)}
