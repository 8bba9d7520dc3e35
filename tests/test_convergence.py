"""Tests of analytics.convergence: sigma, beta and rank mobility."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics.convergence import (
    beta_convergence,
    convergence_panel,
    rank_mobility,
    sigma_convergence,
)
from analytics.indices import cv, theil
from analytics.store import TERRITORY_ID, VALUE, YEAR

ROOT = Path(__file__).resolve().parents[1]
MEXICO_DIR = ROOT.parent / "shared" / "data" / "pysal-mexico"
DECADES = list(range(1940, 2010, 10))


@pytest.fixture(scope="module")
def mexico_panel() -> pd.DataFrame:
    """Mexico's 32 states, per capita GDP by decade, as a long store-like table."""
    if not MEXICO_DIR.is_dir():
        pytest.skip(f"PySAL's Mexico data not found at {MEXICO_DIR}")
    wide = pd.read_csv(MEXICO_DIR / "mexico.csv")
    long = wide.melt(
        id_vars=["State"],
        value_vars=[f"pcgdp{year}" for year in DECADES],
        var_name=YEAR,
        value_name=VALUE,
    )
    return long.assign(**{YEAR: long[YEAR].str[-4:].astype(int)}).rename(
        columns={"State": TERRITORY_ID}
    )


def panel_from(values: dict[int, list[float]], weights=None) -> pd.DataFrame:
    rows = []
    for year, xs in values.items():
        for i, x in enumerate(xs):
            row = {TERRITORY_ID: f"t{i}", YEAR: year, VALUE: x}
            if weights is not None:
                row["population"] = weights[i]
            rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------
# sigma convergence
# --------------------------------------------------------------------------


def test_sigma_on_mexico_matches_recomputed_cv_and_linregress(
    mexico_panel: pd.DataFrame,
) -> None:
    res = sigma_convergence(mexico_panel, measure="cv")
    expected_cv = [0.708521, 0.614774, 0.484692, 0.464605, 0.45537, 0.48989,
                   0.484807]
    np.testing.assert_allclose(res.dispersion["dispersion"], expected_cv, atol=5e-7)
    assert list(res.dispersion["year"]) == DECADES
    assert (res.dispersion["n"] == 32).all()
    fit = stats.linregress(DECADES, res.dispersion["dispersion"])
    assert res.slope == pytest.approx(fit.slope)
    assert res.stderr == pytest.approx(fit.stderr)
    assert res.pvalue == pytest.approx(fit.pvalue)
    assert res.slope < 0


def test_sigma_theil_on_mexico_matches_published(mexico_panel: pd.DataFrame) -> None:
    res = sigma_convergence(mexico_panel, measure="theil")
    published = [0.20894344, 0.15222451, 0.10472941, 0.10194725, 0.09560113,
                 0.10511256, 0.10660832]
    np.testing.assert_allclose(res.dispersion["dispersion"], published, atol=1e-7)


def test_sigma_sd_log_is_the_standard_deviation_of_logs() -> None:
    rng = np.random.default_rng(0)
    values = {year: list(rng.lognormal(0, 0.5 + 0.1 * k, 20))
              for k, year in enumerate(range(2015, 2021))}
    res = sigma_convergence(panel_from(values), measure="sd_log")
    expected = [np.std(np.log(v)) for v in values.values()]
    np.testing.assert_allclose(res.dispersion["dispersion"], expected, rtol=1e-12)
    assert res.trend == "diverging"


def test_sigma_trend_labels() -> None:
    # the spread shrinks each year around a constant mean: converging
    shrinking = {2015 + k: [10 - 4 / (k + 1), 10, 10 + 4 / (k + 1)] for k in range(6)}
    assert sigma_convergence(panel_from(shrinking)).trend == "converging"
    growing = {2015 + k: [10 - k - 1, 10, 10 + k + 1] for k in range(6)}
    assert sigma_convergence(panel_from(growing)).trend == "diverging"
    zigzag = {2015 + k: [10 - 2 - k % 2, 10, 12 + k % 2] for k in range(6)}
    res = sigma_convergence(panel_from(zigzag))
    assert res.trend == "no significant trend" and res.pvalue > 0.05


def test_sigma_weighted_uses_the_weights() -> None:
    values = {2015 + k: [10.0, 20.0 - k, 40.0] for k in range(4)}
    panel = panel_from(values, weights=[100, 10, 1])
    res = sigma_convergence(panel, measure="cv", weight="population")
    expected = [cv(v, weights=[100, 10, 1]) for v in values.values()]
    np.testing.assert_allclose(res.dispersion["dispersion"], expected)


