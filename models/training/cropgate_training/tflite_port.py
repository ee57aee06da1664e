"""Port Google's quantization-aware ImageNet MobileNetV2 1.0/224 (.tflite) into torchvision's MobileNetV2.

The .tflite file is the only ImageNet-pretrained MobileNetV2 available here. It stores uint8 weights
(per-tensor or per-axis affine quantization), int32 biases and batch norm already folded into the
convolutions. The port dequantizes every tensor to float32 and loads it into an unchanged
``torchvision.models.MobileNetV2(num_classes=1001)``, so the result fine-tunes and exports like any
torchvision model. The flatbuffer is read with the PyPI ``tflite`` package (generated schema bindings).

Mapping: TFLite operators are walked in graph order and matched one-to-one, in module order, to the
torchvision convolutions; every shape, stride, fused activation and residual ADD is checked on the way,
so a file with a different architecture fails loudly instead of loading garbage.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tflite
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models import MobileNetV2
from torchvision.models.mobilenetv2 import InvertedResidual

IMAGENET_CLASSES = 1001  # index 0 is "background" in this TF-slim checkpoint
_BUILTIN = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_ACTIVATION = {v: k for k, v in vars(tflite.ActivationFunctionType).items() if not k.startswith("_")}
_PADDING = {v: k for k, v in vars(tflite.Padding).items() if not k.startswith("_")}


class TFLitePortError(ValueError):
    """The .tflite file is not the MobileNetV2 this port understands."""


# --------------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class QuantizedTensor:
    index: int
    name: str
    shape: tuple[int, ...]
    scale: np.ndarray  # float64, one value or one per channel along `axis`
    zero_point: np.ndarray
    axis: int
    data: np.ndarray | None  # raw constant values (uint8/int8/int32), None for activations


@dataclass(frozen=True)
class Operator:
    index: int
    kind: str  # "CONV_2D", "DEPTHWISE_CONV_2D", "ADD", ...
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    stride: tuple[int, int] = (1, 1)
    padding: str = ""  # "SAME" / "VALID" for convolutions and pools
    activation: str = "NONE"  # fused activation ("NONE", "RELU6", ...)


@dataclass(frozen=True)
class TFLiteGraph:
    operators: tuple[Operator, ...]
    tensors: dict[int, QuantizedTensor]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]


def _opcode(model: tflite.Model, op: tflite.Operator) -> str:
    code = model.OperatorCodes(op.OpcodeIndex())
    # Schema v3a moved builtin codes > 127 to BuiltinCode; older files only fill the deprecated byte.
    return _BUILTIN[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]


def _options(kind: str, op: tflite.Operator) -> dict:
    table = op.BuiltinOptions()
    cls = {
        "CONV_2D": tflite.Conv2DOptions,
        "DEPTHWISE_CONV_2D": tflite.DepthwiseConv2DOptions,
        "AVERAGE_POOL_2D": tflite.Pool2DOptions,
        "ADD": tflite.AddOptions,
    }.get(kind)
    if cls is None or table is None:
        return {}
    opts = cls()
    opts.Init(table.Bytes, table.Pos)
    out = {"activation": _ACTIVATION[opts.FusedActivationFunction()]}
    if kind != "ADD":
        out["stride"] = (opts.StrideH(), opts.StrideW())
        out["padding"] = _PADDING[opts.Padding()]
    if kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        dilation = (opts.DilationHFactor(), opts.DilationWFactor())
        if dilation != (1, 1):
            raise TFLitePortError(f"operator {kind} uses dilation {dilation}; only 1 is supported")
    return out


def read_tflite(path: str | Path) -> TFLiteGraph:
    """Parse the flatbuffer into plain dataclasses (operators in execution order, tensors by index)."""
    buf = Path(path).read_bytes()
    model = tflite.Model.GetRootAsModel(buf, 0)
    if model.SubgraphsLength() != 1:
        raise TFLitePortError(f"expected one subgraph, found {model.SubgraphsLength()}")
    graph = model.Subgraphs(0)
    tensors: dict[int, QuantizedTensor] = {}
    for i in range(graph.TensorsLength()):
        t = graph.Tensors(i)
        q = t.Quantization()
        if q is None or q.ScaleLength() == 0:
            scale, zero, axis = np.ones(1), np.zeros(1, dtype=np.int64), 0
        else:
            scale = q.ScaleAsNumpy().astype(np.float64)
            zero = q.ZeroPointAsNumpy().astype(np.int64)
            axis = q.QuantizedDimension()
        raw = model.Buffers(t.Buffer()).DataAsNumpy()
        data = None
        if isinstance(raw, np.ndarray) and raw.size:
            dtype = {tflite.TensorType.UINT8: np.uint8, tflite.TensorType.INT8: np.int8,
                     tflite.TensorType.INT32: np.int32, tflite.TensorType.FLOAT32: np.float32}[t.Type()]
            data = raw.view(dtype).reshape(tuple(t.ShapeAsNumpy()))
        tensors[i] = QuantizedTensor(i, t.Name().decode(), tuple(int(s) for s in t.ShapeAsNumpy()),
                                     scale, zero, axis, data)
    ops = []
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        kind = _opcode(model, op)
        ops.append(Operator(i, kind, tuple(int(x) for x in op.InputsAsNumpy()),
                            tuple(int(x) for x in op.OutputsAsNumpy()), **_options(kind, op)))
    return TFLiteGraph(tuple(ops), tensors, tuple(int(x) for x in graph.InputsAsNumpy()),
                       tuple(int(x) for x in graph.OutputsAsNumpy()))


def dequantize(t: QuantizedTensor) -> np.ndarray:
    """``scale * (q - zero_point)`` in float64, per tensor or per channel along ``t.axis``."""
    if t.data is None:
        raise TFLitePortError(f"tensor {t.index} ({t.name}) has no constant data")
    shape = [1] * t.data.ndim
    if t.scale.size > 1:
        shape[t.axis] = t.scale.size
    return t.scale.reshape(shape) * (t.data.astype(np.float64) - t.zero_point.reshape(shape))


def conv_parameters(graph: TFLiteGraph, op: Operator) -> tuple[np.ndarray, np.ndarray]:
    """Float32 (OIHW weight, bias) of a CONV_2D / DEPTHWISE_CONV_2D operator."""
    x, w, b = (graph.tensors[i] for i in op.inputs)
    weight = dequantize(w)
    if op.kind == "CONV_2D":  # O,H,W,I -> O,I,H,W
        weight = weight.transpose(0, 3, 1, 2)
    else:  # depthwise is 1,H,W,C(*multiplier) -> C,1,H,W
        weight = weight.transpose(3, 0, 1, 2)
    # The int32 bias is quantized with input_scale * weight_scale (TFLite kernels rely on exactly that;
    # the bias tensor's own recorded scale is the same number, rounded to float32).
    bias_scale = x.scale * w.scale
    if not np.allclose(b.scale, bias_scale, rtol=1e-5):
        raise TFLitePortError(f"bias {b.name}: scale {b.scale} != input*weight scale {bias_scale}")
    bias = b.data.astype(np.float64) * bias_scale
    return weight.astype(np.float32), bias.astype(np.float32)


# --------------------------------------------------------------------------------------- padding


def tf_same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow "SAME" padding (before, after) along one axis: the odd pixel goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class TFSameConv2d(nn.Conv2d):
    """A stride-2 ``nn.Conv2d`` with TensorFlow's asymmetric SAME padding, fixed at (0 before, 1 after).

    That is TF's padding for a 3x3 / stride-2 kernel on an even-sized input, which every stride-2
    layer sees at 128, 160 and 224 px (any side divisible by 32). A constant pad exports to ONNX as
    Pad + Conv (torch 1.13 feeds the Pad from a small constant subgraph that onnxruntime's basic
    optimisation folds away); odd sizes (where TF pads 1/1) raise instead of silently differing.
    Subclassing ``nn.Conv2d`` keeps torchvision's state_dict keys.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        # Only in eager mode: tracers (ONNX export, FX) see symbolic sizes and must not branch on them.
        if isinstance(h, int) and isinstance(w, int) and not torch.jit.is_tracing():
            if h % 2 or w % 2:
                raise ValueError(f"TF SAME padding is ported for even sizes only; a stride-2 layer got "
                                 f"{h}x{w} (use an input side divisible by 32)")
        return F.conv2d(F.pad(x, (0, 1, 0, 1)), self.weight, self.bias, self.stride, 0,
                        self.dilation, self.groups)


