"""Graph passes on an exported ONNX model, for the runtimes that ship it (issue 15).

Written for any graph `onnx_export` writes (the frozen backbone, a retrained copy of its last blocks, any
head), not for one model file:

- ``fold_pads``: TensorFlow SAME padding makes the exporter write an explicit ``Pad`` (0 before, 1 after)
  in front of each stride-2 convolution; ONNX ``Conv`` takes asymmetric ``pads``, so the two become one
  node. Exact: zero padding is zero padding, whoever adds it.
- ``fold_weight_dequantize``: a weight-only QDQ model (``onnx_export.quantize_weight_only_qdq``) back to
  fp32 by evaluating its constant ``DequantizeLinear`` nodes, so passes and measurements can start from
  the shipped file (``python -m cropgate_training passes``).

The pipeline calls ``fold_pads`` on the fp32 export before quantizing (pipeline.py).
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
import onnx
from onnx import helper, numpy_helper


def _consumers(graph: onnx.GraphProto) -> Dict[str, List[onnx.NodeProto]]:
    out: Dict[str, List[onnx.NodeProto]] = {}
    for n in graph.node:
        for i in n.input:
            out.setdefault(i, []).append(n)
    return out


def _constant(graph: onnx.GraphProto, name: str) -> Optional[np.ndarray]:
    """The value of `name` when it is an initializer or the output of a Constant node; None otherwise."""
    if not name:
        return None
    for init in graph.initializer:
        if init.name == name:
            return numpy_helper.to_array(init)
    for n in graph.node:
        if n.op_type == "Constant" and n.output[0] == name:
            for a in n.attribute:
                if a.name == "value":
                    return numpy_helper.to_array(a.t)
    return None


def _attr(node: onnx.NodeProto, name: str, default=None):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def _set_ints(node: onnx.NodeProto, name: str, values: Sequence[int]) -> None:
    for a in list(node.attribute):
        if a.name == name:
            node.attribute.remove(a)
    node.attribute.append(helper.make_attribute(name, [int(v) for v in values]))


def fold_pads(model: onnx.ModelProto) -> tuple[onnx.ModelProto, int]:
    """Folds every constant zero ``Pad`` that pads only the spatial axes of a 4-D tensor and feeds only
    ``Conv`` nodes (as their data input, ``auto_pad`` NOTSET) into those convolutions' ``pads``.
    Returns (the model, how many Pad nodes were folded); other Pads are left as they are."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    consumers = _consumers(graph)
    outputs = {o.name for o in graph.output}
    folded = 0
    for pad in [n for n in graph.node if n.op_type == "Pad"]:
        if (_attr(pad, "mode", b"constant") or b"constant") not in (b"constant", "constant"):
            continue
        pads = _constant(graph, pad.input[1]) if len(pad.input) > 1 else _attr(pad, "pads")  # opset < 11: attribute
        if pads is None:
            continue
        pads = np.asarray(pads, dtype=np.int64).ravel()
        value = _constant(graph, pad.input[2]) if len(pad.input) > 2 and pad.input[2] else None
        if value is not None and np.any(value != 0) or _attr(pad, "value", 0.0) != 0.0:
            continue
        if len(pad.input) > 3 and pad.input[3]:  # opset 18 `axes`: spell the pads out over all 4 axes
            axes = _constant(graph, pad.input[3])
            if axes is None:
                continue
            full = np.zeros(8, np.int64)
            for k, ax in enumerate(np.asarray(axes).ravel() % 4):
                full[ax], full[ax + 4] = pads[k], pads[k + len(axes)]
            pads = full
        if pads.size != 8 or np.any(pads < 0) or pads[0] or pads[1] or pads[4] or pads[5]:
            continue  # not a 4-D spatial-only zero pad
        out = pad.output[0]
        convs = consumers.get(out, [])
        if out in outputs or not convs or any(c.op_type != "Conv" or c.input[0] != out for c in convs):
            continue
        if any((_attr(c, "auto_pad", b"NOTSET") or b"NOTSET") not in (b"NOTSET", "NOTSET") for c in convs):
            continue
        # ONNX Pad: [x1_begin, x2_begin, x3_begin, x4_begin, x1_end, ...]; Conv: [h_begin, w_begin, h_end, w_end].
        extra = [pads[2], pads[3], pads[6], pads[7]]
        for c in convs:
            current = list(_attr(c, "pads", [0, 0, 0, 0]))
            _set_ints(c, "pads", [a + b for a, b in zip(current, extra)])
            c.input[0] = pad.input[0]
        graph.node.remove(pad)
        folded += 1
    _drop_unused_initializers(graph)
    onnx.checker.check_model(model)
    return model, folded


def fold_weight_dequantize(model: onnx.ModelProto) -> tuple[onnx.ModelProto, int]:
    """Replaces every ``DequantizeLinear`` whose inputs are all initializers by its fp32 result (an
    initializer with the node's output name): a weight-only QDQ model becomes the fp32 model it stores."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    done = 0
    for n in [n for n in graph.node if n.op_type == "DequantizeLinear"]:
        if not all(i in inits for i in n.input if i):
            continue
        q = numpy_helper.to_array(inits[n.input[0]]).astype(np.float64)
        scale = numpy_helper.to_array(inits[n.input[1]]).astype(np.float64)
        zero = numpy_helper.to_array(inits[n.input[2]]).astype(np.float64) if len(n.input) > 2 and n.input[2] else 0.0
        axis = _attr(n, "axis", 1)
        if np.ndim(scale) == 1 and scale.size > 1:
            shape = [1] * q.ndim
            shape[axis] = -1
            scale, zero = scale.reshape(shape), np.reshape(zero, shape) if np.ndim(zero) else zero
        w = ((q - zero) * scale).astype(np.float32)
        graph.node.remove(n)
        graph.initializer.append(numpy_helper.from_array(w, n.output[0]))
        done += 1
    _drop_unused_initializers(graph)
    onnx.checker.check_model(model)
    return model, done


def _drop_unused_initializers(graph: onnx.GraphProto) -> None:
    used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
    for init in [i for i in graph.initializer if i.name not in used]:
        graph.initializer.remove(init)


def op_counts(model: onnx.ModelProto) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for n in model.graph.node:
        out[n.op_type] = out.get(n.op_type, 0) + 1
    return dict(sorted(out.items()))


def fold_pads_file(src: Path, dst: Path) -> int:
    """fold_pads on a file (what pipeline.py calls); returns the number of Pads folded."""
    model, n = fold_pads(onnx.load(str(src)))
    onnx.save(model, str(dst))
    return n