def test_sigma_balanced_panel_drops_territories_missing_a_year() -> None:
    values = {2015 + k: [1.0, 2.0 + k, 4.0, 8.0] for k in range(4)}
    panel = panel_from(values)
    gappy = panel.drop(index=panel.index[(panel[TERRITORY_ID] == "t3")
                                         & (panel[YEAR] == 2016)])
    before = gappy.copy()
    balanced = sigma_convergence(gappy, measure="theil")
    assert (balanced.dispersion["n"] == 3).all()
    assert balanced.dispersion["dispersion"].iloc[0] == pytest.approx(
        theil([1.0, 2.0, 4.0])
    )
    unbalanced = sigma_convergence(gappy, measure="theil", balanced=False)
    assert list(unbalanced.dispersion["n"]) == [4, 3, 4, 4]
    pd.testing.assert_frame_equal(gappy, before)


def test_sigma_input_errors() -> None:
    two_years = panel_from({2015: [1, 2, 3], 2016: [1, 2, 4]})
    with pytest.raises(ValueError, match="at least 3 years"):
        sigma_convergence(two_years)
    duplicated = pd.concat([two_years, two_years.iloc[:1]])
    with pytest.raises(ValueError, match="1 duplicated"):
        sigma_convergence(duplicated)
    with pytest.raises(ValueError, match="measure must be one of"):
        sigma_convergence(two_years, measure="variance")
    with_zero = panel_from({2015: [0, 2, 3], 2016: [1, 2, 4], 2017: [1, 2, 5]})
    with pytest.raises(ValueError, match="mld: values must be positive; got 1 zero"):
        sigma_convergence(with_zero, measure="mld")
    with pytest.raises(ValueError, match="sd_log: values must be positive"):
        sigma_convergence(with_zero, measure="sd_log")


# --------------------------------------------------------------------------
# beta convergence
# --------------------------------------------------------------------------


def test_beta_recovers_an_exact_relation() -> None:
    # g = 0.5 - 0.04 ln y0 exactly, over T = 10 years
    initial = np.array([100.0, 250.0, 500.0, 1_000.0, 4_000.0])
    growth = 0.5 - 0.04 * np.log(initial)
    final = initial * np.exp(growth * 10)
    panel = pd.DataFrame({
        TERRITORY_ID: list("abcde") * 2,
        YEAR: [2010] * 5 + [2020] * 5,
        VALUE: np.r_[initial, final],
    })
    res = beta_convergence(panel, start=2010, end=2020)
    assert res.beta == pytest.approx(-0.04, abs=1e-12)
    assert res.intercept == pytest.approx(0.5, abs=1e-12)
    assert res.stderr == pytest.approx(0.0, abs=1e-12)
    assert res.r_squared == pytest.approx(1.0)
    speed = -math.log(1 - 0.04 * 10) / 10
    assert res.speed == pytest.approx(speed)
    assert res.half_life == pytest.approx(math.log(2) / speed)
    assert res.n == 5 and not res.weighted
    assert list(res.data.columns) == [TERRITORY_ID, "initial_log", "growth", "weight"]


def test_beta_unweighted_matches_linregress_on_mexico(
    mexico_panel: pd.DataFrame,
) -> None:
    res = beta_convergence(mexico_panel, start=1940, end=2000)
    wide = mexico_panel.pivot(index=TERRITORY_ID, columns=YEAR, values=VALUE)
    g = np.log(wide[2000] / wide[1940]) / 60
    fit = stats.linregress(np.log(wide[1940]), g)
    assert res.beta == pytest.approx(fit.slope, rel=1e-10)
    assert res.intercept == pytest.approx(fit.intercept, rel=1e-10)
    assert res.stderr == pytest.approx(fit.stderr, rel=1e-10)
    assert res.pvalue == pytest.approx(fit.pvalue, rel=1e-8)
    assert res.r_squared == pytest.approx(fit.rvalue**2, rel=1e-10)
    # Mexico's states converged over 1940-2000 (Rey and Sastre Gutierrez 2010)
    assert res.beta < 0 and res.pvalue < 0.05
    assert res.speed > 0 and math.isfinite(res.half_life)


