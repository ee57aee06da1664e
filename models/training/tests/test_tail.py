"""The trained tail: batch-norm folding is exact, MixStyle and GeM behave, training separates toy classes, and
the exported graph (one branch, two outputs) matches torch (random weights: no shared data needed)."""
import numpy as np
import torch

from cropgate_training import onnx_export, tail as T
from cropgate_training.embedder import TrainedTailEmbedder, backbone_features, centred_head
from cropgate_training.maps import SPLIT


def _features():
    f = backbone_features(None, seed=0)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():  # non-trivial batch-norm statistics, so folding has something to fold
        for m in f.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.1)
    return f.eval()


def test_fold_batchnorm_is_exact_and_leaves_no_batch_norm():
    f = _features()
    x = torch.randn(3, 96, 10, 10)
    folded = T.fold_batchnorm(f[SPLIT:]).eval()
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    with torch.no_grad():
        a, b = f[SPLIT:](x), folded(x)
    assert torch.allclose(a, b, atol=1e-4 * a.abs().max().item())


def test_gem_with_p_1_is_average_pooling_and_larger_p_leans_to_the_peak():
    x = torch.zeros(1, 2, 4, 4)
    x[0, :, 0, 0] = 8.0
    assert torch.allclose(T.GeM(1.0)(x).flatten(), torch.tensor([0.5, 0.5]))
    assert (T.GeM(3.0)(x).flatten() > 0.5 * 4).all()


def test_mixstyle_keeps_shapes_and_mixes_statistics():
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    x = torch.randn(8, 4, 5, 5) * torch.arange(1, 9).view(8, 1, 1, 1)
    y = T.mixstyle(x, g)
    assert y.shape == x.shape and not torch.allclose(x, y)
    # Each sample's content (its normalised map) is kept.
    z = lambda t: (t - t.mean((2, 3), keepdim=True)) / t.std((2, 3), keepdim=True)  # noqa: E731
    assert torch.allclose(z(x), z(y), atol=1e-3)


def test_training_separates_two_toy_classes():
    f = _features()
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, (40, 96, 10, 10)).astype(np.float16)
    a[20:] += 2  # class 1 is brighter in every channel
    y = np.r_[np.zeros(20, int), np.ones(20, int)]
    strata = ["s0"] * 20 + ["s1"] * 20
    cfg = T.TailConfig(dim=16, steps=60, batch_size=16, lr_tail=1e-3, gem=3.0)
    model = T.train_tail(a, y, strata, f[SPLIT:], cfg)
    e = T.embed(model, a)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    w = model.class_weights / np.linalg.norm(model.class_weights, axis=1, keepdims=True)
    assert ((e @ w.T).argmax(axis=1) == y).mean() >= 0.9
    assert T.embed(model, a, pooled=True).shape == (40, 1280)


def test_trained_tail_graph_exports_with_two_outputs_that_match_torch(tmp_path):
    f = _features()
    head = T.TailHead(f[SPLIT:], dim=32, gem=3.0)
    mu = np.linspace(-0.1, 0.1, 32)
    model = TrainedTailEmbedder(f, SPLIT, centred_head(head, mu), np.zeros(1280),
                                np.random.default_rng(0).normal(size=(1280, 8))).eval()
    x = torch.randn(2, 3, 160, 160)
    with torch.no_grad():
        e, feats = model(x)
        want = head(f[:SPLIT](x)).numpy() - mu  # centring is folded into the head's last bias
    assert np.allclose(e.numpy(), want, atol=1e-4)
    path = onnx_export.export_fp32(model, tmp_path / "m.onnx", 160, TrainedTailEmbedder.OUTPUTS)
    out = onnx_export.run_all(onnx_export.session(path), x.numpy())
    assert out["embedding"].shape == (2, 32) and out["features"].shape == (2, 8)
    assert onnx_export.cosine_rows(e.numpy(), out["embedding"]).min() > 0.9999
    assert onnx_export.cosine_rows(feats.numpy(), out["features"]).min() > 0.9999


def test_snapped_weights_survive_the_int8_export_unchanged(tmp_path):
    f = _features()
    head = T.snap_int8(T.TailHead(f[SPLIT:], dim=32))
    with torch.no_grad():
        for p in head.tail.parameters():  # move off the TFLite grid, as training does, then snap again
            p.add_(torch.randn_like(p) * 1e-2)
    T.snap_int8(head)
    model = TrainedTailEmbedder(f, SPLIT, head, np.zeros(1280), np.eye(1280)[:, :16]).eval()
    fp32 = onnx_export.export_fp32(model, tmp_path / "m.onnx", 160, TrainedTailEmbedder.OUTPUTS)
    int8 = onnx_export.quantize_weight_only_qdq(onnx_export.prepare(fp32, tmp_path / "pre.onnx"), tmp_path / "q.onnx")
    x = np.random.default_rng(0).normal(size=(3, 3, 160, 160)).astype(np.float32)
    a = onnx_export.run_all(onnx_export.session(fp32), x)
    b = onnx_export.run_all(onnx_export.session(int8, 1, onnx_export.SESSION_CONFIG["weightonly"]), x)
    assert onnx_export.cosine_rows(a["embedding"], b["embedding"]).min() > 0.99999
