"""Full int8 (activations too) built from the TFLite model's own quantization (issue 15).

The frozen backbone is Google's quantization-aware-trained MobileNetV2: every activation in the .tflite
file has a uint8 scale and zero point learned with the weights. A fresh MinMax calibration of the whole
network broke parity (min cosine 0.45, issue 15), so here the ONNX tensors that *are* TFLite tensors get
exactly the TFLite parameters, and only the rest is calibrated on photos or kept float:

1. ``tensor_map`` walks the ONNX graph from its input and pairs each tensor with its TFLite tensor: a
   ``Conv`` pairs when its input is paired and a TFLite convolution reading that TFLite tensor has the
   same weights and bias (the port stores them exactly); ``Clip`` (ReLU6), ``Add`` (residual),
   ``GlobalAveragePool`` and ``Flatten`` pair when their inputs do. Anything else — a retrained copy of
   the last blocks, the head, the whitening — stays unpaired, whatever its weights, because its input
   is not a TFLite tensor.
2. ``quantize`` writes a QDQ model with onnxruntime's quantizer: paired activations and paired weights get
   the TFLite (scale, zero point) through ``TensorQuantOverrides`` (uint8, per tensor, as the file has
   them: weights and biases are then requantized losslessly); unpaired nodes are either kept float
   (``unpaired="float"``) or quantized with ranges calibrated on the given photos (``"calibrate"``).

Whether the result is kept is decided by parity.py against the weight-only model (verdicts and scores).
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List, Optional, Set, Tuple

import numpy as np
import onnx
from onnx import numpy_helper

from .tflite_port import TFLiteGraph, conv_parameters, read_tflite

QParams = Tuple[float, int]  # scale, zero point (uint8)


def _params(graph: TFLiteGraph, index: int) -> QParams:
    t = graph.tensors[index]
    if t.scale.size != 1:
        raise ValueError(f"TFLite tensor {t.name} is quantized per channel; expected per tensor")
    return float(t.scale[0]), int(t.zero_point[0])


def tensor_map(model: onnx.ModelProto, tflite_path: Path) -> Tuple[Dict[str, int], Dict[str, int], Dict[str, QParams]]:
    """(ONNX activation tensor -> TFLite tensor index, ONNX weight initializer -> TFLite weight tensor index,
    ONNX bias initializer -> TFLite bias tensor index) for the part of the graph that is the TFLite graph."""
    g = read_tflite(tflite_path)
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    convs = [op for op in g.operators if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D")]
    by_input: Dict[int, list] = {}
    for op in convs:
        by_input.setdefault(op.inputs[0], []).append(op)
    consumers: Dict[int, list] = {}
    for op in g.operators:
        for i in op.inputs:
            consumers.setdefault(i, []).append(op)
    act: Dict[str, int] = {model.graph.input[0].name: g.inputs[0]}
    weights: Dict[str, int] = {}
    biases: Dict[str, int] = {}
    for node in model.graph.node:
        ins = [act.get(i) for i in node.input[:1]]
        if node.op_type == "Conv" and ins[0] is not None and node.input[1] in inits:
            w = inits[node.input[1]].astype(np.float64)
            b = inits[node.input[2]].astype(np.float64) if len(node.input) > 2 and node.input[2] in inits else None
            for op in by_input.get(ins[0], []):
                tw, tb = conv_parameters(g, op)
                if tw.shape == w.shape and np.allclose(tw, w, rtol=0, atol=1e-6 * max(1.0, float(np.abs(tw).max()))) \
                        and (b is None or np.allclose(tb, b, rtol=0, atol=1e-5)):
                    act[node.output[0]] = op.outputs[0]
                    weights[node.input[1]] = op.inputs[1]
                    if b is not None:
                        biases[node.input[2]] = op.inputs[2]
                    break
        elif node.op_type == "Clip" and ins[0] is not None:
            producer = next((op for op in g.operators if ins[0] in op.outputs), None)
            if producer is not None and producer.activation == "RELU6":
                act[node.output[0]] = ins[0]  # ReLU6 fused in TFLite: one tensor
        elif node.op_type == "Add" and all(i in act for i in node.input[:2]):
            pair = {act[node.input[0]], act[node.input[1]]}
            add = next((op for op in consumers.get(act[node.input[0]], []) if op.kind == "ADD" and set(op.inputs) == pair), None)
            if add is not None:
                act[node.output[0]] = add.outputs[0]
        elif node.op_type == "GlobalAveragePool" and ins[0] is not None:
            pool = next((op for op in consumers.get(ins[0], []) if op.kind == "AVERAGE_POOL_2D"), None)
            if pool is not None:
                act[node.output[0]] = pool.outputs[0]
        elif node.op_type in ("Flatten", "Reshape", "Squeeze") and ins[0] is not None:
            act[node.output[0]] = ins[0]  # same values, same quantization
    return act, weights, biases


def overrides(model: onnx.ModelProto, tflite_path: Path):
    """TensorQuantOverrides for onnxruntime's quantizer, and the paired tensor names."""
    from onnxruntime.quantization import QuantType

    g = read_tflite(tflite_path)
    act, weights, _ = tensor_map(model, tflite_path)
    out: Dict[str, List[Dict]] = {}
    for name, idx in {**act, **weights}.items():
        scale, zero = _params(g, idx)
        out[name] = [{"quant_type": QuantType.QUInt8, "scale": np.array(scale, np.float32), "zero_point": np.array(zero, np.uint8)}]
    return out, act, weights


