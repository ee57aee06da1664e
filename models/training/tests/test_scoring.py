"""Reference and threshold maths."""
import numpy as np
import pytest

from cropgate_training import scoring


def test_centroid_is_normalised_mean_of_all_normalised_embeddings():
    rng = np.random.default_rng(0)
    e = rng.normal(size=(50, 8)) * rng.uniform(0.1, 10, size=(50, 1))  # norms differ wildly
    c = scoring.centroid(e)
    assert np.isclose(np.linalg.norm(c), 1.0)
    want = (e / np.linalg.norm(e, axis=1, keepdims=True)).mean(axis=0)
    assert np.allclose(c, want / np.linalg.norm(want))


def test_last_batch_centroid_only_sees_the_last_batch():
    e = np.r_[np.tile([1.0, 0.0], (64, 1)), np.tile([0.0, 1.0], (3, 1))]
    assert np.allclose(scoring.last_batch_centroid(e, 32), [0.0, 1.0])
    assert np.allclose(scoring.centroid(e), np.array([64, 3]) / np.hypot(64, 3))


@pytest.mark.parametrize("n", [20, 108, 109, 7])
@pytest.mark.parametrize("target", [0.95, 0.9, 0.99])
def test_threshold_accepts_at_least_the_target_and_is_the_largest_such(n, target):
    s = np.random.default_rng(n).uniform(-1, 1, n)
    t = scoring.threshold_at_accept_rate(s, target)
    assert (s >= t).mean() >= target
    higher = s[s > t]
    if len(higher):  # the next larger observed score would accept too few
        assert (s >= higher.min()).mean() < target


def test_threshold_on_a_known_sample():
    s = np.arange(100) / 100.0  # 0.00 .. 0.99
    assert scoring.threshold_at_accept_rate(s, 0.95) == 0.05


def test_roc_metrics_on_toy_scores():
    normal = np.linspace(0.5, 1.0, 100)
    neg = np.linspace(-0.5, 0.6, 100)
    m = scoring.roc_metrics(normal, neg)
    assert 0.9 < m["auroc"] < 1.0
    assert m["fprAt95Tpr"] == pytest.approx((neg >= normal[5]).mean(), abs=0.011)
    perfect = scoring.roc_metrics([0.9, 0.8], [0.1, 0.2])
    assert perfect == {"auroc": 1.0, "fprAt95Tpr": 0.0, "tprAt1Fpr": 1.0, "normal": 2, "negative": 2}


def test_stats_histogram_and_accept_rate():
    s = np.array([-1.0, 0.0, 0.5, 0.99, 1.0])
    st = scoring.stats(s, threshold=0.5)
    assert len(st["histogram"]["edges"]) == 41 and len(st["histogram"]["counts"]) == 40
    assert sum(st["histogram"]["counts"]) == 5
    assert st["acceptRate"] == 0.6
    assert st["min"] == -1.0 and st["max"] == 1.0


def test_prototypes_are_unit_vectors_near_the_clusters():
    rng = np.random.default_rng(1)
    a = np.array([1.0, 0, 0]) + rng.normal(0, 0.05, (30, 3))
    b = np.array([0, 1.0, 0]) + rng.normal(0, 0.05, (20, 3))
    p = scoring.prototypes(np.r_[a, b], 2, seed=0)
    assert np.allclose(np.linalg.norm(p, axis=1), 1.0)
    assert p[0] @ [1, 0, 0] > 0.99 and p[1] @ [0, 1, 0] > 0.99  # biggest cluster first


def test_bootstrap_threshold_brackets_the_threshold():
    s = np.random.default_rng(2).normal(0.8, 0.05, 108)
    b = scoring.bootstrap_threshold(s, 0.95, n=300)
    t = scoring.threshold_at_accept_rate(s, 0.95)
    assert b["threshold"]["p05"] <= t <= b["threshold"]["p95"]
    assert 0.8 < b["acceptRate"]["p05"] <= b["acceptRate"]["p95"] <= 1.0
