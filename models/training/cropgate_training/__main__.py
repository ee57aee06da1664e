"""python -m cropgate_training {pipeline,sweep-resolution,test-vectors} ..."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Before torch loads OpenMP: on a shared, oversubscribed CPU, spinning OpenMP threads made one training
# step 17-19 s instead of 1.1-1.3 s (2 threads, batch 32, measured here at load average 8).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .data import REPO, default_data_dir

MODELS = REPO / "models"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m cropgate_training")
    sub = p.add_subparsers(dest="cmd", required=True)
    pl = sub.add_parser("pipeline", help="train, calibrate, export, quantize, evaluate, write artifacts")
    pl.add_argument("--data", type=Path, default=default_data_dir())
    pl.add_argument("--weights", type=Path, default=REPO.parent / "shared" / "weights" /
                    "mobilenet_v2_1.0_224_quant.tflite", help="ImageNet .tflite; 'none' = random init")
    pl.add_argument("--out", type=Path, default=MODELS)
    pl.add_argument("--work", type=Path, default=MODELS / "work")
    pl.add_argument("--epochs", type=int, default=None)
    pl.add_argument("--baseline-epochs", type=int, default=None)
    pl.add_argument("--limit-per-group", type=int, default=None, help="smoke runs: at most N images per group")
    pl.add_argument("--ship", choices=["auto", "dynamic", "static", "weightonly"], default="auto")
    pl.add_argument("--seed", type=int, default=0)
    pl.add_argument("--margin", type=float, default=None, help="ArcFace margin, degrees")
    pl.add_argument("--scale", type=float, default=None, help="ArcFace scale")
    pl.add_argument("--freeze", type=int, default=None, help="freeze the first N feature blocks")
    pl.add_argument("--lr", type=float, default=None)
    pl.add_argument("--backbone-lr-mult", type=float, default=None)
    pl.add_argument("--rice-per-disease", action="store_true", help="one class per rice disease")
    pl.add_argument("--checkpoint", type=Path, default=None, help="skip training: load this embedder state")
    pl.add_argument("--no-unseen", action="store_true", help="skip the unseen-crop enrolment check")
    sw = sub.add_parser("sweep-resolution", help="train and evaluate at 128, 160 and 224 px")
    sw.add_argument("--data", type=Path, default=default_data_dir())
    sw.add_argument("--weights", type=Path, default=REPO.parent / "shared" / "weights" /
                    "mobilenet_v2_1.0_224_quant.tflite")
    sw.add_argument("--sizes", type=int, nargs="+", default=[128, 160, 224])
    sw.add_argument("--epochs", type=int, default=None)
    sw.add_argument("--out", type=Path, default=MODELS / "eval" / "resolution.json")
    sw.add_argument("--work", type=Path, default=MODELS / "work" / "sweep")
    sw.add_argument("--limit-per-group", type=int, default=None, help="smoke runs only")
    un = sub.add_parser("unseen-crop", help="evaluation only: enrol unseen tomato with saved embedders")
    un.add_argument("checkpoints", nargs="+", help="label=embedder.pt (from a --work dir) or 'imagenet'")
    un.add_argument("--out", type=Path, default=None, help="write the results here (JSON)")
    un.add_argument("--data", type=Path, default=default_data_dir())
    un.add_argument("--weights", type=Path, default=REPO.parent / "shared" / "weights" /
                    "mobilenet_v2_1.0_224_quant.tflite")
    cd = sub.add_parser("card", help="re-render models/README.md from the committed manifest, metrics, reference "
                                     "and eval/resolution.json (no training)")
    cd.add_argument("--out", type=Path, default=MODELS)
    a = p.parse_args(argv)
    if a.cmd == "card":
        import json

        from . import card

        o = a.out
        (o / "README.md").write_text(card.render(json.loads((o / "manifest.json").read_text()),
                                                 json.loads((o / "eval" / "metrics.json").read_text()),
                                                 json.loads((o / "references" / "rice.json").read_text()), o / "eval"))
        return 0

    if not a.data.is_dir():
        print(f"data directory {a.data} not found (set --data or CROPGATE_DATA)", file=sys.stderr)
        return 2
    weights = None if str(a.weights) == "none" else a.weights
    if weights is not None and not weights.is_file():
        print(f"weights {weights} not found (or pass --weights none for random init)", file=sys.stderr)
        return 2

    def log(msg: str) -> None:
        print(msg, flush=True)

    if a.cmd == "pipeline":
        from .pipeline import PipelineConfig, run
        from .train import TrainConfig

        tc = TrainConfig(seed=a.seed)
        for arg, attr in (("epochs", "epochs"), ("margin", "margin_deg"), ("scale", "scale"),
                          ("freeze", "freeze_blocks"), ("lr", "lr"), ("backbone_lr_mult", "backbone_lr_mult")):
            if getattr(a, arg) is not None:
                setattr(tc, attr, getattr(a, arg))
        tc.rice_per_disease = a.rice_per_disease
        cfg = PipelineConfig(data_dir=a.data, weights=weights, out_dir=a.out, work_dir=a.work, train=tc,
                             limit_per_group=a.limit_per_group, ship=a.ship, unseen_crop=not a.no_unseen,
                             checkpoint=a.checkpoint)
        if a.baseline_epochs is not None:
            cfg.baseline_epochs = a.baseline_epochs
        run(cfg, log)
    elif a.cmd == "unseen-crop":
        from .unseen import compare

        compare(a.data, weights, a.checkpoints, log, a.out)
    elif a.cmd == "sweep-resolution":
        from .sweep import sweep

        sweep(a.data, weights, a.sizes, a.epochs, a.out, a.work, log, limit=a.limit_per_group)
    return 0


if __name__ == "__main__":
    sys.exit(main())