def test_beta_weighted_matches_weighted_least_squares() -> None:
    rng = np.random.default_rng(4)
    n = 30
    y0 = rng.lognormal(10, 0.5, n)
    y1 = y0 * np.exp(rng.normal(0.3, 0.1, n) - 0.02 * (np.log(y0) - 10))
    pop = rng.integers(1_000, 1_000_000, n).astype(float)
    panel = pd.DataFrame({
        TERRITORY_ID: np.tile(np.arange(n), 2),
        YEAR: np.repeat([2005, 2020], n),
        VALUE: np.r_[y0, y1],
        "population": np.r_[pop, pop * 1.1],
    })
    res = beta_convergence(panel, start=2005, end=2020, weight="population")
    # WLS by hand: scale rows by sqrt(w), ordinary least squares, classical SE
    x, g = np.log(y0), np.log(y1 / y0) / 15
    sw = np.sqrt(pop / pop.mean())
    design = np.column_stack([np.ones(n), x]) * sw[:, None]
    coef, ssr, *_ = np.linalg.lstsq(design, g * sw, rcond=None)
    cov = ssr[0] / (n - 2) * np.linalg.inv(design.T @ design)
    assert res.weighted
    assert res.beta == pytest.approx(coef[1], rel=1e-9)
    assert res.intercept == pytest.approx(coef[0], rel=1e-9)
    assert res.stderr == pytest.approx(math.sqrt(cov[1, 1]), rel=1e-9)
    t = coef[1] / math.sqrt(cov[1, 1])
    assert res.pvalue == pytest.approx(2 * stats.t.sf(abs(t), n - 2), rel=1e-8)
    # equal weights give the unweighted regression
    equal = beta_convergence(
        panel.assign(population=7.0), start=2005, end=2020, weight="population"
    )
    plain = beta_convergence(panel, start=2005, end=2020)
    assert equal.beta == pytest.approx(plain.beta, rel=1e-12)
    assert equal.stderr == pytest.approx(plain.stderr, rel=1e-12)


def test_beta_not_converging_has_infinite_half_life() -> None:
    initial = np.array([100.0, 200.0, 400.0, 800.0])
    final = initial**1.2  # the rich grow faster
    panel = pd.DataFrame({
        TERRITORY_ID: list("abcd") * 2,
        YEAR: [2000] * 4 + [2010] * 4,
        VALUE: np.r_[initial, final],
    })
    res = beta_convergence(panel, start=2000, end=2010)
    assert res.beta > 0 and res.speed < 0 and res.half_life == math.inf
    # overshooting: 1 + beta T <= 0 leaves the speed undefined
    final = 1e6 / initial
    res = beta_convergence(panel.assign(**{VALUE: np.r_[initial, final]}),
                           start=2000, end=2010)
    assert 1 + res.beta * 10 <= 0
    assert math.isnan(res.speed) and math.isnan(res.half_life)


def test_beta_input_policy() -> None:
    panel = panel_from({2000: [1.0, 2.0, 3.0, 4.0], 2010: [2.0, 3.0, np.nan, 5.0]})
    res = beta_convergence(panel, start=2000, end=2010)
    assert res.n == 3  # t2 has no value in 2010
    with pytest.raises(ValueError, match="values must be positive"):
        beta_convergence(panel_from({2000: [0.0, 2, 3], 2010: [1.0, 2, 3]}),
                         start=2000, end=2010)
    with pytest.raises(ValueError, match="end must be after start"):
        beta_convergence(panel, start=2010, end=2000)
    with pytest.raises(ValueError, match="no values in the end year 2020"):
        beta_convergence(panel, start=2000, end=2020)
    with pytest.raises(ValueError, match="at least 3 territories"):
        beta_convergence(panel.iloc[[0, 1, 4, 5]], start=2000, end=2010)


# --------------------------------------------------------------------------
# rank mobility
# --------------------------------------------------------------------------


def test_rank_mobility_extremes() -> None:
    same = rank_mobility(panel_from({2000: [1, 2, 3, 4], 2010: [2, 4, 6, 8]}),
                         start=2000, end=2010)
    assert same.spearman == pytest.approx(1.0) and same.kendall == pytest.approx(1.0)
    assert (same.ranks["rank_change"] == 0).all()
    flipped = rank_mobility(panel_from({2000: [1, 2, 3, 4], 2010: [4, 3, 2, 1]}),
                            start=2000, end=2010)
    assert flipped.spearman == pytest.approx(-1.0)
    assert flipped.kendall == pytest.approx(-1.0)
    assert list(flipped.ranks[TERRITORY_ID]) == ["t3", "t2", "t1", "t0"]
    assert list(flipped.ranks["rank_change"]) == [-3, -1, 1, 3]


