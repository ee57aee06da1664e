"""Export to ONNX, quantize with onnxruntime.quantization, run and time the results."""
from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Dict, Optional, Sequence

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quant_pre_process, quantize_dynamic, quantize_static)

from .preprocess import SIZE

OPSET = 17
INPUT, OUTPUT = "input", "embedding"

# ORT session config entries a variant needs at run time. They go into the manifest, so the worker
# (onnxruntime-web) and the CLI (onnxruntime-node) open the shipped model exactly as it was measured here.
# disable_quant_qdq=1 lets ORT constant-fold a weight-only model's DequantizeLinear nodes at load: fp32
# kernels at run time, weights stored in 8 bits.
SESSION_CONFIG: Dict[str, Dict[str, str]] = {"weightonly": {"session.disable_quant_qdq": "1"}}


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def export_fp32(model: torch.nn.Module, path: Path, size: int = SIZE, outputs: Sequence[str] = (OUTPUT,)) -> Path:
    """outputs: the names of what model.forward returns (one tensor, or a tuple in this order)."""
    model = model.cpu().eval()
    dummy = torch.zeros(1, 3, size, size)
    torch.onnx.export(model, dummy, str(path), input_names=[INPUT], output_names=list(outputs), opset_version=OPSET,
                      dynamic_axes={INPUT: {0: "batch"}, **{o: {0: "batch"} for o in outputs}},
                      do_constant_folding=True)
    onnx.checker.check_model(onnx.load(str(path)))
    return path


def session(path: Path, threads: int = 1, config: Optional[Dict[str, str]] = None) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    for key, value in (config or {}).items():
        so.add_session_config_entry(key, value)
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def run(sess: ort.InferenceSession, x: np.ndarray, batch: int = 32, output: str = OUTPUT) -> np.ndarray:
    out = [sess.run([output], {INPUT: x[i:i + batch]})[0] for i in range(0, len(x), batch)]
    return np.concatenate(out).astype(np.float32)


def run_all(sess: ort.InferenceSession, x: np.ndarray, batch: int = 32) -> Dict[str, np.ndarray]:
    """Every output of the graph, by name."""
    names = [o.name for o in sess.get_outputs()]
    parts = [sess.run(names, {INPUT: x[i:i + batch]}) for i in range(0, len(x), batch)]
    return {n: np.concatenate([p[k] for p in parts]).astype(np.float32) for k, n in enumerate(names)}


class _Reader(CalibrationDataReader):
    def __init__(self, x: np.ndarray):
        self._it = iter([{INPUT: x[i:i + 1]} for i in range(len(x))])

    def get_next(self):
        return next(self._it, None)


def prepare(fp32: Path, out: Path) -> Path:
    """ORT's recommended pre-processing (shape inference + graph optimisation) before quantizing."""
    quant_pre_process(str(fp32), str(out))
    return out


def quantize_weight_only(pre: Path, out: Path) -> Path:
    """Dynamic quantization: 8-bit weights (per channel), activations quantized on the fly at run time.
    uint8 weights: with int8 weights ORT's ConvInteger output was wrong here (cosine to fp32 0.19-0.36 on
    real images, per-tensor, per-channel and reduce_range alike), uint8 gave 0.98+."""
    quantize_dynamic(str(pre), str(out), weight_type=QuantType.QUInt8, per_channel=True)
    return out


def quantize_static_qdq(pre: Path, out: Path, calibration: np.ndarray) -> Path:
    """Static QDQ 8-bit, activation ranges calibrated on real images (Percentile 99.999: on an earlier model
    the worst-image cosine to fp32 was 0.9846 vs 0.9785 for MinMax and Entropy).
    Per-tensor uint8 weights: the frozen backbone comes from a per-tensor uint8 TFLite model, and on the
    head-only model this grid gave rice min cosine 0.975 vs 0.945 for per-channel int8."""
    quantize_static(str(pre), str(out), _Reader(calibration), quant_format=QuantFormat.QDQ, per_channel=False,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QUInt8,
                    calibrate_method=CalibrationMethod.Percentile)
    return out


