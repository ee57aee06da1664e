"""Baseline for `npm run bench`: the pipeline a user might pick instead of the worker: Pillow decode +
EXIF transpose + the contract's BOX preprocessing (cropgate_training.preprocess) + onnxruntime on CPU
with one thread, the same session options as the worker. Prints one JSON object for bench/bench.ts.

    models/.venv/bin/python models/training/bench_pil_onnxruntime.py --model models/cropgate-embedder-int8.onnx --runs 10 IMAGE...

With --serve it instead reads one image path per line on stdin and answers each with one JSON line of that
run's timings, so bench/bench.ts can interleave it with the workerd and Node runs of the same round.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageOps

from cropgate_training.preprocess import image_to_tensor


def ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("images", nargs="*")
    a = ap.parse_args()

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.add_session_config_entry("session.disable_quant_qdq", "1")
    t0 = time.perf_counter()
    sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    load_ms = ms(t0)
    name = sess.get_inputs()[0].name

    def once(path: str) -> dict:
        t0 = time.perf_counter()
        with Image.open(path) as im:
            im.load()
            img = ImageOps.exif_transpose(im).convert("RGB")
        decode = ms(t0)
        t1 = time.perf_counter()
        x = image_to_tensor(img)[None]
        pre = ms(t1)
        t2 = time.perf_counter()
        sess.run(None, {name: x.astype(np.float32)})
        inf = ms(t2)
        return {"decodeMs": decode, "preprocessMs": pre, "inferenceMs": inf, "totalMs": ms(t0)}

    if a.serve:
        print(json.dumps({"onnxruntime": ort.__version__, "pillow": Image.__version__, "sessionLoadMs": load_ms}), flush=True)
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(once(line.strip())), flush=True)
        return

    out = {"onnxruntime": ort.__version__, "pillow": Image.__version__, "sessionLoadMs": load_ms, "images": {}}
    for path in a.images:
        runs = []
        for _ in range(a.runs + 1):  # the first run is reported separately (cold caches)
            runs.append(once(path))
        warm = runs[1:]
        out["images"][path] = {
            "first": runs[0],
            "median": {k: statistics.median(r[k] for r in warm) for k in warm[0]},
        }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
