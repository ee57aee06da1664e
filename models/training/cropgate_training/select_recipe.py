"""Recipe selection by source (`python -m cropgate_training select`): every recipe, with and without the synthetic
kinds of shot, scored on the same folds and cached views as the pipeline, written to models/eval/selection.json.

Chosen by what the gate must do for a photographer it never saw: separate rice sources left out whole from negative
sources left out whole (pooled AUROC; and how many look-alikes pass at equal rice acceptance). Held-out figures are
reported, never used to choose: every recipe is near 1.0 there."""
from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

from . import data, loso, maps, views
from .embedder import backbone_features
from .scoring import roc_metrics

LOOKALIKES = ("sugarcane-field", "paddy-weeds")  # the grass-like negatives: what a rice gate most often lets through
SYNTHETIC = ("cutout", "fill", "leaf-fill", "lesion")


def only_kinds(ms: maps.MapSet, kinds: Sequence[str]) -> maps.MapSet:
    rows = [r for r, v in enumerate(ms.views) if v.kind in kinds]
    return maps.MapSet([ms.views[r] for r in rows], ms.maps[rows], ms.pooled[rows], ms.size)


def view_set(name: str) -> List[str]:
    """Which kinds of view train: "all", "none" (the photos and their phone-like variations only), or
    "no-<kind>" (every kind but one synthetic kind: what that kind adds)."""
    if name == "all":
        return list(views.KINDS)
    if name == "none":
        return [k for k in views.KINDS if k not in SYNTHETIC]
    if name.startswith("no-") and name[3:] in SYNTHETIC:
        return [k for k in views.KINDS if k != name[3:]]
    raise ValueError(f"unknown view set {name!r}: all, none or no-<{'|'.join(SYNTHETIC)}>")


VIEW_SETS = ("all", "none") + tuple(f"no-{k}" for k in SYNTHETIC)


def summarise(sc: loso.Scores, scorer: str, items: Sequence[data.Item]) -> Dict:
    """The figures one recipe x scorer is chosen by."""
    tr = np.array([i.trainable for i in items])
    w, h = sc.whole[scorer], sc.held[scorer]
    wn = loso.split_by_source(w, items, True)
    wg = loso.split_by_source(np.where(tr, w, np.nan), items, False)
    hn = loso.split_by_source(h, items, True)
    hg = loso.split_by_source(np.where(tr, h, np.nan), items, False)
    cat = lambda d: np.concatenate(list(d.values()))  # noqa: E731
    placed = loso.place_threshold(wn, wg, loso.WHOLE_BUDGETS)
    t = placed["value"]
    lower = loso.place_band(t, {**wn, **wg})
    at_equal = {}
    looks = np.concatenate([wg[s] for s in LOOKALIKES if s in wg])
    for acc in (0.5, 0.7, 0.85):
        # The threshold at which every left-out rice source keeps at least `acc` accepted.
        ta = min(float(np.quantile(v, 1 - acc)) for v in wn.values())
        at_equal[f"{acc:.2f}"] = {"lookalikesAccepted": float((looks >= ta).mean()),
                                  "negativesAccepted": float((cat(wg) >= ta).mean())}
    return {"aurocWholeSourceOut": roc_metrics(cat(wn), cat(wg))["auroc"],
            "aurocHeldOut": roc_metrics(cat(hn), cat(hg))["auroc"],
            "aurocBySource": {s: roc_metrics(v, cat(wg))["auroc"] for s, v in wn.items()},
            "atEqualRiceAcceptance": at_equal,
            "threshold": placed, "lower": lower,
            "wholeSourceOut": {s: {"accepted": float((v >= t).mean()),
                                   "uncertain": float(((v >= lower) & (v < t)).mean())} for s, v in {**wn, **wg}.items()},
            "heldOut": {s: {"accepted": float((v >= t).mean())} for s, v in {**hn, **hg}.items()}}


def _with_training(r: loso.Recipe, **changes) -> loso.Recipe:
    """The recipe with its training config (the tail's, else the head's) changed; a frozen recipe trains nothing."""
    if not changes:
        return r
    if r.tail:
        return replace(r, tail=replace(r.tail, **changes))
    return replace(r, head=replace(r.head, **changes)) if r.head else r


def run(data_dir: Path, weights: Optional[Path], recipes: Sequence[str], work: Path, out: Path,
        log: Callable[[str], None] = print, seed: int = 0, limit: Optional[int] = None, size: int = 160,
        view_sets: Sequence[str] = ("all", "none"), steps: Optional[int] = None, train_seed: int = 0) -> Dict:
    torch.set_num_threads(2)
    t0 = time.time()
    items = data.limit_per_group(data.discover(data_dir), limit, seed)
    feats = backbone_features(weights, seed)
    ms_all = maps.extract(items, views.plan(items, seed), feats, size, seed, work / "cache", log)
    plan = loso.fold_plan(items, seed)
    results: List[Dict] = []
    for vs in view_sets:
        ms = only_kinds(ms_all, view_set(vs))
        for name in recipes:
            r = loso.RECIPES[name]
            # the recipe's own training config (tail or head): its steps, and its seed, not only the prototypes'
            r = _with_training(r, **({"steps": steps} if steps is not None else {}),
                               **({"seed": train_seed} if train_seed else {}))
            t1 = time.time()
            sc, _ = loso.evaluate(r, ms, items, plan, feats[maps.SPLIT:], train_seed, log, final=False)
            secs = round(time.time() - t1, 1)
            for scorer in loso.SCORERS:
                if np.isnan(sc.whole[scorer]).all():
                    continue
                s = summarise(sc, scorer, items)
                results.append({"recipe": name, "views": vs, "scorer": scorer, "trainSeed": train_seed, "seconds": secs, **s})
                log(f"{name} views={vs} {scorer}: AUROC whole sources out {s['aurocWholeSourceOut']:.4f}, "
                    f"held out {s['aurocHeldOut']:.4f}; look-alikes passed at 70 % rice "
                    f"{100 * s['atEqualRiceAcceptance']['0.70']['lookalikesAccepted']:.1f} %")
    report = {"what": "one fold per source on cached block-13 maps (models/training/cropgate_training/loso.py); "
                      "chosen by aurocWholeSourceOut",
              "seconds": round(time.time() - t0, 1), "results": results}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    return report