def test_rank_mobility_on_mexico_matches_scipy(mexico_panel: pd.DataFrame) -> None:
    res = rank_mobility(mexico_panel, start=1940, end=2000)
    wide = mexico_panel.pivot(index=TERRITORY_ID, columns=YEAR, values=VALUE)
    rho = stats.spearmanr(wide[1940], wide[2000])
    tau = stats.kendalltau(wide[1940], wide[2000])
    assert res.spearman == pytest.approx(rho.statistic)
    assert res.spearman_pvalue == pytest.approx(rho.pvalue)
    assert res.kendall == pytest.approx(tau.statistic)
    assert res.kendall_pvalue == pytest.approx(tau.pvalue)
    assert res.n == 32
    table = res.ranks.set_index(TERRITORY_ID)
    richest_1940 = wide[1940].idxmax()
    assert table.loc[richest_1940, "rank_start"] == 1
    assert sorted(table["rank_end"]) == list(range(1, 33))
    assert (table["rank_change"] == table["rank_start"] - table["rank_end"]).all()


def test_rank_mobility_direction_and_ties() -> None:
    panel = panel_from({2000: [5.0, 5.0, 1.0], 2010: [1.0, 2.0, 3.0]})
    res = rank_mobility(panel, start=2000, end=2010)
    table = res.ranks.set_index(TERRITORY_ID)
    assert list(table.loc[["t0", "t1", "t2"], "rank_start"]) == [1, 1, 3]
    lower_better = rank_mobility(panel, start=2000, end=2010, higher_is_better=False)
    table = lower_better.ranks.set_index(TERRITORY_ID)
    assert list(table.loc[["t0", "t1", "t2"], "rank_start"]) == [2, 2, 1]
    assert list(table.loc[["t0", "t1", "t2"], "rank_end"]) == [1, 2, 3]
    assert lower_better.spearman == pytest.approx(res.spearman)


def test_beta_claims_convergence_only_when_significant() -> None:
    # beta < 0 with a p-value far above 0.05: noise, not catching up
    initial = np.array([100.0, 200.0, 400.0, 800.0, 1600.0])
    growth = np.array([0.05, -0.04, 0.06, -0.05, 0.02])  # annual log growth
    panel = pd.DataFrame({
        TERRITORY_ID: list("abcde") * 2,
        YEAR: [2000] * 5 + [2010] * 5,
        VALUE: np.r_[initial, initial * np.exp(10 * growth)],
    })
    res = beta_convergence(panel, start=2000, end=2010)
    fit = stats.linregress(np.log(initial), growth)
    assert res.beta == pytest.approx(fit.slope) and res.beta < 0
    assert res.pvalue == pytest.approx(fit.pvalue) and res.pvalue > 0.05
    assert res.trend == "no significant trend" and res.alpha == 0.05
    assert beta_convergence(panel, start=2000, end=2010, alpha=0.99).trend == (
        "converging"
    )
    exact = panel_from({2000: [100.0, 200.0, 400.0], 2010: [200.0, 300.0, 480.0]})
    assert beta_convergence(exact, start=2000, end=2010).trend == "converging"
    richer = panel.assign(**{VALUE: np.r_[initial, initial**1.2]})
    assert beta_convergence(richer, start=2000, end=2010).trend == "diverging"


def test_convergence_panel_drops_zeros_only_for_log_measures() -> None:
    panel = panel_from({2020: [0.0, 2.0, 3.0, -1.0], 2021: [0.0, 3.0, 4.0, 5.0]})
    for measure in ("cv", "gini", "theil"):
        res = convergence_panel(panel, measure=measure)
        assert (res.dropped_zero, res.dropped_negative) == (0, 1)
        assert 0.0 in res.data[VALUE].tolist()
    for measure in ("sd_log", "mld", "beta"):
        res = convergence_panel(panel, measure=measure)
        assert (res.dropped_zero, res.dropped_negative) == (2, 1)
        assert (res.data[VALUE] > 0).all()


def test_convergence_panel_balances_or_says_it_cannot() -> None:
    # d misses 2021: balanced without it, 3 territories every year
    panel = panel_from({2020: [1.0, 2.0, 3.0, 4.0], 2021: [2.0, 3.0, 4.0, np.nan],
                        2022: [3.0, 4.0, 5.0, 6.0]})
    res = convergence_panel(panel, measure="cv")
    assert res.balanced and res.dropped_territories == 1
    assert res.per_year.tolist() == [3, 3, 3]
    # no 3 territories in every year: kept unbalanced, and said so
    ragged = panel_from({2020: [1.0, 2.0, np.nan, np.nan],
                         2021: [np.nan, 3.0, 4.0, np.nan],
                         2022: [3.0, np.nan, 5.0, 6.0]})
    res = convergence_panel(ragged, measure="cv")
    assert not res.balanced and res.dropped_territories == 0
    assert res.per_year.tolist() == [2, 2, 3]
