"""python -m cropgate_training {pipeline,select,card,passes} ..."""
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
    weights_default = REPO.parent / "shared" / "weights" / "mobilenet_v2_1.0_224_quant.tflite"
    pl = sub.add_parser("pipeline", help="draw and cache the views, score every photo out of source, place the thresholds, train, "
                                          "export, quantize, write artifacts and the model card")
    pl.add_argument("--data", type=Path, default=default_data_dir())
    pl.add_argument("--weights", type=Path, default=weights_default, help="ImageNet .tflite")
    pl.add_argument("--out", type=Path, default=MODELS)
    pl.add_argument("--work", type=Path, default=MODELS / "work")
    pl.add_argument("--size", type=int, default=None, help="input size in pixels (default: PipelineConfig.size)")
    pl.add_argument("--recipe", default=None, help="a loso.RECIPES name (default: PipelineConfig.recipe)")
    pl.add_argument("--scorer", default=None, help="a loso.SCORERS name (default: PipelineConfig.scorer)")
    pl.add_argument("--steps", type=int, default=None, help="training steps (default: the recipe's)")
    pl.add_argument("--limit-per-group", type=int, default=None, help="smoke runs: at most N images per group")
    pl.add_argument("--seed", type=int, default=0)
    pl.add_argument("--no-unseen", action="store_true", help="skip the unseen-crop checks")
    se = sub.add_parser("select", help="compare recipes and scorers, with and without the synthetic shots, on the "
                                       "pipeline's folds and cached views")
    se.add_argument("--data", type=Path, default=default_data_dir())
    se.add_argument("--weights", type=Path, default=weights_default)
    se.add_argument("--recipes", nargs="+", default=["frozen", "linear", "mlp", "tail", "tail-mix-gem"])
    se.add_argument("--view-sets", nargs="+", default=["all", "none"],
                    help="which views train each recipe: all, none (no synthetic shots), no-<kind> (all but one kind)")
    se.add_argument("--steps", type=int, default=None, help="training steps (default: each recipe's)")
    se.add_argument("--out", type=Path, default=MODELS / "eval" / "selection.json")
    se.add_argument("--work", type=Path, default=MODELS / "work")
    se.add_argument("--limit-per-group", type=int, default=None, help="smoke runs only")
    se.add_argument("--train-seed", type=int, default=0,
                    help="seed of the training draws and prototypes only (folds, views and the map cache stay the "
                         "pipeline's): a second seed measures run-to-run variation")
    cd = sub.add_parser("card", help="re-render models/README.md (and the README's model section) from the committed "
                                     "manifest, metrics, reference and eval/selection.json (no training)")
    cd.add_argument("--out", type=Path, default=MODELS)
    pa = sub.add_parser("passes", help="graph passes on an exported model (Pad folding, full int8 from the TFLite "
                                       "activation parameters) and their parity with it on the shared photos")
    pa.add_argument("--model", type=Path, default=MODELS / "cropgate-embedder-int8.onnx",
                    help="the model to transform (default: the shipped weight-only model)")
    pa.add_argument("--reference", type=Path, default=MODELS / "references" / "rice.json")
    pa.add_argument("--data", type=Path, default=default_data_dir())
    pa.add_argument("--weights", type=Path, default=weights_default, help="ImageNet .tflite (int8 parameters)")
    pa.add_argument("--out", type=Path, default=MODELS / "work" / "passes")
    pa.add_argument("--calibration", type=int, default=256, help="photos to calibrate unpaired int8 tensors on")
    pa.add_argument("--limit", type=int, default=None, help="compare on the first N photos only (smoke runs)")
    a = p.parse_args(argv)
    if a.cmd == "passes":
        from .passes_cli import run as passes

        return passes(a.model, a.reference, a.data, a.weights, a.out, a.calibration, a.limit)
    if a.cmd == "card":
        import json

        from . import card

        o = a.out
        manifest, metrics = json.loads((o / "manifest.json").read_text()), json.loads((o / "eval" / "metrics.json").read_text())
        reference = json.loads((o / "references" / "rice.json").read_text())
        (o / "README.md").write_text(card.render(manifest, metrics, reference, o / "eval"))
        if o.resolve() == MODELS.resolve():
            card.write_readme_block(REPO / "README.md", card.readme_block(manifest, metrics, reference))
        return 0

    if not a.data.is_dir():
        print(f"data directory {a.data} not found (set --data or CROPGATE_DATA)", file=sys.stderr)
        return 2
    if not a.weights.is_file():
        print(f"weights {a.weights} not found (set --weights)", file=sys.stderr)
        return 2

    def log(msg: str) -> None:
        print(msg, flush=True)

    if a.cmd == "pipeline":
        from .pipeline import PipelineConfig, run

        cfg = PipelineConfig(data_dir=a.data, weights=a.weights, out_dir=a.out, work_dir=a.work, steps=a.steps,
                             limit_per_group=a.limit_per_group, seed=a.seed, unseen=not a.no_unseen)
        for k in ("size", "recipe", "scorer"):
            if getattr(a, k) is not None:
                setattr(cfg, k, getattr(a, k))
        run(cfg, log)
    elif a.cmd == "select":
        from .select_recipe import run as select

        select(a.data, a.weights, a.recipes, a.work, a.out, log, limit=a.limit_per_group, view_sets=a.view_sets,
               steps=a.steps, train_seed=a.train_seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
