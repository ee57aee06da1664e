"""The whole pipeline end to end on a handful of images, a short head training, into a temp dir (needs shared
data and weights: skipped with the reason when absent)."""
import hashlib
import json
from pathlib import Path

import numpy as np

from cropgate_training import onnx_export, vectors
from cropgate_training.pipeline import PipelineConfig, run

MODELS = Path(__file__).resolve().parents[2]


def _digest(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "work" not in p.parts and ".venv" not in p.parts
            and "__pycache__" not in p.parts and "training" not in p.parts}


def test_pipeline_smoke(shared_data, tflite_weights, tmp_path):
    before = _digest(MODELS)
    cfg = PipelineConfig(data_dir=shared_data, weights=tflite_weights / "mobilenet_v2_1.0_224_quant.tflite",
                         out_dir=tmp_path / "out", work_dir=tmp_path / "work", steps=20,
                         limit_per_group=3, unseen=False, parity_per_source=3)
    res = run(cfg, log=lambda m: None)
    out = tmp_path / "out"
    assert _digest(MODELS) == before  # never overwrites the committed artifacts
    manifest = json.loads((out / "manifest.json").read_text())
    model = out / manifest["model"]["file"]
    assert manifest["model"]["sha256"] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert manifest["model"]["bytes"] <= 4_000_000
    assert [o["name"] for o in manifest["model"]["outputs"]] == ["embedding", "features"]
    ref = json.loads((out / "references" / "rice.json").read_text())
    tv = json.loads((out / "test-vectors.json").read_text())
    assert ref["model"]["sha256"] == tv["model"]["sha256"] == manifest["model"]["sha256"]
    assert [e["file"] for e in tv["images"]] == [f.relative_to(MODELS.parent).as_posix() for f in vectors.fixture_files()]
    assert (out / "eval" / "histogram-left-out.png").stat().st_size > 10_000 and (out / "README.md").is_file()
    # The reference says how it was calibrated, per source.
    cal = ref["calibration"]
    assert set(cal["expectedAcceptRate"]) == {"rice-leaf", "rice-field/dnth-roboflow-rice-mix",
                                              "rice-field/roboflow-rice-plant-pest"}
    assert "paddy-weeds" in cal["falseAcceptRate"] and "weeds-field" not in cal["falseAcceptRate"]
    t = ref["threshold"]
    assert t["policy"]["kind"] == "balanced-goals-unseen-source" and t["lower"] <= t["value"]
    assert t["score"] == "prototype-max-cosine" and len(ref["prototypes"]) == 6
    # Every photo that trained it is listed (3 per group here), none of the measurement-only set.
    hashes = ref["data"]["photos"]["sources"]
    assert sum(len(v) for v in hashes.values()) == sum(1 for it in res["metrics"]["perSource"].values()
                                                        for _ in range(it["photos"]) if it["trainsShippedModel"])
    assert "weeds-field" not in hashes
    assert {lk["label"] for lk in ref["lookalikes"]} >= {"weeds in a paddy", "sugarcane"}
    sets = {s["source"] for s in manifest["training"]["data"]["sets"]}
    assert "weeds-field" not in sets and "rice-field/roboflow-rice-plant-pest" in sets
    p = res["metrics"]["parity"]
    assert p["torchVsOnnxFp32"]["embedding"] >= 0.9999 and p["torchVsOnnxFp32"]["features"] >= 0.9999
    # The shipped file really is what the vectors were computed with, with both outputs.
    sess = onnx_export.session(model, 1, manifest["model"]["sessionConfig"])
    x = np.zeros((1, 3, cfg.size, cfg.size), np.float32)
    outs = onnx_export.run_all(sess, x)
    assert outs["embedding"].shape == (1, 512) and outs["features"].shape == (1, cfg.whiten_dim)
    assert "Pad" not in onnx_export.op_counts(model)  # graph_passes.fold_pads: TF SAME padding folded (issue 15)
