"""Folds, thresholds and the band on synthetic scores and views (no shared data needed)."""
import numpy as np
import pytest

from cropgate_training import loso
from cropgate_training.data import Item
from cropgate_training.head import HeadConfig
from cropgate_training.maps import MapSet
from cropgate_training.views import View


def _items():
    """Two rice sources, two negative sources (two folders in one), one measurement-only source."""
    out = []
    for src, group, n in (("rice-leaf", "rice-leaf/a", 12), ("rice-field/x", "rice-field/x", 12),
                          ("coco", "coco", 10), ("seedlings", "seedlings/a", 6), ("seedlings", "seedlings/b", 6),
                          ("weeds-field", "weeds-field", 4)):
        out += [Item(f"/{group}/{k}.jpg", group, src) for k in range(n)]
    return out


def test_every_photo_that_may_train_is_left_out_twice_by_different_folds():
    items = _items()
    plan = loso.fold_plan(items, seed=0)
    trainable = np.array([i.trainable for i in items])
    assert len(plan.folds) == 4  # one per trainable source; weeds-field never trains
    assert (plan.whole[~trainable] == -1).all() and (plan.held[~trainable] == -1).all()
    assert (plan.whole[trainable] >= 0).all() and (plan.held[trainable] != plan.whole[trainable]).all()
    for k, f in enumerate(plan.folds):
        (src,) = f
        assert {items[i].source for i in np.nonzero(plan.whole == k)[0]} == {src}
    # A group's photos are spread over every fold but its own.
    g = np.array([i.group == "rice-leaf/a" for i in items])
    assert set(plan.held[g]) == set(range(4)) - {plan.whole[g][0]}
    # The final model (k = -1) trains on every trainable photo and nothing else.
    assert (plan.out(-1, trainable) == ~trainable).all()


def test_a_view_is_out_with_its_leaf_and_with_its_background():
    items = _items()
    views = [View(0, "clean"), View(0, "cutout", 0, 25), View(1, "cutout", 0, -1), View(2, "phone")]
    ms = MapSet(views, np.zeros((4, 1, 1, 1), np.float16), np.zeros((4, 3), np.float32), 160)
    out = np.zeros(len(items), bool)
    out[25] = True  # the background photo (a coco photo) is held out
    assert list(loso.usable_rows(ms, out)) == [0, 2, 3]
    out[:] = False
    out[0] = True  # the leaf's photo is held out
    assert list(loso.usable_rows(ms, out)) == [2, 3]


def test_threshold_balances_the_worst_goal_and_counts_every_source_alike():
    rng = np.random.default_rng(0)
    lab = rng.uniform(0.55, 0.7, 500)  # a big source that scores low must not drag the threshold down alone
    field = rng.uniform(0.75, 0.9, 100)
    weeds = rng.uniform(0.2, 0.4, 100)
    coco = rng.uniform(0.1, 0.3, 100)
    b = loso.HELD_BUDGETS
    p = loso.place_threshold({"lab": lab, "field": field}, {"paddy-weeds": weeds, "coco": coco}, b)
    t = p["value"]
    assert (lab >= t).mean() >= 0.95 and (field >= t).mean() >= 0.95
    assert (weeds >= t).mean() <= 0.03 and (coco >= t).mean() <= 0.01
    assert p["worstGoalRatio"] <= 1.0
    lo, hi = p["interval"]  # separable classes: the middle of the gap, not the edge of either class
    assert lo <= t <= hi and abs(t - (weeds.max() + lab.min()) / 2) < 1e-9


def test_threshold_when_goals_conflict_trades_them_evenly():
    normal = {"a": np.linspace(0.0, 1.0, 101)}
    negative = {"b": np.linspace(0.0, 1.0, 101)}  # identical: no threshold meets both goals
    b = loso.WHOLE_BUDGETS
    p = loso.place_threshold(normal, negative, b)
    miss = (normal["a"] < p["value"]).mean() / b["normal"]
    fa = (negative["b"] >= p["value"]).mean() / b["default"]
    assert p["worstGoalRatio"] > 1 and abs(miss - fa) <= 0.5 * max(miss, fa)


