"""Data discovery: sources, licences and exclusions (needs the shared data: skipped with the reason when absent)."""
from cropgate_training import data


def test_sources_groups_and_exclusions(shared_data):
    items = data.discover(shared_data)
    groups = data.summary(items)
    assert not any("unseen-crops" in i.path or "phone-photos" in i.path for i in items)
    assert {"rice-leaf/bacterial", "rice-field/roboflow-rice-plant-pest/rice_plants_in_paddy",
            "rice-field/dnth-roboflow-rice-mix/brown_spot", "coco", "paddy-weeds", "seedlings/charlock",
            "apple-leaf/healthy", "sugarcane-field/sugarcane_leaf_healthy"} <= set(groups)
    assert data.sources(items, normal=True) == ["rice-field/dnth-roboflow-rice-mix",
                                                "rice-field/roboflow-rice-plant-pest", "rice-leaf"]
    classes = {data.class_name(i) for i in items}
    assert "rice" in classes and "seedlings/charlock" in classes and len(classes) > 10


def test_only_sets_the_data_readme_allows_may_train(shared_data):
    items = data.discover(shared_data)
    never = {i.source for i in items if not i.trainable}
    assert never == {"weeds-field"}  # CWFID: non-commercial
    assert all(i.trainable for i in data.discover(shared_data, trainable_only=True))
    unseen = data.discover_unseen(shared_data, "bok-choy-field")
    assert unseen and not any(i.trainable or i.normal for i in unseen)
    # Every source that trains has its licence written down for the model card.
    assert {i.source for i in items if i.trainable} <= set(data.LICENCES)


def test_fixtures_are_found_in_the_data(shared_data):
    fixtures = data.fixture_matches(data.discover(shared_data))
    assert sorted(set(fixtures.values())) == sorted(p.name for p in data.FIXTURES.glob("*.jpg"))
