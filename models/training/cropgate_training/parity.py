"""Does a transformed model answer like the one it replaces? Every JPEG of the shared set through both
(the contract's preprocessing, onnxruntime on CPU), compared output by output and verdict by verdict
against a reference file (models/references/rice.json): issue 15's bar for keeping a graph pass is
verdicts agreeing on >= 99.5 % of the photos and |score change| <= 0.01."""
from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from . import onnx_export
from .preprocess import SIZE, preprocess_file
from .scoring import l2n

AGREEMENT_GOAL = 0.995
SCORE_GOAL = 0.01


def photos(data_dir: Path) -> List[Path]:
    return sorted(p for p in Path(data_dir).rglob("*") if p.suffix.lower() in (".jpg", ".jpeg"))


def tensors(files: Sequence[Path], cache: Optional[Path] = None, size: int = SIZE,
            log: Callable[[str], None] = print) -> np.ndarray:
    """(N, 3, size, size) float32 of `files`, cached in `cache` (.npy, keyed by the file list and size)."""
    key = hashlib.sha256(("\n".join(map(str, files)) + f"|{size}").encode()).hexdigest()[:16]
    path = cache / f"parity-tensors-{size}-{key}.npy" if cache else None
    if path and path.exists():
        return np.load(path)
    log(f"preprocessing {len(files)} photos at {size} px ...")
    with ThreadPoolExecutor(2) as ex:
        x = np.stack(list(ex.map(lambda f: preprocess_file(f, size), files)))
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, x)
    return x


def reference_scores(outputs: Dict[str, np.ndarray], reference: Dict) -> np.ndarray:
    """The reference's score for each row (centroid-cosine, or prototype-max-cosine), in its output space."""
    e = l2n(outputs[reference["model"].get("output", "embedding")])
    if reference["threshold"].get("score", "centroid-cosine") == "prototype-max-cosine":
        return (e @ l2n(np.asarray(reference["prototypes"])).T).max(axis=1)
    return e @ l2n(np.asarray(reference["centroid"]))


def verdicts(scores: np.ndarray, reference: Dict) -> np.ndarray:
    t = reference["threshold"]
    value, lower = t["value"], t.get("lower", t["value"])
    return np.where(scores >= value, 2, np.where(scores >= lower, 1, 0))  # normal / uncertain / anomaly


def compare(base: Dict[str, np.ndarray], cand: Dict[str, np.ndarray], reference: Dict) -> Dict:
    """Output cosines, score changes and verdict agreement of `cand` against `base` (same rows)."""
    out: Dict = {"photos": int(len(next(iter(base.values()))))}
    for name in base:
        cos = onnx_export.cosine_rows(base[name], cand[name])
        out[f"{name}Cosine"] = {"min": float(cos.min()), "p01": float(np.quantile(cos, 0.01)),
                                "median": float(np.median(cos))}
    sb, sc = reference_scores(base, reference), reference_scores(cand, reference)
    d = np.abs(sc - sb)
    agree = float((verdicts(sb, reference) == verdicts(sc, reference)).mean())
    out["score"] = {"maxAbsChange": float(d.max()), "p99AbsChange": float(np.quantile(d, 0.99)),
                    "meanAbsChange": float(d.mean()), "over0.01": int((d > SCORE_GOAL).sum())}
    out["verdictAgreement"] = agree
    out["parity"] = bool(agree >= AGREEMENT_GOAL and d.max() <= SCORE_GOAL)
    return out


def run_model(path: Path, x: np.ndarray, config: Optional[Dict[str, str]] = None) -> Dict[str, np.ndarray]:
    return onnx_export.run_all(onnx_export.session(path, 2, config), x)


def report(name: str, r: Dict) -> str:
    parts = [f"{k[:-6]} cosine min {v['min']:.5f} p01 {v['p01']:.5f}" for k, v in r.items() if k.endswith("Cosine")]
    s = r["score"]
    return (f"{name}: {r['photos']} photos; " + "; ".join(parts) +
            f"; |score change| max {s['maxAbsChange']:.4f} p99 {s['p99AbsChange']:.4f} mean {s['meanAbsChange']:.5f}"
            f" ({s['over0.01']} over 0.01); verdicts agree {100 * r['verdictAgreement']:.2f} %"
            f" -> parity {'HOLDS' if r['parity'] else 'BROKEN'} (goal >= {100 * AGREEMENT_GOAL:.1f} %, <= {SCORE_GOAL})")


def dump(path: Path, results: Dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