def _to_tf_same(conv: nn.Conv2d) -> TFSameConv2d:
    # (0, 1) is TF's padding for this kernel/stride on any even size (checked here on one).
    if conv.kernel_size != (3, 3) or conv.stride != (2, 2) or tf_same_padding(112, 3, 2) != (0, 1):
        raise TFLitePortError(f"fixed (0, 1) padding is only right for 3x3/stride-2, not {conv}")
    return TFSameConv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, 0,
                        conv.dilation, conv.groups, bias=conv.bias is not None)


# --------------------------------------------------------------------------------------- mapping


@dataclass
class _ConvSlot:
    """A torchvision conv with the modules that follow it in the same Sequential."""

    parent: nn.Module
    name: str  # attribute of `parent` holding the conv
    conv: nn.Conv2d
    bn: nn.BatchNorm2d
    relu6: bool


def _leaves(module: nn.Module):
    """(parent, attribute, leaf module) in definition order, which is forward order for MobileNetV2."""
    for name, child in module.named_children():
        if any(True for _ in child.children()):
            yield from _leaves(child)
        else:
            yield module, name, child


def _conv_slots(model: MobileNetV2) -> list[_ConvSlot]:
    leaves = list(_leaves(model.features))
    slots = []
    for i, (parent, name, mod) in enumerate(leaves):
        if isinstance(mod, nn.Conv2d):
            nxt = [m for p, _, m in leaves[i + 1:i + 3] if p is parent]
            if not nxt or not isinstance(nxt[0], nn.BatchNorm2d):
                raise TFLitePortError(f"torchvision conv {name} is not followed by a BatchNorm2d")
            slots.append(_ConvSlot(parent, name, mod, nxt[0], len(nxt) > 1 and isinstance(nxt[1], nn.ReLU6)))
    return slots


