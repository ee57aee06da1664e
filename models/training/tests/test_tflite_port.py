"""The TFLite -> torchvision port of ImageNet MobileNetV2 classifies like the .tflite file itself."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from cropgate_training.imagenet import (TFLiteClassifier, central_square, image_files, load_imagenet_pixels,
                                        load_labels, pixels_to_tensor)
from cropgate_training.tflite_port import (TFLitePortError, TFSameConv2d, load_imagenet_mobilenet_v2, port_graph,
                                           read_tflite, tf_same_padding)

TFLITE = "mobilenet_v2_1.0_224_quant.tflite"
COCO_COUNT = 100  # all of negatives/coco; ~10 s of the test's time at 2 threads

# Unambiguous photos and the ImageNet labels (first synonym) that count as right.
EXPECTED = {
    "photos/chelsea.png": {"tabby", "tiger cat", "Egyptian cat"},
    "photos/coffee.png": {"espresso", "cup", "coffee mug"},
    "photos/LadyBird.jpg": {"ladybug"},
    "photos/motorcycle_left.png": {"moped", "motor scooter"},
    "photos/rocket.jpg": {"missile", "projectile"},
    "photos/YellowFlower.jpg": {"daisy"},
    "coco/000000000034.jpg": {"zebra"},
    "coco/000000000036.jpg": {"umbrella"},
    "coco/000000000321.jpg": {"hotdog"},
    "coco/000000000370.jpg": {"broccoli"},
    "coco/000000000397.jpg": {"pizza"},
    "coco/000000000471.jpg": {"school bus"},
    "coco/000000000502.jpg": {"American black bear", "brown bear"},
}


@pytest.fixture(scope="module", autouse=True)
def _threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # the machine is shared
    yield
    torch.set_num_threads(before)


def test_tf_same_padding_puts_the_odd_pixel_after():
    assert tf_same_padding(224, 3, 2) == (0, 1)
    assert tf_same_padding(8, 3, 2) == (0, 1)
    assert tf_same_padding(225, 3, 2) == (1, 1)  # odd sizes are symmetric: why the port rejects them
    assert tf_same_padding(7, 3, 1) == (1, 1)
    assert tf_same_padding(7, 1, 1) == (0, 0)


def test_imagenet_input_recipe():
    assert central_square(451, 300) == (94, 19, 356, 281)  # 262 = 87.5 % of the short side, centred
    assert central_square(300, 451, fraction=1.0) == (0, 75, 300, 375)
    x = pixels_to_tensor(np.array([[[0, 128, 255]]], dtype=np.uint8))
    assert x.shape == (1, 3, 1, 1) and x.flatten().tolist() == pytest.approx([-1.0, 128 / 127.5 - 1, 1.0], abs=1e-6)
    with pytest.raises(ValueError, match="uint8"):
        pixels_to_tensor(np.zeros((4, 4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="central fraction"):
        central_square(10, 10, fraction=0)


def test_wrong_label_file_is_a_clear_error(tmp_path):
    (tmp_path / "labels.txt").write_text("cat\ndog\n")
    with pytest.raises(ValueError, match="1001 labels"):
        load_labels(tmp_path / "labels.txt")


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        load_imagenet_mobilenet_v2(tmp_path / "nope.tflite")


@pytest.fixture(scope="module")
def tflite_path(tflite_weights):
    return tflite_weights / TFLITE


@pytest.fixture(scope="module")
def ported(tflite_path):
    return load_imagenet_mobilenet_v2(tflite_path)


def test_structure(ported):
    assert ported.classifier[-1].in_features == 1280 and ported.classifier[-1].out_features == 1001
    convs = [m for m in ported.modules() if isinstance(m, nn.Conv2d)]
    strided = [m for m in convs if m.stride == (2, 2)]
    assert len(strided) == 5 and all(isinstance(m, TFSameConv2d) and m.padding == (0, 0) for m in strided)
    assert not any(isinstance(m, TFSameConv2d) for m in convs if m.stride == (1, 1))
    for bn in (m for m in ported.modules() if isinstance(m, nn.BatchNorm2d)):
        assert torch.all(bn.weight == 1) and torch.all(bn.running_mean == 0)
        assert torch.allclose(bn.running_var + bn.eps, torch.ones_like(bn.running_var))
    # torchvision's state_dict keys are kept, so code written for torchvision's model still loads it
    assert set(ported.state_dict()) == set(type(ported)(num_classes=1001).state_dict())


@pytest.mark.parametrize("size", [128, 160, 224])
def test_shapes(ported, size):
    x = torch.rand(2, 3, size, size) * 2 - 1
    with torch.no_grad():
        assert ported.features(x).shape == (2, 1280, size // 32, size // 32)
        logits = ported(x)
    assert logits.shape == (2, 1001) and torch.isfinite(logits).all()


def test_odd_sizes_are_a_clear_error(ported):
    with torch.no_grad(), pytest.raises(ValueError, match="even sizes only"):
        ported(torch.zeros(1, 3, 130, 130))  # 130 -> 65: odd at the second stride-2 layer


def test_a_graph_that_is_not_this_mobilenet_is_rejected(tflite_path):
    graph = read_tflite(tflite_path)
    no_first_add = tuple(op for op in graph.operators if op.index != 9)  # operator 9 is the first ADD
    assert graph.operators[9].kind == "ADD"
    with pytest.raises(TFLitePortError, match="operator 10 does not read the output of operator 8"):
        port_graph(replace(graph, operators=no_first_add))
    no_first_conv = graph.operators[1:]
    with pytest.raises(TFLitePortError, match="feature convolutions"):
        port_graph(replace(graph, operators=no_first_conv))


def test_exports_to_onnx(ported, tmp_path):
    onnx = pytest.importorskip("onnx", reason="onnx is in requirements.txt; needed for the export check")
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is in requirements.txt")
    path = tmp_path / "mnv2.onnx"
    x = torch.rand(3, 3, 128, 128) * 2 - 1
    torch.onnx.export(ported, x[:1], str(path), opset_version=17, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    graph = onnx.load(str(path)).graph
    assert sum(n.op_type == "Pad" for n in graph.node) == 5
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": x.numpy()})
    with torch.no_grad():
        want = ported(x).numpy()
    assert got.shape == (3, 1001)
    assert np.abs(got - want).max() < 1e-3


# ------------------------------------------------------------------------------ on real photos


@pytest.fixture(scope="module")
def labels(tflite_weights):
    return load_labels(tflite_weights / "imagenet_labels.txt")


@pytest.fixture(scope="module")
def photos(shared_data):
    """(names relative to negatives/, uint8 224x224 pixels) of negatives/photos and COCO photos."""
    files = image_files(shared_data / "negatives" / "photos")
    files += image_files(shared_data / "negatives" / "coco")[:COCO_COUNT]
    assert len(files) > 24, f"expected negatives/photos and negatives/coco in {shared_data}"
    names = [f"{f.parent.name}/{f.name}" for f in files]
    return names, np.stack([load_imagenet_pixels(f) for f in files])


def _logits(model, pixels, batch=16):
    with torch.no_grad():
        return torch.cat([model(pixels_to_tensor(pixels[i:i + batch])) for i in range(0, len(pixels), batch)])


@pytest.fixture(scope="module")
def port_logits(ported, photos):
    return _logits(ported, photos[1]).numpy().astype(np.float64)


@pytest.fixture(scope="module")
def reference(tflite_path, photos):
    pytest.importorskip("ai_edge_litert", reason="ai-edge-litert (pinned in requirements.txt) runs the "
                                                 ".tflite reference; install it to compare against TFLite")
    return TFLiteClassifier(tflite_path)(photos[1])


def _short(label: str) -> str:
    return label.split(",")[0]


def test_unambiguous_photos_get_sensible_imagenet_labels(photos, port_logits, labels):
    names = photos[0]
    wrong = {}
    for name, expected in EXPECTED.items():
        assert name in names, f"{name} missing from the shared data"
        top1 = _short(labels[int(port_logits[names.index(name)].argmax())])
        if top1 not in expected:
            wrong[name] = top1
    assert not wrong, f"unexpected top-1 labels: {wrong}"


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _correlations(a, b):
    return np.array([np.corrcoef(x, y)[0, 1] for x, y in zip(a, b)])


def test_port_agrees_with_the_tflite_interpreter(photos, port_logits, reference, labels):
    probs = _softmax(port_logits)
    top1, ref_top1 = probs.argmax(1), reference.probs.argmax(1)
    agreement = float((top1 == ref_top1).mean())
    corr = _correlations(port_logits, reference.logits)
    mean_dprob = float(np.abs(probs - reference.probs).mean())
    print(f"\n{len(top1)} photos: top-1 agreement {agreement:.3f}, logit correlation min {corr.min():.4f} "
          f"median {np.median(corr):.4f}, mean |dprob| {mean_dprob:.2e}")
    # The .tflite also quantizes every activation to uint8, so near-ties may flip; never more than that:
    ref_top3 = np.argsort(-reference.logits, axis=1)[:, :3]
    far = [photos[0][i] for i in np.flatnonzero(top1 != ref_top1) if top1[i] not in ref_top3[i]]
    assert not far, f"port top-1 outside TFLite's top-3 for {far}"
    assert agreement >= 0.85
    assert corr.min() > 0.98 and np.median(corr) > 0.995
    assert mean_dprob < 5e-4


def test_symmetric_padding_is_measurably_worse(tflite_path, photos, port_logits, reference):
    """torchvision's own (symmetric) padding on the stride-2 layers: same weights, clearly worse match."""
    n = 48  # enough to show it; keeps the test fast
    symmetric = load_imagenet_mobilenet_v2(tflite_path, tf_padding=False)
    sym_logits = _logits(symmetric, photos[1][:n]).numpy().astype(np.float64)
    ref = reference.logits[:n]
    corr_tf, corr_sym = _correlations(port_logits[:n], ref), _correlations(sym_logits, ref)
    agree_tf = (port_logits[:n].argmax(1) == ref.argmax(1)).mean()
    agree_sym = (sym_logits.argmax(1) == ref.argmax(1)).mean()
    print(f"\nfirst {n} photos, logit correlation median TF padding {np.median(corr_tf):.4f} vs symmetric "
          f"{np.median(corr_sym):.4f}; top-1 agreement {agree_tf:.3f} vs {agree_sym:.3f}")
    assert np.median(corr_sym) < np.median(corr_tf) - 0.05
    assert (corr_sym < corr_tf).mean() >= 0.9
    assert agree_sym < agree_tf
