"""The whole pipeline end to end on a handful of images, tiny epochs, into a temp dir (needs shared data
and weights: skipped with the reason when absent)."""
import hashlib
import json
from pathlib import Path

import numpy as np

from cropgate_training import onnx_export, vectors
from cropgate_training.pipeline import PipelineConfig, run
from cropgate_training.train import TrainConfig

MODELS = Path(__file__).resolve().parents[2]


def _digest(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "work" not in p.parts and ".venv" not in p.parts
            and "__pycache__" not in p.parts and "training" not in p.parts}


def test_pipeline_smoke(shared_data, tflite_weights, tmp_path):
    before = _digest(MODELS)
    cfg = PipelineConfig(data_dir=shared_data, weights=tflite_weights / "mobilenet_v2_1.0_224_quant.tflite",
                         out_dir=tmp_path / "out", work_dir=tmp_path / "work", train=TrainConfig(epochs=1),
                         baseline_epochs=1, limit_per_group=5, unseen_crop=False)
    res = run(cfg, log=lambda m: None)
    out = tmp_path / "out"
    assert _digest(MODELS) == before  # never overwrites the committed artifacts
    manifest = json.loads((out / "manifest.json").read_text())
    model = out / manifest["model"]["file"]
    assert manifest["model"]["sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert manifest["model"]["bytes"] <= 4_000_000
    ref = json.loads((out / "references" / "rice.json").read_text())
    tv = json.loads((out / "test-vectors.json").read_text())
    assert ref["model"]["sha256"] == tv["model"]["sha256"] == manifest["model"]["sha256"]
    assert [e["file"] for e in tv["images"]] == [f.relative_to(MODELS.parent).as_posix() for f in vectors.fixture_files()]
    assert (out / "eval" / "histogram.png").stat().st_size > 10_000 and (out / "README.md").is_file()
    m = res["metrics"]
    assert m["parity"]["torchVsOnnxFp32"] >= 0.9999
    assert set(m["quantization"]) == {"dynamic", "static", "weightonly", "fp32"}
    assert set(m["baselines"]) == {"referenceRecipe", "imagenetNoFinetune"}
    assert len(manifest["training"]["data"]["classes"]) > 2
    # The shipped file really is what the reference was calibrated on.
    sess = onnx_export.session(model)
    e = np.array(tv["images"][0]["embeddingInt8"], dtype=np.float32)
    assert e.shape == (512,) and np.isfinite(e).all() and sess.get_inputs()[0].name == "input"
