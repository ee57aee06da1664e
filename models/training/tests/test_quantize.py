"""Weight-only QDQ (onnx_export.quantize_weight_only_qdq): lossless on weights that already lie on an
8-bit grid (the frozen TFLite backbone), per-channel int8 elsewhere, activations float."""
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from cropgate_training import onnx_export


class _Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.conv = torch.nn.Conv2d(3, 8, 3, bias=True)
        # A per-tensor uint8 grid, as the TFLite backbone has: step * (q - zero point), q in 0..255.
        q = torch.randint(0, 256, self.conv.weight.shape, generator=g).float()
        self.conv.weight.data = 0.0137 * (q - 131)
        self.fc = torch.nn.Linear(8, 5)  # off-grid float weights, like the trained head

    def forward(self, x):
        return self.fc(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(self.conv(x), 1), 1))


def _export(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.onnx"
    torch.onnx.export(_Tiny().eval(), torch.zeros(1, 3, 16, 16), str(path), input_names=[onnx_export.INPUT],
                      output_names=[onnx_export.OUTPUT], opset_version=onnx_export.OPSET,
                      dynamic_axes={onnx_export.INPUT: {0: "batch"}, onnx_export.OUTPUT: {0: "batch"}})
    return path


def test_grid_weights_are_stored_exactly_and_the_head_per_channel(tmp_path):
    fp32 = _export(tmp_path)
    out = onnx_export.quantize_weight_only_qdq(fp32, tmp_path / "wo.onnx")
    before = {i.name: numpy_helper.to_array(i) for i in onnx.load(str(fp32)).graph.initializer}
    model = onnx.load(str(out))
    after = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    dq = {n.output[0]: n for n in model.graph.node if n.op_type == "DequantizeLinear"}
    assert len(dq) == 2  # the conv's and the head's weights; activations are not quantized
    assert not any(n.op_type == "QuantizeLinear" for n in model.graph.node)
    for name, node in dq.items():
        q, s, z = (after[i] for i in node.input)
        assert q.dtype in (np.uint8, np.int8)
        axis = next((a.i for a in node.attribute if a.name == "axis"), None)
        shape = [1] * q.ndim
        if axis is not None:
            shape[axis] = -1
        w = (q.astype(np.float64) - z.astype(np.float64).reshape(shape)) * s.astype(np.float64).reshape(shape)
        if q.ndim == 4:  # the grid conv: lossless, per tensor
            assert axis is None and q.dtype == np.uint8
            np.testing.assert_allclose(w, before[name], rtol=0, atol=1e-6)
        else:  # the head: int8 per output channel, error within half a step
            assert axis == 0 and q.dtype == np.int8 and s.shape == (5,)
            assert np.abs(w - before[name]).max() <= s.max() / 2 + 1e-7


def test_outputs_match_fp32_and_the_session_config_folds_the_dequantize_nodes(tmp_path):
    fp32 = _export(tmp_path)
    out = onnx_export.quantize_weight_only_qdq(fp32, tmp_path / "wo.onnx")
    x = np.random.default_rng(0).normal(size=(4, 3, 16, 16)).astype(np.float32)
    ref = onnx_export.run(onnx_export.session(fp32), x)
    for config in (None, onnx_export.SESSION_CONFIG["weightonly"]):
        got = onnx_export.run(onnx_export.session(out, 1, config), x)
        assert onnx_export.cosine_rows(ref, got).min() > 0.9999
