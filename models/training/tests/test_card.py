"""The model card and the README's model section are what the committed artifacts render: hand edits (or a new
model without re-rendering) fail here (fresh clone: no shared data needed)."""
import json
from pathlib import Path

import pytest

from cropgate_training import card

REPO = Path(__file__).resolve().parents[3]
MODELS = REPO / "models"


@pytest.fixture(scope="module")
def artifacts():
    return (json.loads((MODELS / "manifest.json").read_text()), json.loads((MODELS / "eval" / "metrics.json").read_text()),
            json.loads((MODELS / "references" / "rice.json").read_text()))


def test_model_card_is_rendered_from_the_artifacts(artifacts):
    assert (MODELS / "README.md").read_text() == card.render(*artifacts, MODELS / "eval"), \
        "models/README.md differs from its artifacts: run `python -m cropgate_training card` in models/training"


def test_readme_model_section_is_rendered_from_the_artifacts(artifacts):
    text = (REPO / "README.md").read_text()
    block = card.readme_block(*artifacts)
    assert block in text, "README.md's model section differs: run `python -m cropgate_training card` in models/training"


def test_readme_block_is_replaced_between_its_markers(tmp_path):
    p = tmp_path / "README.md"
    p.write_text(f"# x\n\n{card.README_BEGIN}\nold figures\n{card.README_END}\n\nafter\n")
    card.write_readme_block(p, f"{card.README_BEGIN}\nnew\n{card.README_END}")
    assert p.read_text() == f"# x\n\n{card.README_BEGIN}\nnew\n{card.README_END}\n\nafter\n"
    p.write_text("# no markers\n")
    with pytest.raises(ValueError, match="block to replace"):
        card.write_readme_block(p, "x")


def _row(views, auroc, lookalikes70):
    return {"recipe": "tail", "views": views, "scorer": "centroid", "aurocWholeSourceOut": auroc,
            "atEqualRiceAcceptance": {"0.70": {"lookalikesAccepted": lookalikes70}}}


def test_kinds_verdict_says_which_kind_helps(tmp_path):
    (tmp_path / "all.json").write_text(json.dumps({"results": [_row("all", 0.77, 0.75), _row("none", 0.76, 0.99)]}))
    (tmp_path / "kinds.json").write_text(json.dumps({"results": [_row("no-fill", 0.64, 0.86), _row("no-cutout", 0.79, 0.71)]}))
    text = card._kinds_verdict(tmp_path / "all.json", tmp_path / "kinds.json")
    assert "without `fill` AUROC 0.6400 (-0.130) and 86.0 % of look-alikes passed at 70 % rice: in this run that kind helps" in text
    assert "without `cutout` AUROC 0.7900 (+0.020)" in text and "that kind does not help" in text
    assert card._kinds_verdict(tmp_path / "all.json", tmp_path / "missing.json") == ""


def test_kinds_verdict_weighs_a_difference_against_a_second_seed(tmp_path):
    (tmp_path / "all.json").write_text(json.dumps({"results": [_row("all", 0.77, 0.75)]}))
    (tmp_path / "kinds.json").write_text(json.dumps({"results": [_row("no-fill", 0.64, 0.86), _row("no-cutout", 0.79, 0.71)]}))
    seed = {"results": [{**_row("all", 0.74, 0.80), "trainSeed": 1}, {**_row("no-cutout", 0.76, 0.78), "trainSeed": 1}]}
    (tmp_path / "seed.json").write_text(json.dumps(seed))
    text = card._kinds_verdict(tmp_path / "all.json", tmp_path / "kinds.json", tmp_path / "seed.json")
    assert "the seed alone moves AUROC by up to 0.030" in text  # |0.74 - 0.77| and |0.76 - 0.79|
    assert "without `cutout` AUROC 0.7900 (+0.020) and 71.0 % of look-alikes passed at 70 % rice: that difference is " \
           "within what the seed alone moves" in text
    assert "without `fill` AUROC 0.6400 (-0.130) and 86.0 % of look-alikes passed at 70 % rice: that kind helps" in text
    assert "A second training seed (1;" in text
