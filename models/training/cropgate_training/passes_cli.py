"""`python -m cropgate_training passes`: candidate models from an exported one, and their parity with it.

From the given model (default: the shipped weight-only QDQ model) it writes, in --out:
  padfold.onnx        Pads folded into the convolutions (graph_passes.fold_pads), weights still 8-bit
  fp32.onnx           the weights' DequantizeLinear folded (graph_passes.fold_weight_dequantize)
  int8-float-head.onnx / int8-calibrated-head.onnx
                      full int8 with the TFLite activation parameters (int8_tflite), the layers without a
                      TFLite counterpart kept float / calibrated on --calibration photos
then compares each with the given model on every JPEG of --data (parity.py) and writes parity.json.
`npm run bench -- --model <file>` measures their speed in workerd and onnxruntime-node.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import numpy as np
import onnx

from . import graph_passes, int8_tflite, onnx_export, parity
from .preprocess import SIZE


def run(model: Path, reference_path: Path, data: Path, weights: Path, out: Path, calibration: int,
        limit: Optional[int]) -> int:
    out.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((model.parent / "manifest.json").read_text()) if (model.parent / "manifest.json").exists() else {}
    config = manifest.get("model", {}).get("sessionConfig", {"session.disable_quant_qdq": "1"})
    size = int(manifest.get("model", {}).get("input", {}).get("shape", [0, 0, SIZE])[2])
    reference = json.loads(reference_path.read_text())
    t0 = time.time()
    src = onnx.load(str(model))
    padfold, n = graph_passes.fold_pads(src)
    onnx.save(padfold, str(out / "padfold.onnx"))
    fp32, k = graph_passes.fold_weight_dequantize(padfold)
    onnx.save(fp32, str(out / "fp32.onnx"))
    print(f"{model.name}: {graph_passes.op_counts(src)}\n  padfold.onnx: {n} Pad folded -> {graph_passes.op_counts(padfold)}"
          f"\n  fp32.onnx: {k} DequantizeLinear folded")

    files = parity.photos(data)
    if limit:
        files = files[:limit]
    x = parity.tensors(files, out / "cache", size)
    rng = np.random.default_rng(0)
    calib = x[rng.choice(len(x), min(calibration, len(x)), replace=False)]
    candidates = {"padfold": (out / "padfold.onnx", config), "fp32": (out / "fp32.onnx", {})}
    info = {}
    for mode in ("float", "calibrate"):
        name = f"int8-{'float' if mode == 'float' else 'calibrated'}-head"
        path = out / f"{name}.onnx"
        info[name] = int8_tflite.quantize(out / "fp32.onnx", weights, path, calib, unpaired=mode)
        info[name]["ops"] = graph_passes.op_counts(onnx.load(str(path)))
        info[name]["bytes"] = path.stat().st_size
        candidates[name] = (path, {})  # QDQ fusion on: onnxruntime's int8 kernels
    base = parity.run_model(model, x, config)
    results = {"model": str(model), "photos": len(files), "sessionConfig": config, "candidates": {}}
    for name, (path, cfg) in candidates.items():
        r = parity.compare(base, parity.run_model(path, x, cfg), reference)
        r["file"] = str(path)
        r["sessionConfig"] = cfg
        r["ortCpu1Thread"] = onnx_export.time_ms(path, x[:1], threads=1, config=cfg)
        if name in info:
            r["int8"] = info[name]
        results["candidates"][name] = r
        print(parity.report(name, r) + f"; onnxruntime CPU 1 thread {r['ortCpu1Thread']['medianMs']} ms")
    results["baseOrtCpu1Thread"] = onnx_export.time_ms(model, x[:1], threads=1, config=config)
    print(f"{model.name} itself: onnxruntime CPU 1 thread {results['baseOrtCpu1Thread']['medianMs']} ms; {time.time() - t0:.0f} s in all")
    parity.dump(out / "parity.json", results)
    return 0
