"""Embedder shapes, freezing, and PyTorch -> ONNX fp32 parity (random init: needs no shared data)."""
import numpy as np
import onnx
import pytest
import torch

from cropgate_training import embedder, onnx_export


@pytest.fixture(scope="module")
def model():
    torch.set_num_threads(2)
    return embedder.build(None, seed=0).eval()


@pytest.mark.parametrize("batch,size", [(1, 128), (3, 128), (2, 160)])
def test_output_shape(model, batch, size):
    with torch.no_grad():
        y = model(torch.zeros(batch, 3, size, size))
    assert y.shape == (batch, 512)


def test_seeded_build_is_deterministic():
    a, b = embedder.build(None, seed=3), embedder.build(None, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_freeze_first_blocks():
    m = embedder.build(None, seed=0)
    embedder.freeze_first(m, 10)
    assert not any(p.requires_grad for p in m.features[:10].parameters())
    assert all(p.requires_grad for p in m.features[10:].parameters())
    assert all(p.requires_grad for p in m.fc.parameters())


def test_onnx_export_contract_and_parity(model, tmp_path):
    from cropgate_training.preprocess import SIZE, preprocess_file
    from cropgate_training.vectors import fixture_files

    path = onnx_export.export_fp32(model, tmp_path / "m.onnx")
    g = onnx.load(str(path))
    assert [o.version for o in g.opset_import if o.domain in ("", "ai.onnx")] == [onnx_export.OPSET]
    (inp,), (out,) = g.graph.input, g.graph.output
    assert inp.name == "input" and out.name == "embedding"
    assert inp.type.tensor_type.shape.dim[0].dim_param == "batch"
    assert [d.dim_value for d in inp.type.tensor_type.shape.dim[1:]] == [3, SIZE, SIZE]
    x = np.stack([preprocess_file(f) for f in fixture_files()])  # real photos
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    got = onnx_export.run(onnx_export.session(path), x)
    assert got.shape == (len(x), 512)
    assert onnx_export.cosine_rows(want, got).min() >= 0.9999
