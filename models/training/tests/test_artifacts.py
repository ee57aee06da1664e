"""The committed artifacts agree with each other and with the model (fresh clone: no shared data needed)."""
import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import pytest

from cropgate_training import onnx_export
from cropgate_training.preprocess import PREPROCESSING, preprocess_file

REPO = Path(__file__).resolve().parents[3]
MODELS = REPO / "models"


@pytest.fixture(scope="module")
def manifest():
    return json.loads((MODELS / "manifest.json").read_text())


@pytest.fixture(scope="module")
def reference():
    return json.loads((MODELS / "references" / "rice.json").read_text())


@pytest.fixture(scope="module")
def vectors():
    return json.loads((MODELS / "test-vectors.json").read_text())


@pytest.fixture(scope="module")
def model_path(manifest):
    return MODELS / manifest["model"]["file"]


def test_manifest_describes_the_model_file(manifest, model_path):
    data = model_path.read_bytes()
    assert manifest["schema"] == "cropgate.manifest/v1"
    assert manifest["model"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["model"]["bytes"] == len(data) <= 4_000_000
    assert manifest["preprocessing"] == PREPROCESSING
    g = onnx.load(str(model_path))
    assert [o.version for o in g.opset_import if o.domain in ("", "ai.onnx")] == [manifest["model"]["opset"]]
    (inp,), outs = g.graph.input, g.graph.output
    assert inp.name == manifest["model"]["input"]["name"]
    assert [o.name for o in outs] == [o["name"] for o in manifest["model"]["outputs"]] == ["embedding", "features"]
    assert outs[0].name == manifest["model"]["output"]["name"]
    assert inp.type.tensor_type.shape.dim[0].dim_param == "batch"


def test_reference_and_vectors_belong_to_this_model(manifest, reference, vectors):
    sha = manifest["model"]["sha256"]
    assert reference["model"]["sha256"] == sha and vectors["model"]["sha256"] == sha
    assert reference["model"]["id"] == manifest["model"]["id"]
    assert vectors["preprocessing"] == manifest["preprocessing"]["id"]


def _refs(reference):
    """The vectors the reference scores against: its prototypes or its centroid (threshold.score)."""
    kind = reference["threshold"]["score"]
    return np.array(reference["prototypes"] if kind == "prototype-max-cosine" else [reference["centroid"]])


def test_reference_shape_and_policy(reference):
    dim = reference["model"]["dimension"]
    c = np.array(reference["centroid"])
    assert reference["schema"] == "cropgate.reference/v1" and len(c) == dim
    assert abs(np.linalg.norm(c) - 1) < 1e-5
    for p in reference["prototypes"]:
        assert len(p) == dim and abs(np.linalg.norm(p) - 1) < 1e-5
    t = reference["threshold"]
    assert t["policy"]["kind"] == "balanced-goals-unseen-source"
    assert t["score"] in ("centroid-cosine", "prototype-max-cosine")
    if t["score"] == "prototype-max-cosine":
        assert len(reference["prototypes"]) >= 1
    lo, hi = t["policy"]["interval"]
    assert lo <= t["value"] <= hi and -1 <= t["lower"] <= t["value"]
    cal = reference["calibration"]
    normal = cal["normal"]
    assert sum(normal["histogram"]["counts"]) == normal["count"]
    # What the reference promises per source is what its own per-source record says, at this threshold; the band
    # holds at most its cap of every source left out.
    for src, rate in cal["expectedAcceptRate"].items():
        by = cal["bySource"][src]
        assert by["normal"] and by["wholeSourceOut"]["accepted"] == pytest.approx(rate)
        assert by["wholeSourceOut"]["uncertain"] <= t["policy"]["bandCap"] + 1e-9
    for src, rate in cal["falseAcceptRate"].items():
        by = cal["bySource"][src]
        assert not by["normal"] and by["wholeSourceOut"]["accepted"] == pytest.approx(rate)
    assert "weeds-field" not in cal["falseAcceptRate"]  # measurement only (licence)
    labels = {lk["label"] for lk in reference["lookalikes"]}
    assert {"weeds in a paddy", "sugarcane"} <= labels
    for lk in reference["lookalikes"]:
        assert len(lk["vector"]) == dim and abs(np.linalg.norm(lk["vector"]) - 1) < 1e-5


def test_reference_lists_the_photos_it_was_trained_on(reference, manifest):
    photos = reference["data"]["photos"]
    assert photos["hash"] == "sha256-16"
    sets = {s["source"]: s["photos"] for s in manifest["training"]["data"]["sets"]}
    assert {s: len(h) for s, h in photos["sources"].items()} == sets  # every photo of every training set
    assert all(len(h) == 16 and int(h, 16) >= 0 for v in photos["sources"].values() for h in v)
    assert "weeds-field" not in photos["sources"]


def test_int8_model_reproduces_the_vectors_and_the_verdicts(manifest, model_path, reference, vectors):
    sess = onnx_export.session(model_path, 1, manifest["model"].get("sessionConfig"))
    refs = _refs(reference)
    t = reference["threshold"]
    for e in vectors["images"]:
        got = onnx_export.run(sess, preprocess_file(REPO / e["file"])[None])[0]
        assert onnx_export.cosine_rows(got[None], np.array([e["embeddingInt8"]]))[0] > 0.99999, e["file"]
        score = float((refs @ (got / np.linalg.norm(got))).max())
        assert score == pytest.approx(e["score"], abs=1e-4)
        assert e["verdict"] == ("normal" if score >= t["value"] else "uncertain" if score >= t["lower"] else "anomaly")


def test_int8_close_to_fp32_on_the_fixture_photos(vectors):
    e32 = np.array([e["embeddingFp32"] for e in vectors["images"]])
    e8 = np.array([e["embeddingInt8"] for e in vectors["images"]])
    assert onnx_export.cosine_rows(e32, e8).min() >= 0.99


def test_rice_fixtures_pass_and_the_others_do_not(vectors):
    verdicts = {Path(e["file"]).name: e["verdict"] for e in vectors["images"]}
    assert len(verdicts) >= 7
    for name, v in verdicts.items():
        if name.startswith("rice-"):
            assert v == "normal", name
        else:
            assert v != "normal", name