def unpaired_nodes(model: onnx.ModelProto, act: Dict[str, int]) -> List[str]:
    """Nodes with an activation input or output that has no TFLite counterpart (the part to keep float)."""
    inits = {i.name for i in model.graph.initializer}
    out = []
    for n in model.graph.node:
        tensors = [t for t in list(n.input[:1]) + list(n.output) if t and t not in inits]
        if n.op_type == "Add":
            tensors = [t for t in list(n.input) + list(n.output) if t and t not in inits]
        if any(t not in act for t in tensors):
            out.append(n.name)
    return out


def tail_nodes(model: onnx.ModelProto, convs: int) -> List[str]:
    """The global average pool, what follows it, and the last `convs` convolutions (with their ReLU6s) before it:
    the part of the network kept float by ``quantize(..., float_tail=...)``."""
    nodes = list(model.graph.node)
    pool = next((k for k, n in enumerate(nodes) if n.op_type == "GlobalAveragePool"), None)
    if pool is None:
        return []
    out = [n.name for n in nodes[pool:]]
    seen = 0
    for n in reversed(nodes[:pool]):
        if seen >= convs:
            break
        if n.op_type in ("Conv", "Clip", "Add"):
            out.append(n.name)
            seen += n.op_type == "Conv"
    return out


def quantize(fp32: Path, tflite_path: Path, out: Path, calibration: Optional[np.ndarray] = None,
             unpaired: str = "float", float_tail: Optional[int] = None, log: Callable[[str], None] = print) -> Dict:
    """Writes the QDQ int8 model to `out`; returns what was paired and how the rest was handled.
    `fp32` should have its Pads folded (graph_passes.fold_pads) so that convolution inputs are TFLite tensors."""
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static

    model = onnx.load(str(fp32))
    ov, act, weights = overrides(model, tflite_path)
    # The graph must be named consistently: onnxruntime's quantizer names nodes it refers to.
    for k, n in enumerate(model.graph.node):
        if not n.name:
            n.name = f"{n.op_type}_{k}"
    named = out.with_suffix(".named.onnx")
    onnx.save(model, str(named))
    exclude = unpaired_nodes(model, act) if unpaired == "float" else []
    if float_tail is not None:
        # TFLite requantizes the pooled 1280 features to its ReLU6 grid (step 6/255): the head then sees
        # 8-bit features. Keeping the pool (and optionally the last convolutions) float avoids that.
        exclude = sorted(set(exclude) | set(tail_nodes(model, float_tail)))
    convs = [n for n in model.graph.node if n.op_type == "Conv"]
    info = {"convs": len(convs), "pairedConvs": sum(n.output[0] in act for n in convs), "pairedTensors": len(act),
            "pairedWeights": len(weights), "unpaired": unpaired, "floatTail": float_tail, "keptFloat": exclude}
    log(f"int8 from TFLite: {info['pairedConvs']}/{info['convs']} convolutions paired with the TFLite graph, "
        f"{len(act)} activation tensors; unpaired nodes {'kept float: ' + ', '.join(exclude) if exclude else 'calibrated'}")
    if calibration is None or len(calibration) == 0:
        calibration = np.zeros((1,) + tuple(d.dim_value or 1 for d in model.graph.input[0].type.tensor_type.shape.dim[1:]), np.float32)

    class Reader(CalibrationDataReader):
        def __init__(self, x: np.ndarray):
            self.it = iter([{model.graph.input[0].name: x[i:i + 1]} for i in range(len(x))])

        def get_next(self):
            return next(self.it, None)

    quantize_static(str(named), str(out), Reader(calibration), quant_format=QuantFormat.QDQ, per_channel=False,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QUInt8,
                    calibrate_method=CalibrationMethod.MinMax, nodes_to_exclude=exclude,
                    extra_options={"TensorQuantOverrides": ov, "QDQDisableWeightAdjustForInt32Bias": True,
                                   "ActivationSymmetric": False, "WeightSymmetric": False})
    named.unlink()
    return info
