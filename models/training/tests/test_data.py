"""Data discovery and the split (needs the shared data: skipped with the reason when absent)."""
from pathlib import Path

from cropgate_training import data


def test_groups_and_exclusions(shared_data):
    items = data.discover(shared_data)
    groups = data.summary(items)
    assert not any("unseen-crops" in i.path or "phone-photos" in i.path for i in items)
    assert {"rice-leaf/bacterial", "rice-leaf/brownspot", "rice-leaf/leafsmut", "coco", "photos",
            "weeds-field", "apple-leaf/healthy"} <= set(groups)
    classes = {data.class_name(i) for i in items}
    assert len(classes) > 2 and "rice-leaf" in classes


def test_split_is_stratified_seeded_and_keeps_fixtures_out_of_training(shared_data):
    items = data.discover(shared_data)
    fixtures = data.fixture_matches(items)
    assert sorted(fixtures.values()) == sorted(p.name for p in data.FIXTURES.glob("*.jpg"))
    tr, va = data.split(items, 0.2, 0, force_val=fixtures.keys())
    assert not set(fixtures) & {i.path for i in tr}
    assert {i.path for i in tr}.isdisjoint({i.path for i in va}) and len(tr) + len(va) == len(items)
    for g, n in data.summary(items).items():
        n_val = data.summary(va)[g]
        assert abs(n_val - 0.2 * n) <= 3, g  # stratified; forced fixtures may add one or two
    tr2, va2 = data.split(items, 0.2, 0, force_val=fixtures.keys())
    assert [i.path for i in va2] == [i.path for i in va]
    _, va3 = data.split(items, 0.2, 1, force_val=fixtures.keys())
    assert [i.path for i in va3] != [i.path for i in va]