def _grid(w: np.ndarray) -> Optional[tuple]:
    """(step, zero point) when every value of w lies on one 8-bit grid step * (q - zero point), q in 0..255."""
    u = np.unique(w.astype(np.float64))
    d = np.diff(u)
    d = d[d > 1e-12]
    if d.size == 0:
        return None
    w64 = w.astype(np.float64).ravel()
    k = w64 / float(d.min())
    if np.abs(k - np.round(k)).max() > 0.01 or np.round(k).max() - np.round(k).min() > 255:
        return None
    k = np.round(k)
    step = float((w64 * k).sum() / (k * k).sum())  # least squares over all values, not one float32 difference
    return step, int(-k.min())


def quantize_weight_only_qdq(pre: Path, out: Path, skip: Sequence[str] = ()) -> Path:
    """Weight-only QDQ: every Conv/Gemm weight is stored in 8 bits behind a DequantizeLinear; activations
    stay float. onnxruntime's quantizer writes no such model for Conv (quantize_dynamic makes ConvInteger
    with on-the-fly activation quantization, quantize_static quantizes activations too; on this model they
    gave min cosine to fp32 0.975 and 0.978 on validation photos, short of the 0.99 bar), hence this
    function. The frozen backbone comes from a per-tensor uint8 TFLite model, so its weights already lie on
    an 8-bit grid: they are stored on exactly that grid (lossless). Weights that do not (the trained head)
    are quantized symmetric int8 per output channel."""
    from onnx import helper, numpy_helper
    model = onnx.load(str(pre))
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    dq_nodes = []
    for node in graph.node:
        if node.op_type not in ("Conv", "Gemm") or node.input[1] not in inits or node.input[1] in skip:
            continue
        name = node.input[1]
        w = numpy_helper.to_array(inits[name]).astype(np.float32)
        grid = _grid(w)
        attrs = {}
        if grid:
            step, zp = grid
            scale = np.array(step, np.float32)
            zero = np.array(zp, np.uint8)
            q = (np.round(w.astype(np.float64) / step) + zp).astype(np.uint8)
        else:
            trans_b = any(a.name == "transB" and a.i == 1 for a in node.attribute)
            axis = 0 if node.op_type == "Conv" or trans_b else 1
            reduce = tuple(i for i in range(w.ndim) if i != axis)
            scale = (np.abs(w).max(axis=reduce) / 127.0).astype(np.float32)
            scale[scale == 0] = 1e-8
            shape = [1] * w.ndim
            shape[axis] = -1
            q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
            zero = np.zeros(scale.shape, np.int8)
            attrs["axis"] = axis
        graph.initializer.remove(inits[name])
        graph.initializer.extend([numpy_helper.from_array(q, f"{name}_quantized"),
                                  numpy_helper.from_array(scale, f"{name}_scale"),
                                  numpy_helper.from_array(zero, f"{name}_zero_point")])
        dq_nodes.append(helper.make_node("DequantizeLinear", [f"{name}_quantized", f"{name}_scale", f"{name}_zero_point"],
                                         [name], name=f"{name}_DequantizeLinear", **attrs))
    for n in reversed(dq_nodes):
        graph.node.insert(0, n)
    onnx.checker.check_model(model)
    onnx.save(model, str(out))
    return out


def op_counts(path: Path) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for n in onnx.load(str(path)).graph.node:
        out[n.op_type] = out.get(n.op_type, 0) + 1
    return dict(sorted(out.items()))


def time_ms(path: Path, x1: np.ndarray, threads: int = 1, warmup: int = 5, runs: int = 40,
            config: Optional[Dict[str, str]] = None) -> Dict[str, float]:
    """Median and p90 latency of one image (batch 1) on the onnxruntime CPU provider."""
    sess = session(path, threads, config)
    for _ in range(warmup):
        sess.run([OUTPUT], {INPUT: x1})
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run([OUTPUT], {INPUT: x1})
        ts.append((time.perf_counter() - t0) * 1000)
    return {"medianMs": round(float(np.median(ts)), 2), "p90Ms": round(float(np.quantile(ts, 0.9)), 2),
            "threads": threads, "runs": runs}


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return (a * b).sum(axis=1)
