"""Leave-one-source-out maths on synthetic scores and features (no shared data needed)."""
import numpy as np

from cropgate_training import loso
from cropgate_training.data import Item
from cropgate_training.features import FeatureSet


def test_threshold_balances_the_worst_goal_and_counts_every_source_alike():
    rng = np.random.default_rng(0)
    lab = rng.uniform(0.55, 0.7, 500)  # a big source that scores low must not drag the threshold down alone
    field = rng.uniform(0.75, 0.9, 100)
    weeds = rng.uniform(0.2, 0.4, 100)
    coco = rng.uniform(0.1, 0.3, 100)
    p = loso.place_threshold({"lab": lab, "field": field}, {"paddy-weeds": weeds, "coco": coco})
    t = p["value"]
    assert (lab >= t).mean() >= 0.95 and (field >= t).mean() >= 0.95
    assert (weeds >= t).mean() <= 0.03 and (coco >= t).mean() <= 0.01
    assert p["worstGoalRatio"] <= 1.0
    # Separable classes: the middle of the gap, not the edge of either class.
    lo, hi = p["interval"]
    assert lo <= t <= hi and abs(t - (weeds.max() + lab.min()) / 2) < 1e-9


def test_threshold_when_goals_conflict_trades_them_evenly():
    normal = {"a": np.linspace(0.0, 1.0, 101)}
    negative = {"b": np.linspace(0.0, 1.0, 101)}  # identical: no threshold meets both goals
    p = loso.place_threshold(normal, negative)
    miss = (normal["a"] < p["value"]).mean() / loso.NORMAL_MISS_BUDGET
    fa = (negative["b"] >= p["value"]).mean() / loso.DEFAULT_NEGATIVE_BUDGET
    assert p["worstGoalRatio"] > 1 and abs(miss - fa) <= 0.5 * max(miss, fa)


def _toy(n_per=30, seed=0):
    """Three sources on a 16-d sphere: rice 'lab' and 'field' near e0, 'weeds' near e1 (clean views only)."""
    rng = np.random.default_rng(seed)
    items, xs = [], []
    for src, centre in (("rice-leaf", 0), ("rice-field/x", 0), ("weeds", 1)):
        for k in range(n_per):
            v = rng.normal(0, 0.3, 16)
            v[centre] += 3
            if src == "rice-field/x":
                v[2] += 1.0  # a shifted source: left out, it must still land near rice
            xs.append(np.abs(v))
            items.append(Item(f"/{src}/{k}.jpg", src, src))
    x = np.array(xs, dtype=np.float32)
    return items, FeatureSet([i.path for i in items], x, np.arange(len(items)), np.ones(len(items), bool), 16)


def test_loso_scores_each_source_with_a_scorer_that_never_saw_it():
    items, fs = _toy()
    s = loso.evaluate(loso.RECIPES["features-centroid"], fs, items, kfold=True, log=lambda m: None)
    assert not np.isnan(s.loso).any() and not np.isnan(s.kfold).any()
    field = np.array([i.source == "rice-field/x" for i in items])
    weeds = np.array([i.source == "weeds" for i in items])
    # Left out, the field source scores lower than in-source, but still above the weeds.
    assert s.loso[field].mean() < s.kfold[field].mean()
    assert s.loso[field].min() > s.loso[weeds].max()
    summary = loso.summarise(s, items)
    assert summary["auroc"] == 1.0
    assert set(summary["normalAcceptNested"]) == {"rice-leaf", "rice-field/x"}


def test_head_recipe_trains_and_separates(monkeypatch):
    items, fs = _toy(20)
    r = loso.Recipe("head-centroid", "embedding", "centroid", loso.H.HeadConfig(dim=8, steps=60, batch_size=32))
    f = loso.fit(r, fs, items, np.arange(len(items)))
    sc = f.score(fs.x)
    normal = np.array([i.normal for i in items])
    assert sc[normal].min() > sc[~normal].max()
    assert f.embed(fs.x).shape == (len(items), 8)
