"""The vectorised bootstrap agrees with the scalar one, group by group."""

import numpy as np
import pandas as pd
import pytest

from analytics import indices


@pytest.fixture
def table():
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "g": np.repeat(["a", "b"], [12, 25]),
            "v": rng.lognormal(10, 0.6, 37),
            "w": rng.integers(1_000, 500_000, 37).astype(float),
        }
    )


@pytest.mark.parametrize("weighted", [True, False])
def test_estimates_equal_the_scalar_indices(table, weighted):
    res = indices.bootstrap_summary(
        table, value="v", weight="w" if weighted else None, by="g", n_boot=50
    )
    for (group, index), row in res.set_index(["g", "index"]).iterrows():
        part = table[table.g == group]
        fn = {
            "gini": indices.gini,
            "theil": indices.theil,
            "cv": indices.cv,
            "hoover": indices.hoover,
        }.get(index)
        if fn is None:
            continue
        w = part.w.to_numpy() if weighted else None
        assert row.estimate == pytest.approx(fn(part.v.to_numpy(), weights=w), 1e-12)


def test_intervals_agree_with_bootstrap_ci(table):
    res = indices.bootstrap_summary(table, value="v", weight="w", by="g", n_boot=2000)
    res = res.set_index(["g", "index"])
    for group in ("a", "b"):
        part = table[table.g == group]
        ref = indices.bootstrap_ci(
            indices.gini, part.v.to_numpy(), weights=part.w.to_numpy(), n_boot=2000
        )
        row = res.loc[(group, "gini")]
        assert bool(row.reliable) == ref.reliable and row.reason == ref.reason
        assert row.low == pytest.approx(ref.low, abs=0.01, nan_ok=True)
        assert row.high == pytest.approx(ref.high, abs=0.01, nan_ok=True)
        assert row.loo_low == pytest.approx(ref.loo_low, rel=1e-12)


def test_resamples_stay_inside_their_group():
    # Group "a" is constant, so every index without one of its territories is
    # 0; group "b" holds the 50
    df = pd.DataFrame({"g": ["a"] * 5 + ["b"] * 5, "v": [2.0] * 5 + [1, 2, 3, 4, 50]})
    res = indices.bootstrap_summary(df, value="v", by="g", n_boot=300).set_index(
        ["g", "index"]
    )
    assert res.loc[("a", "gini"), ["loo_low", "loo_high"]].tolist() == [0, 0]
    assert np.isnan(res.loc[("a", "gini"), "low"])  # at its bound: no interval
    assert res.loc[("b", "gini"), "loo_high"] > 0.5
    # the estimate and n come from summarize, every index listed
    assert res.loc[("b", "ratio_max_min"), "reason"] == "no_population_value"
    assert set(res.loc["b"].index) == set(indices.INDEX_COLUMNS)
    assert (res["n"] == 5).all()


def test_seeded(table):
    a = indices.bootstrap_summary(table, value="v", by="g", n_boot=100, random_state=5)
    b = indices.bootstrap_summary(table, value="v", by="g", n_boot=100, random_state=5)
    pd.testing.assert_frame_equal(a, b)


def test_interval_bounds_are_numpy_quantiles_of_the_finite_resamples():
    """The one-pass bounds equal np.quantile over each row's finite values,
    bit for bit (undefined resamples, inf or NaN, left out; none: NaN)."""
    rng = np.random.default_rng(7)
    for _ in range(300):
        rows, cols = rng.integers(1, 6), rng.integers(1, 40)
        matrix = rng.lognormal(size=(rows, cols)) * 10.0 ** rng.integers(-3, 5)
        holes = rng.random((rows, cols)) < rng.choice([0.0, 0.2, 0.9, 1.0])
        matrix[holes] = rng.choice([np.nan, np.inf, -np.inf], size=holes.sum())
        low, high = indices._row_quantiles(matrix, (0.025, 0.975))
        for i, row in enumerate(matrix):
            finite = row[np.isfinite(row)]
            if finite.size == 0:
                assert np.isnan(low[i]) and np.isnan(high[i])
            else:
                assert low[i] == np.quantile(finite, 0.025)
                assert high[i] == np.quantile(finite, 0.975)
