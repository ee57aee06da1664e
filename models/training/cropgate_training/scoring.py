"""Reference maths: normalisation, centroid, prototypes, threshold policy, score statistics, ROC metrics."""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import roc_auc_score, roc_curve


def l2n(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(n, 1e-12)


def centroid(embeddings: np.ndarray) -> np.ndarray:
    """L2-normalised mean of ALL the (each normalised) embeddings."""
    return l2n(l2n(embeddings).mean(axis=0))


def last_batch_centroid(embeddings: np.ndarray, batch: int = 32) -> np.ndarray:
    """The reference recipe's bug, kept only as a baseline: the centroid of the last batch only."""
    n = len(embeddings)
    start = ((n - 1) // batch) * batch
    return centroid(embeddings[start:])


def prototypes(embeddings: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    k = max(1, min(k, len(embeddings)))
    km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(l2n(embeddings))
    centres = l2n(km.cluster_centers_)
    return centres[np.argsort(-np.bincount(km.labels_, minlength=k), kind="stable")]  # biggest first


def centroid_scores(embeddings: np.ndarray, c: np.ndarray) -> np.ndarray:
    return l2n(embeddings) @ np.asarray(c, dtype=np.float64)


def threshold_at_accept_rate(normal_scores: Sequence[float], target: float) -> float:
    """Largest observed normal score t with mean(score >= t) >= target (verdict: score >= t is normal)."""
    s = np.sort(np.asarray(normal_scores, dtype=np.float64))
    k = int(np.floor((1.0 - target) * len(s) + 1e-9))
    return float(s[min(k, len(s) - 1)])


def stats(scores: Sequence[float], threshold: Optional[float] = None) -> Dict:
    s = np.asarray(scores, dtype=np.float64)
    edges = np.linspace(-1.0, 1.0, 41)
    counts, _ = np.histogram(np.clip(s, -1.0, 1.0), bins=edges)
    q = {f"p{p:02d}": float(np.quantile(s, p / 100)) for p in (1, 5, 10, 50, 90, 95, 99)}
    out = {"count": int(len(s)), "mean": float(s.mean()), "std": float(s.std()), "min": float(s.min()),
           "max": float(s.max()), "quantiles": q,
           "histogram": {"edges": [round(float(e), 4) for e in edges], "counts": [int(c) for c in counts]}}
    if threshold is not None:
        out["acceptRate"] = float((s >= threshold).mean())
    return out


def roc_metrics(normal: Sequence[float], negative: Sequence[float]) -> Dict[str, float]:
    """AUROC, FPR at 95 % TPR and TPR at 1 % FPR, normal = positive class."""
    y = np.r_[np.ones(len(normal)), np.zeros(len(negative))]
    s = np.r_[np.asarray(normal, np.float64), np.asarray(negative, np.float64)]
    fpr, tpr, _ = roc_curve(y, s)
    return {"auroc": float(roc_auc_score(y, s)), "fprAt95Tpr": float(fpr[np.argmax(tpr >= 0.95)]),
            "tprAt1Fpr": float(tpr[fpr <= 0.01].max()), "normal": int(len(normal)), "negative": int(len(negative))}


def bootstrap_threshold(normal_scores: Sequence[float], target: float, n: int = 2000, seed: int = 0) -> Dict:
    """How much the calibrated threshold moves with the validation sample: resample the normal scores,
    recalibrate, and see which accept rate each resampled threshold gives on the full sample."""
    s = np.asarray(normal_scores, dtype=np.float64)
    rng = np.random.default_rng(seed)
    th = np.array([threshold_at_accept_rate(rng.choice(s, len(s)), target) for _ in range(n)])
    acc = np.array([(s >= t).mean() for t in th])
    return {"resamples": n, "threshold": {"p05": float(np.quantile(th, 0.05)), "p50": float(np.median(th)),
                                          "p95": float(np.quantile(th, 0.95))},
            "acceptRate": {"p05": float(np.quantile(acc, 0.05)), "p50": float(np.median(acc)),
                           "p95": float(np.quantile(acc, 0.95))}}