def test_whole_source_budgets_are_the_issue_goals():
    b = loso.WHOLE_BUDGETS
    assert b["normal"] == 0.15 and b["default"] == 0.02
    assert loso.budget(b, "paddy-weeds") == 0.05 and loso.budget(b, "sugarcane-field") == 0.20
    assert loso.budget(loso.HELD_BUDGETS, "coco") == 0.01


def test_band_holds_at_most_the_cap_of_every_source():
    rng = np.random.default_rng(1)
    scores = {"rice-a": rng.uniform(0.3, 0.9, 200), "rice-b": rng.uniform(0.5, 1.0, 50),
              "weeds": rng.uniform(0.0, 0.6, 100)}
    upper = 0.7
    lower = loso.place_band(upper, scores, cap=0.10)
    assert lower < upper
    for s in scores.values():
        assert ((s >= lower) & (s < upper)).mean() <= 0.10 + 1e-12
    # As low as it can go: one step lower and some source would hold more than the cap.
    tighter = max(((s >= lower - 0.02) & (s < upper)).mean() for s in scores.values())
    assert tighter > 0.10


def test_band_is_empty_when_a_source_has_no_room():
    scores = {"tiny": np.array([0.1, 0.5, 0.9])}  # 10 % of 3 photos is no whole photo
    assert loso.place_band(0.6, scores, cap=0.10) > 0.5


def _toy_mapset(items, seed=0):
    """Clean views only; pooled vectors on a 16-d sphere: rice near e0, negatives near e1 (+ e3 for seedlings),
    one rice source shifted along e2 (left out, it must still land nearer rice than the negatives)."""
    rng = np.random.default_rng(seed)
    xs = []
    for it in items:
        v = rng.normal(0, 0.3, 16)
        v[0 if it.normal else 1] += 3
        if it.source == "rice-field/x":
            v[2] += 1.0
        if it.source == "seedlings":
            v[3] += 1.0
        xs.append(np.abs(v))
    n = len(items)
    return MapSet([View(i, "clean") for i in range(n)], np.zeros((n, 1, 1, 1), np.float16),
                  np.array(xs, np.float32), 160)


def test_evaluate_scores_each_photo_with_models_that_never_saw_it():
    items = _items()
    ms = _toy_mapset(items)
    plan = loso.fold_plan(items, seed=0)
    r = loso.Recipe("linear", "linear", head=HeadConfig(dim=8, steps=60, batch_size=32))
    sc, fitted = loso.evaluate(r, ms, items, plan, log=lambda m: None, scorers=("centroid", "c-protos-3"))
    trainable = np.array([i.trainable for i in items])
    for s in ("centroid", "c-protos-3"):
        assert not np.isnan(sc.whole[s][trainable]).any() and not np.isnan(sc.held[s][trainable]).any()
        assert np.isnan(sc.whole[s][~trainable]).all()
        assert not np.isnan(sc.final[s]).any()
    normal = np.array([i.normal for i in items])
    # Held out, rice and negatives separate completely; left out, the shifted rice source still beats them.
    w = sc.whole["centroid"]
    assert sc.held["centroid"][normal].min() > sc.held["centroid"][~normal & trainable].max()
    assert w[normal].mean() > w[~normal & trainable].mean()
    mu, refs = fitted.references("c-protos-3")
    assert refs.shape == (3, 8) and np.allclose(np.linalg.norm(refs, axis=1), 1)
    assert mu.shape == (8,) and np.abs(mu).sum() > 0


def test_fit_refuses_a_view_drawn_from_a_measurement_only_photo():
    items = _items()
    ms = _toy_mapset(items)
    r = loso.Recipe("linear", "linear", head=HeadConfig(dim=8, steps=5, batch_size=8))
    with pytest.raises(ValueError, match="measurement-only"):
        loso.fit(r, ms, items, np.arange(len(items)))  # includes weeds-field photos
