"""Which views each photo gets, and that a view is a pure function of (photo, kind, n, seed)."""
import numpy as np
from PIL import Image

from cropgate_training import views
from cropgate_training.data import Item


def _photo(path, colour, w=256, h=256):
    a = np.full((h, w, 3), (236, 228, 214), np.uint8)
    a[:, 100:150] = colour
    Image.fromarray(a).save(path, quality=95)
    return str(path)


def _items(tmp_path):
    return [Item(_photo(tmp_path / "r0.jpg", (96, 150, 40)), "rice-leaf/a", "rice-leaf"),
            Item(_photo(tmp_path / "r1.jpg", (110, 160, 30)), "rice-leaf/a", "rice-leaf"),
            Item(_photo(tmp_path / "c0.jpg", (90, 90, 200)), "coco", "coco"),
            Item(_photo(tmp_path / "w0.jpg", (40, 120, 40)), "weeds-field", "weeds-field")]


def test_plan_gives_every_photo_a_clean_view_and_only_trainable_ones_more(tmp_path):
    items = _items(tmp_path)
    plan = views.plan(items, seed=0)
    assert [v.photo for v in plan if v.kind == "clean"] == [0, 1, 2, 3]
    assert all(v.kind == "clean" for v in plan if v.photo == 3)  # measurement only: never augmented
    kinds = {v.kind for v in plan if v.photo == 0}
    assert kinds == {"clean"} | set(views.PLAN["rice-leaf"])
    cut = [v for v in plan if v.kind == "cutout"]
    # Backgrounds come only from photos that may train and are in BACKGROUND_SOURCES (here: the coco photo).
    assert cut and all(v.background in (-1, 2) for v in cut)
    assert all(v.lineage() == ((v.photo,) if v.background < 0 else (v.photo, v.background)) for v in cut)
    assert views.plan(items, seed=0) == plan and views.plan(items, seed=1) != plan


def test_render_is_deterministic_and_clean_is_the_photo(tmp_path):
    items = _items(tmp_path)
    r = views.Renderer(items, seed=0)
    for v in views.plan(items, seed=0):
        a, b = r.render(v), views.Renderer(items, seed=0).render(v)
        assert (a is None) == (b is None)
        if a is not None:
            assert a.tobytes() == b.tobytes(), v
    clean = r.render(views.View(0, "clean"))
    assert clean.size == (256, 256)
