"""The preprocessing recipe (docs/contracts.md section 2) and the resize vectors the TypeScript side checks."""
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cropgate_training import preprocess as pp
from cropgate_training import vectors

REPO = Path(__file__).resolve().parents[3]


def _oracle_box_resize(ch: np.ndarray, box, size: int) -> np.ndarray:
    """The contract's description of Pillow's ImagingResample for BOX, written out independently (float64
    coefficients, float32 intermediate/output), to pin that Pillow does what the contract says."""

    def coeffs(in0, in1, insize, outsize):
        scale = (in1 - in0) / outsize
        filterscale = max(scale, 1.0)
        support = 0.5 * filterscale
        out = []
        for xx in range(outsize):
            center = in0 + (xx + 0.5) * scale
            xmin = max(int(center - support + 0.5), 0)
            xmax = min(int(center + support + 0.5), insize)
            w = []
            for x in range(xmin, xmax):
                t = (x - center + 0.5) / filterscale
                w.append(1.0 if -0.5 < t <= 0.5 else 0.0)  # Pillow >= 7: (-0.5, 0.5]
            w = np.array(w)
            total = w.sum()
            out.append((xmin, w / total if total else w))
        return out

    h, w = ch.shape
    ch = ch.astype(np.float32)
    hz = coeffs(box[0], box[2], w, size)
    # Pillow crops the rows the vertical pass needs before the horizontal pass; the values are the same.
    tmp = np.zeros((h, size), np.float32)
    for xx, (x0, ww) in enumerate(hz):
        tmp[:, xx] = (ch[:, x0:x0 + len(ww)].astype(np.float64) * ww).sum(axis=1).astype(np.float32)
    vt = coeffs(box[1], box[3], h, size)
    out = np.zeros((size, size), np.float32)
    for yy, (y0, ww) in enumerate(vt):
        out[yy, :] = (tmp[y0:y0 + len(ww), :].astype(np.float64) * ww[:, None]).sum(axis=0).astype(np.float32)
    return out


@pytest.mark.parametrize("case", vectors.RESIZE_CASES, ids=lambda c: f"{c['width']}x{c['height']}")
def test_box_resize_matches_the_contract_description(case):
    img = pp.formula_image(case["width"], case["height"])
    box = case["box"] or pp.center_square_box(case["width"], case["height"])
    got = pp.array_to_tensor(img, box=box)
    want = np.stack([(_oracle_box_resize(img[:, :, c], box, pp.SIZE) - 127.5) / 127.5 for c in range(3)])
    assert got.shape == (3, pp.SIZE, pp.SIZE) and got.dtype == np.float32
    assert np.abs(got - want).max() < 1e-5


def test_committed_resize_vectors_reproduce():
    tv = json.loads((REPO / "models" / "test-vectors.json").read_text())
    assert [{k: v[k] for k in ("width", "height", "box")} for v in tv["resizeVectors"]] == vectors.RESIZE_CASES
    for committed, fresh in zip(tv["resizeVectors"], vectors.resize_vectors()):
        assert committed["tensor"]["sha256"] == fresh["tensor"]["sha256"]
        assert committed["tensor"]["sample"] == fresh["tensor"]["sample"]


def test_committed_fixture_tensors_reproduce():
    tv = json.loads((REPO / "models" / "test-vectors.json").read_text())
    files = {e["file"] for e in tv["images"]}
    assert files == {f.relative_to(REPO).as_posix() for f in vectors.fixture_files()}
    for e in tv["images"]:
        x = pp.preprocess_file(REPO / e["file"])
        assert vectors.tensor_summary(x)["sha256"] == e["tensor"]["sha256"], e["file"]


def test_center_square_box():
    assert pp.center_square_box(301, 203) == (49.0, 0.0, 252.0, 203.0)
    assert pp.center_square_box(203, 301) == (0.0, 49.0, 203.0, 252.0)
    assert pp.center_square_box(97, 97) == (0.0, 0.0, 97.0, 97.0)


def test_scale_is_rgb_minus_127_5_over_127_5():
    flat = np.zeros((128, 128, 3), np.uint8)
    flat[..., 0], flat[..., 1], flat[..., 2] = 0, 255, 51
    x = pp.array_to_tensor(flat)
    assert np.allclose(x[0], -1.0) and np.allclose(x[1], 1.0) and np.allclose(x[2], (51 - 127.5) / 127.5)


def _jpeg_with_orientation(rgb: np.ndarray, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG", exif=exif.tobytes())  # PNG: lossless, exact comparison
    return buf.getvalue()


@pytest.mark.parametrize("orientation,expect", [(1, lambda a: a), (3, lambda a: np.rot90(a, 2)),
                                                (6, lambda a: np.rot90(a, -1)), (8, lambda a: np.rot90(a, 1))])
def test_exif_orientation_is_applied(tmp_path, orientation, expect):
    rgb = pp.formula_image(60, 40)
    p = tmp_path / f"o{orientation}.png"
    p.write_bytes(_jpeg_with_orientation(rgb, orientation))
    img = pp.load_rgb(p)
    assert np.array_equal(np.asarray(img), expect(rgb))
    assert np.array_equal(pp.preprocess_file(p), pp.array_to_tensor(expect(rgb)))


@pytest.mark.parametrize("mode", ["L", "CMYK", "P", "RGBA"])
def test_other_modes_become_rgb(tmp_path, mode):
    img = Image.fromarray(pp.formula_image(50, 30)).convert(mode)
    p = tmp_path / ("x.jpg" if mode in ("L", "CMYK") else "x.png")
    img.save(p)
    x = pp.preprocess_file(p)
    assert x.shape == (3, pp.SIZE, pp.SIZE)
    if mode == "L":
        assert np.array_equal(x[0], x[1]) and np.array_equal(x[1], x[2])


def test_manifest_preprocessing_is_the_constant():
    manifest = json.loads((REPO / "models" / "manifest.json").read_text())
    assert manifest["preprocessing"] == pp.PREPROCESSING
