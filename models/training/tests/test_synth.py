"""The synthetic kinds of shot keep their labels honest: the leaf mask finds the leaf, a pasted leaf is there and
in focus, a frame-filling crop is plant, a crop inside the mask is leaf, spots go on plants only (no data needed)."""
import numpy as np
from PIL import Image, ImageFilter

from cropgate_training import synth

CREAM, GREEN, SHADOW = (236, 228, 214), (96, 150, 40), (180, 176, 170)


def _lab_leaf(w=256, h=256, width=50):
    """A green strip on cream paper with a grey shadow beside it: rice-leaf's kind of photo."""
    a = np.full((h, w, 3), CREAM, np.uint8)
    a[:, 100:100 + width] = GREEN
    a[:, 100 + width:108 + width] = SHADOW
    a[120:130, 110:120] = (120, 70, 30)  # a lesion inside the leaf
    return Image.fromarray(a)


def test_leaf_mask_finds_the_leaf_not_the_paper_nor_the_shadow():
    m = synth.leaf_mask(_lab_leaf(), "light")
    assert m[:, 102:148].mean() > 0.99  # the leaf, lesion included (holes filled)
    assert m[:, :90].mean() == 0 and m[:, 160:].mean() == 0
    assert m[:, 152:157].mean() < 0.05  # the shadow is not leaf


def test_dark_background_mask():
    a = np.zeros((64, 64, 3), np.uint8)
    a[16:48, 16:48] = GREEN
    m = synth.leaf_mask(Image.fromarray(a), "dark")
    assert m[18:46, 18:46].all() and not m[:10].any()


def test_pasted_leaf_covers_the_frame_and_the_background_is_blurred():
    leaf = _lab_leaf()
    mask = synth.leaf_mask(leaf, "light")
    rng = np.random.default_rng(0)
    checker = Image.fromarray(((np.indices((256, 256)).sum(0) // 8 % 2) * 255).astype(np.uint8)).convert("RGB")
    out = synth.composite(leaf, mask, checker, rng, size=256)
    assert out is not None and out.size == (256, 256)
    px = np.asarray(out, np.float32)
    green = (px[..., 1] > px[..., 0] + 30) & (px[..., 1] > px[..., 2] + 30)
    assert green.mean() >= 0.05  # the leaf is in the picture
    # The sharp 8-px checkerboard behind it is blurred far past leaf detail.
    bg = ~ np.asarray(Image.fromarray(green).filter(ImageFilter.MaxFilter(9)))
    assert np.asarray(out.convert("L"), np.float32)[bg].std() < 40


def test_synthetic_views_are_reproducible():
    leaf = _lab_leaf()
    mask = synth.leaf_mask(leaf, "light")
    a = synth.composite(leaf, mask, None, np.random.default_rng(7))
    b = synth.composite(leaf, mask, None, np.random.default_rng(7))
    assert a.tobytes() == b.tobytes()


def test_frame_fill_crop_keeps_only_plant_crops():
    grey = Image.new("RGB", (400, 300), (128, 128, 128))
    assert synth.frame_fill_crop(grey, np.random.default_rng(0), min_plant=0.4) is None
    field = np.full((300, 400, 3), (120, 95, 70), np.uint8)  # soil
    field[:, :300] = GREEN  # mostly leaves
    c = synth.frame_fill_crop(Image.fromarray(field), np.random.default_rng(0), area=(0.1, 0.3), min_plant=0.4)
    assert c is not None and synth.plant_fraction(c) >= 0.4
    share = c.size[0] * c.size[1] / (400 * 300)
    assert 0.09 <= share <= 0.31 and c.size[0] == c.size[1]


def test_inside_mask_crop_is_all_leaf():
    leaf = _lab_leaf(width=110)
    mask = synth.leaf_mask(leaf, "light")
    c = synth.inside_mask_crop(leaf, mask, np.random.default_rng(3))
    assert c is not None
    px = np.asarray(c, np.int32)
    paper = (np.abs(px - np.array(CREAM)).sum(-1) < 20)
    assert paper.mean() <= 0.08


def test_lesions_are_painted_on_the_plant_only():
    a = np.full((200, 200, 3), (128, 128, 128), np.uint8)
    a[:, :100] = GREEN
    img = Image.fromarray(a)
    out = synth.add_lesions(img, np.random.default_rng(2), count=(10, 10))
    assert out is not None
    d = np.abs(np.asarray(out, np.int32) - a).sum(-1)
    assert d[:, :95].max() > 60  # spots on the leaf half
    assert d[:, 106:].max() <= 6  # the grey half only sees the final 0.6-px blur at the edge
    assert synth.add_lesions(Image.new("RGB", (100, 100), (128, 128, 128)), np.random.default_rng(0)) is None
