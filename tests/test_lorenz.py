"""Lorenz curve: its area is the Gini coefficient (weighted and unweighted)."""

import numpy as np
import pytest

from analytics.indices import gini, lorenz_curve


@pytest.mark.parametrize("weighted", [False, True])
def test_area_under_lorenz_curve_gives_gini(weighted):
    rng = np.random.default_rng(7)
    x = rng.lognormal(10, 0.8, 40)
    w = rng.integers(1_000, 1_000_000, 40).astype(float) if weighted else None
    curve = lorenz_curve(x, w)
    p, lc = curve.population_share.to_numpy(), curve.value_share.to_numpy()
    area = np.sum((p[1:] - p[:-1]) * (lc[1:] + lc[:-1]) / 2)
    assert 1 - 2 * area == pytest.approx(gini(x, weights=w), abs=1e-12)


def test_lorenz_curve_points_and_positions():
    curve = lorenz_curve([30.0, 10.0, 20.0], [1.0, 2.0, 1.0])
    assert curve.position.tolist() == [-1, 1, 2, 0]
    assert curve.population_share.tolist() == [0, 0.5, 0.75, 1.0]
    # total = 2*10 + 20 + 30 = 70
    assert curve.value_share.to_numpy() == pytest.approx([0, 20 / 70, 40 / 70, 1])


def test_lorenz_curve_rejects_negative_values():
    with pytest.raises(ValueError, match="non-negative"):
        lorenz_curve([1.0, -1.0])