def _set_identity_bn(bn: nn.BatchNorm2d, bias: np.ndarray) -> None:
    # eval BN: (x - 0) / sqrt((1 - eps) + eps) * 1 + bias == x + bias: the folded bias, nothing else.
    with torch.no_grad():
        bn.weight.fill_(1.0)
        bn.bias.copy_(torch.from_numpy(bias))
        bn.running_mean.zero_()
        bn.running_var.fill_(1.0 - bn.eps)


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise TFLitePortError(message)


def port_graph(graph: TFLiteGraph, tf_padding: bool = True) -> MobileNetV2:
    """Build a torchvision MobileNetV2 holding the graph's weights (see module docstring).

    ``tf_padding=False`` keeps torchvision's symmetric padding on the stride-2 layers: wrong, only
    there to measure how much the asymmetric padding matters.
    """
    model = MobileNetV2(num_classes=IMAGENET_CLASSES)
    ops = list(graph.operators)
    convs = [op for op in ops if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D")]
    _check(len(convs) >= 2, "no convolutions in the graph")
    body, logits = convs[:-1], convs[-1]
    slots = _conv_slots(model)
    _check(len(slots) == len(body),
           f"graph has {len(body)} feature convolutions, torchvision MobileNetV2 has {len(slots)}")
    _check_dataflow(graph, body)

    for n, (op, slot) in enumerate(zip(body, slots)):
        weight, bias = conv_parameters(graph, op)
        conv = slot.conv
        where = f"operator {op.index} ({op.kind}) -> torchvision conv #{n}"
        _check(tuple(weight.shape) == tuple(conv.weight.shape),
               f"{where}: weight {weight.shape} != {tuple(conv.weight.shape)}")
        _check((op.kind == "DEPTHWISE_CONV_2D") == (conv.groups == conv.in_channels > 1),
               f"{where}: depthwise mismatch (groups={conv.groups})")
        _check(op.stride == conv.stride, f"{where}: stride {op.stride} != {conv.stride}")
        _check(op.activation == ("RELU6" if slot.relu6 else "NONE"),
               f"{where}: fused activation {op.activation}, torchvision relu6={slot.relu6}")
        _check(op.padding == "SAME", f"{where}: padding {op.padding}, expected SAME")
        k = conv.kernel_size[0]
        if conv.stride == (1, 1):  # TF SAME with stride 1 and odd k is symmetric: torchvision's own
            _check(conv.padding == (k // 2, k // 2), f"{where}: padding {conv.padding}")
        elif tf_padding:
            conv = _to_tf_same(conv)
            setattr(slot.parent, slot.name, conv)
        with torch.no_grad():
            conv.weight.copy_(torch.from_numpy(weight))
        _set_identity_bn(slot.bn, bias)

    _check_residuals(model, graph, body)
    _check_head(graph, ops, body[-1], logits, model)
    w, b = conv_parameters(graph, logits)
    linear = model.classifier[-1]
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(w.reshape(w.shape[0], -1)))
        linear.bias.copy_(torch.from_numpy(b))
    return model.eval()


def _check_dataflow(graph: TFLiteGraph, body: list[Operator]) -> None:
    """The convolutions form one chain: each reads the graph input, its predecessor's output, or a
    residual ADD of that output (so matching them to torchvision's module order is sound)."""
    producer = {out: op for op in graph.operators for out in op.outputs}
    _check(body[0].inputs[0] == graph.inputs[0], "the first convolution does not read the graph input")
    for prev, op in zip(body, body[1:]):
        src = producer.get(op.inputs[0])
        _check(src is prev or (src is not None and src.kind == "ADD" and prev.outputs[0] in src.inputs),
               f"operator {op.index} does not read the output of operator {prev.index}")


def _check_residuals(model: MobileNetV2, graph: TFLiteGraph, body: list[Operator]) -> None:
    """Every torchvision skip connection is an ADD of (block input, block output) in the graph, and
    there is no other ADD."""
    adds = [set(op.inputs) for op in graph.operators if op.kind == "ADD"]
    first = skips = 0
    for block in model.features:
        n = sum(isinstance(m, nn.Conv2d) for m in block.modules())
        if isinstance(block, InvertedResidual):
            pair = {body[first].inputs[0], body[first + n - 1].outputs[0]}
            _check((pair in adds) == block.use_res_connect,
                   f"residual mismatch at the block starting with operator {body[first].index}")
            skips += block.use_res_connect
        first += n
    _check(skips == len(adds), f"{len(adds)} ADDs in the graph, {skips} skip connections in torchvision")


def _check_head(graph: TFLiteGraph, ops: list[Operator], last: Operator, logits: Operator,
                model: MobileNetV2) -> None:
    """Global average pool of the last feature conv, then the 1x1 logits conv (torchvision's Linear)."""
    at = ops.index(logits)
    pool, kinds = ops[at - 1], [op.kind for op in ops[at - 1:]]
    _check(kinds[:2] == ["AVERAGE_POOL_2D", "CONV_2D"] and set(kinds[2:]) <= {"RESHAPE", "SQUEEZE", "SOFTMAX"},
           f"unexpected classifier head {kinds}")
    _check(pool.inputs[0] == last.outputs[0] and logits.inputs[0] == pool.outputs[0],
           "the classifier head is not fed by the last feature convolution")
    pool_in, pool_out = graph.tensors[pool.inputs[0]].shape, graph.tensors[pool.outputs[0]].shape
    _check(pool_out[1:3] == (1, 1), f"average pool is not global: {pool_in} -> {pool_out}")
    _check(logits.activation == "NONE", "logits convolution has a fused activation")
    linear = model.classifier[-1]
    shape = graph.tensors[logits.inputs[1]].shape
    _check(shape == (linear.out_features, 1, 1, linear.in_features), f"logits weight {shape} does not fit {linear}")


def load_imagenet_mobilenet_v2(tflite_path: str | Path, tf_padding: bool = True) -> MobileNetV2:
    """ImageNet MobileNetV2 (1001 classes, index 0 = background) from the quantized .tflite file.

    Returns a torchvision ``MobileNetV2`` in eval mode: float32, identity BatchNorms carrying the
    folded biases, TF-style padding on the five stride-2 convolutions. Input: NCHW RGB in [-1, 1]
    (``x / 127.5 - 1``), any side divisible by 32 (128, 160, 224...).
    """
    path = Path(tflite_path)
    if not path.is_file():
        raise FileNotFoundError(f"TFLite model not found: {path}")
    return port_graph(read_tflite(path), tf_padding=tf_padding)


def input_quantization(tflite_path: str | Path) -> tuple[float, int]:
    """(scale, zero_point) of the graph's uint8 input, e.g. (1/128, 128)."""
    graph = read_tflite(tflite_path)
    t = graph.tensors[graph.inputs[0]]
    return float(t.scale[0]), int(t.zero_point[0])


__all__ = [
    "IMAGENET_CLASSES", "TFLitePortError", "TFSameConv2d", "conv_parameters", "dequantize",
    "input_quantization", "load_imagenet_mobilenet_v2", "port_graph", "read_tflite", "tf_same_padding",
]
