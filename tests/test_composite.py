"""Tests of analytics.composite: a worked example by hand, the gates, robustness."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.composite import composite_index, indicator_matrix, theme_scores
from analytics.store import (
    AGGLOMERATION_ID,
    DIRECTION,
    INDICATOR_ID,
    LEVEL,
    ROLE,
    TERRITORY_ID,
    THEME,
    VALUE,
    YEAR,
)

T = ["t1", "t2", "t3", "t4"]
# The worked example: a and b higher-is-better, c lower-is-better.
WORKED = {
    "a": [10.0, 20.0, 30.0, 50.0],
    "b": [4.0, 2.0, 8.0, 6.0],
    "c": [3.0, 1.0, 2.0, 5.0],
}


def catalog(directions: dict[str, int], theme: str = "finance") -> pd.DataFrame:
    return pd.DataFrame(
        {
            INDICATOR_ID: list(directions),
            THEME: theme,
            DIRECTION: list(directions.values()),
        }
    )


def observations(
    columns: dict[str, list[float]],
    year: int = 2022,
    territories: list[str] | None = None,
) -> pd.DataFrame:
    rows = []
    for ind, values in columns.items():
        ids = territories or [f"t{i + 1}" for i in range(len(values))]
        for t, v in zip(ids, values, strict=True):
            rows.append({TERRITORY_ID: t, YEAR: year, INDICATOR_ID: ind, VALUE: v})
    return pd.DataFrame(rows)


def scores_of(res) -> dict[str, float]:
    return res.scores.set_index(TERRITORY_ID)["score"].to_dict()


@pytest.fixture
def worked():
    return observations(WORKED), catalog({"a": 1, "b": 1, "c": -1})


# --------------------------------------------------------------------------
# the worked example
# --------------------------------------------------------------------------


def test_minmax_arithmetic_equal_weights_by_hand(worked):
    obs, cat = worked
    res = composite_index(obs, None, cat, sensitivity=False)
    # a: (x - 10) / 40 * 100            -> 0, 25, 50, 100
    # b: (x - 2) / 6 * 100              -> 33.33, 0, 100, 66.67
    # c: v = -x in -3, -1, -2, -5; (v + 5) / 4 * 100 -> 50, 100, 75, 0
    # mean of the three:
    expected = {
        "t1": (0 + 100 / 3 + 50) / 3,  # 27.78
        "t2": (25 + 0 + 100) / 3,  # 41.67
        "t3": (50 + 100 + 75) / 3,  # 75.00
        "t4": (100 + 200 / 3 + 0) / 3,
    }  # 55.56
    assert scores_of(res) == pytest.approx(expected)
    assert res.scores[TERRITORY_ID].tolist() == ["t3", "t4", "t2", "t1"]
    assert res.scores["rank"].tolist() == [1, 2, 3, 4]
    assert res.normalised.loc["t2", "c"] == pytest.approx(100.0)
    assert res.included["weight"].tolist() == pytest.approx([1 / 3] * 3)
    assert res.excluded.empty
    assert (res.treatments["treatment"] == "none").all()


def test_user_weights_by_hand(worked):
    obs, cat = worked
    res = composite_index(
        obs, None, cat, weights={"a": 2, "b": 1, "c": 1}, sensitivity=False
    )
    # weights renormalised to 0.5, 0.25, 0.25
    expected = {
        "t1": 0.25 * 100 / 3 + 0.25 * 50,  # 20.83
        "t2": 0.5 * 25 + 0.25 * 100,  # 37.50
        "t3": 0.5 * 50 + 0.25 * 100 + 0.25 * 75,  # 68.75
        "t4": 0.5 * 100 + 0.25 * 200 / 3,
    }  # 66.67
    assert scores_of(res) == pytest.approx(expected)
    assert res.included.set_index(INDICATOR_ID)["weight"]["a"] == 0.5


def test_geometric_aggregation_on_one_to_hundred_by_hand(worked):
    obs, cat = worked
    res = composite_index(obs, None, cat, aggregation="geometric", sensitivity=False)
    # min-max values rescaled as 1 + 99 y / 100:
    # a: 1, 25.75, 50.5, 100;  b: 34, 1, 100, 67;  c: 50.5, 100, 75.25, 1
    expected = {
        "t1": (1 * 34 * 50.5) ** (1 / 3),
        "t2": (25.75 * 1 * 100) ** (1 / 3),
        "t3": (50.5 * 100 * 75.25) ** (1 / 3),
        "t4": (100 * 67 * 1) ** (1 / 3),
    }
    assert scores_of(res) == pytest.approx(expected)


def test_rank_and_target_normalisations_by_hand(worked):
    obs, cat = worked
    res = composite_index(obs, None, cat, normalisation="rank", sensitivity=False)
    # percentile ranks 100 (r - 1) / 3 of a: 0, 33, 67, 100; b (4,2,8,6): 33, 0,
    # 100, 67; -c (-3,-1,-2,-5): 33, 100, 67, 0
    third = 100 / 3
    assert scores_of(res) == pytest.approx(
        {
            "t1": 2 * third / 3,
            "t2": 4 * third / 3,
            "t3": 7 * third / 3,
            "t4": 5 * third / 3,
        }
    )
    res = composite_index(obs, None, cat, normalisation="target", sensitivity=False)
    # targets = best values: a 50, b 8, c 1 (lower is better); COINr's
    # n_dist2targ: a (x - 10)/40 -> 0, 25, 50, 100; b (x - 2)/6 -> 33.3, 0,
    # 100, 66.7; c (5 - x)/(5 - 1) -> 50, 100, 75, 0
    assert scores_of(res) == pytest.approx(
        {
            "t1": (0 + 100 / 3 + 50) / 3,
            "t2": (25 + 0 + 100) / 3,
            "t3": (50 + 100 + 75) / 3,
            "t4": (100 + 200 / 3 + 0) / 3,
        }
    )
    res = composite_index(
        obs, None, cat, normalisation="target", targets={"a": 100.0}, sensitivity=False
    )
    assert res.normalised["a"].tolist() == pytest.approx([0, 100 / 9, 200 / 9, 400 / 9])


def coinr_dist2targ(x, targ, direction, cap_max=True):
    """COINr's n_dist2targ (R, COINr 1.1), line by line."""
    x = np.asarray(x, dtype=float)
    if direction == 1:
        minx = np.nanmin(x)
        y = (x - minx) / (targ - minx)
    else:
        maxx = np.nanmax(x)
        y = (maxx - x) / (maxx - targ)
    if cap_max:
        y = np.where(y > 1, 1.0, y)
    return y


def test_target_normalisation_is_bounded_as_coinr_for_lower_is_better():
    # lower is better, target inside the range: the old formula
    # 100 (1 + (t - x)/|t|) gave 100 (1 + (2 - 8)/2) = -200 for the worst
    values = {"c": [1.0, 2.0, 4.0, 8.0], "a": [3.0, 9.0, 5.0, 1.0]}
    targets = {"c": 2.0, "a": 6.0}
    res = composite_index(
        observations(values),
        None,
        catalog({"c": -1, "a": 1}),
        normalisation="target",
        targets=targets,
        sensitivity=False,
    )
    for ind, direction in (("c", -1), ("a", 1)):
        expected = 100 * coinr_dist2targ(values[ind], targets[ind], direction)
        got = res.normalised[ind].to_numpy(dtype=float)
        assert got == pytest.approx(expected)
        assert got.min() >= 0 and got.max() <= 100
    assert res.normalised["c"].tolist() == pytest.approx([100, 100, 400 / 6, 0])
    with pytest.raises(ValueError, match="not better than its worst value"):
        composite_index(
            observations(values),
            None,
            catalog({"c": -1, "a": 1}),
            normalisation="target",
            targets={"c": 9.0},
            sensitivity=False,
        )


def test_equal_scores_share_a_rank_despite_floating_point_noise():
    # t1 and t2 hold the same three normalised values in another order: the
    # weighted sums differ in the last bit (0.1 + 0.2 + 0.3 and 0.3 + 0.2 + 0.1)
    values = {
        "a": [1.0, 3.0, 0.0, 10.0],
        "b": [2.0, 2.0, 0.0, 10.0],
        "c": [3.0, 1.0, 0.0, 10.0],
    }
    res = composite_index(
        observations(values), None, catalog(dict.fromkeys(values, 1)), sensitivity=False
    )
    scores = res.scores.set_index(TERRITORY_ID)
    assert scores.loc["t1", "score"] != scores.loc["t2", "score"]  # the noise
    assert scores.loc["t1", "score"] == pytest.approx(scores.loc["t2", "score"])
    assert scores.loc["t1", "rank"] == scores.loc["t2", "rank"] == 2
    assert scores.loc["t3", "rank"] == 4


def test_zscore_by_hand():
    obs = observations({"a": [1.0, 2.0, 3.0], "b": [3.0, 3.0, 0.0]})
    res = composite_index(
        obs, None, catalog({"a": 1, "b": -1}), normalisation="zscore", sensitivity=False
    )
    # a: mean 2, population SD sqrt(2/3): z = -1.2247, 0, 1.2247
    # -b = -3, -3, 0: mean -2, SD sqrt(2): z = -0.7071, -0.7071, 1.4142
    s = np.sqrt(1.5)
    assert scores_of(res) == pytest.approx(
        {"t1": (-s - 0.5**0.5) / 2, "t2": (0 - 0.5**0.5) / 2, "t3": (s + 2**0.5) / 2}
    )


def test_missing_cell_renormalises_the_weights(worked):
    obs, cat = worked
    obs = obs[~((obs[TERRITORY_ID] == "t4") & (obs[INDICATOR_ID] == "b"))]
    res = composite_index(obs, None, cat, sensitivity=False)
    # b's range is still 2..8; t4 averages a (100) and c (0) only
    assert scores_of(res)["t4"] == pytest.approx(50.0)
    assert res.scores.set_index(TERRITORY_ID)["n_indicators"]["t4"] == 2
    assert res.included.set_index(INDICATOR_ID)["coverage"]["b"] == 0.75


# --------------------------------------------------------------------------
# gates and treatments
# --------------------------------------------------------------------------


def test_coverage_gate_excludes_and_reports(worked):
    obs, cat = worked
    sparse = observations({"d": [1.0, 2.0]}, territories=["t1", "t2"])
    cat = pd.concat([cat, catalog({"d": 1})], ignore_index=True)
    res = composite_index(pd.concat([obs, sparse]), None, cat, sensitivity=False)
    assert res.included[INDICATOR_ID].tolist() == ["a", "b", "c"]
    row = res.excluded.set_index(INDICATOR_ID).loc["d"]
    assert row["coverage"] == 0.5
    assert "coverage 50%" in row["reason"] and "65%" in row["reason"]
    # a looser gate lets it in
    res = composite_index(
        pd.concat([obs, sparse]), None, cat, min_coverage=0.5, sensitivity=False
    )
    assert "d" in res.included[INDICATOR_ID].tolist()


def test_direction_zero_and_constant_indicators():
    obs = observations(
        {"a": [1.0, 2.0, 3.0], "flat": [5.0, 5.0, 5.0], "pop": [10.0, 20.0, 30.0]}
    )
    cat = catalog({"a": 1, "flat": 1, "pop": 0})
    res = composite_index(obs, None, cat, sensitivity=False)
    assert res.included[INDICATOR_ID].tolist() == ["a"]  # pop: direction 0
    assert res.excluded.set_index(INDICATOR_ID)["reason"]["flat"] == (
        "no variation across territories"
    )
    with pytest.raises(ValueError, match="'pop' has direction 0"):
        composite_index(obs, None, cat, indicator_ids=["a", "pop"])


def test_skewed_indicator_is_winsorised_one_point():
    skewed = [*np.arange(1.0, 20.0), 1000.0]  # skew 4.47, kurtosis 19.97
    plain = list(np.linspace(1.0, 2.0, 20))
    ids = [f"t{i:02d}" for i in range(20)]
    obs = observations({"a": skewed, "b": plain}, territories=ids)
    res = composite_index(obs, None, catalog({"a": 1, "b": 1}), sensitivity=False)
    row = res.treatments.set_index(INDICATOR_ID).loc["a"]
    assert row["treatment"] == "winsorised" and row["points"] == 1
    assert row["skew"] == pytest.approx(4.4676, abs=1e-4)
    assert abs(row["skew_after"]) < 2
    # 1000 is capped at 19, the next value: t19 ties t18 for the best a
    assert res.normalised.loc["t19", "a"] == res.normalised.loc["t18", "a"] == 100
    assert res.treatments.set_index(INDICATOR_ID)["treatment"]["b"] == "none"


def test_skew_falls_back_to_log_when_winsorising_is_not_enough():
    values = [*np.arange(1.0, 41.0), 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]
    ids = [f"t{i:02d}" for i in range(len(values))]
    obs = observations({"a": values}, territories=ids)
    res = composite_index(
        obs, None, catalog({"a": 1}), max_winsorised=2, sensitivity=False
    )
    row = res.treatments.iloc[0]
    assert row["treatment"] == "log" and row["points"] == 0
    # min-max of ln x: ln 1 = 0 -> 0, ln 1e9 -> 100, ln 40 -> 100 ln 40 / ln 1e9
    assert res.normalised.loc["t39", "a"] == pytest.approx(
        100 * np.log(40) / np.log(1e9)
    )
    untreated = composite_index(
        obs, None, catalog({"a": 1}), skew_treatment="none", sensitivity=False
    )
    assert untreated.treatments.iloc[0]["treatment"] == "none"
    # monotone treatments keep the order of the territories
    assert res.scores[TERRITORY_ID].tolist() == untreated.scores[TERRITORY_ID].tolist()


# --------------------------------------------------------------------------
# sensitivity
# --------------------------------------------------------------------------


def test_sensitivity_is_seeded_and_finds_the_robust_leader():
    rng = np.random.default_rng(3)
    n = 12
    ids = [f"t{i:02d}" for i in range(n)]
    cols = {k: list(rng.normal(10, 2, n)) for k in "abc"}
    for k in "abc":  # t00 is best on every indicator: first in every scenario
        cols[k][0] = 30.0
    obs = observations(cols, territories=ids)
    cat = catalog({"a": 1, "b": 1, "c": 1})
    res = composite_index(obs, None, cat, n_weight_draws=20, random_state=7)
    again = composite_index(obs, None, cat, n_weight_draws=20, random_state=7)
    pd.testing.assert_frame_equal(res.sensitivity, again.sensitivity)
    assert len(res.scenarios) == 4 * 2 * 21
    leader = res.sensitivity.iloc[0]
    assert leader[TERRITORY_ID] == "t00"
    assert (leader[["median_rank", "rank_p05", "rank_p95"]] == 1).all()
    assert leader["rank_width"] == 0
    others = res.sensitivity.iloc[1:]
    assert (others["rank_p05"] <= others["median_rank"]).all()
    assert (others["median_rank"] <= others["rank_p95"]).all()
    assert others["rank_width"].max() > 0  # the middle of the table moves


def test_sensitivity_off_gives_empty_tables(worked):
    obs, cat = worked
    res = composite_index(obs, None, cat, sensitivity=False)
    assert res.sensitivity.empty and res.scenarios.empty


# --------------------------------------------------------------------------
# selection, scope and errors
# --------------------------------------------------------------------------


def test_indicator_matrix_scope_and_latest_year():
    terr = pd.DataFrame(
        {
            TERRITORY_ID: ["RU-X", "m1", "m2", "m3"],
            LEVEL: [
                "region",
                "urban_okrug",
                "municipal_district",
                "municipal_district",
            ],
            AGGLOMERATION_ID: ["", "A", "A", ""],
            ROLE: ["", "core", "ring", ""],
        }
    )
    obs = pd.concat(
        [
            observations(
                {"a": [1.0, 2.0, 3.0, 4.0], "b": [1.0, 1.0, 2.0, 2.0]},
                year=2021,
                territories=["RU-X", "m1", "m2", "m3"],
            ),
            observations({"a": [5.0, 6.0]}, year=2022, territories=["m1", "m2"]),
        ]
    )
    cat = catalog({"a": 1, "b": 1})
    wide = indicator_matrix(obs, terr, cat)
    # 2021 has both indicators, 2022 only one; the region is not a municipality
    assert wide.attrs["year"] == 2021
    assert wide.index.tolist() == ["m1", "m2", "m3"]
    wide = indicator_matrix(obs, terr, cat, "A", 2022)
    assert wide.index.tolist() == ["m1", "m2"]
    assert wide["b"].isna().all()
    with pytest.raises(ValueError, match="unknown agglomeration 'Z'"):
        indicator_matrix(obs, terr, cat, "Z")


def test_theme_scores_skips_themes_without_indicators(worked):
    obs, cat = worked
    cat = pd.concat([cat, catalog({"x": 1}, theme="staffing")], ignore_index=True)
    table = theme_scores(obs, None, cat)
    assert table.columns.tolist() == ["finance"]
    assert table["finance"].to_dict() == pytest.approx(
        scores_of(composite_index(obs, None, cat, sensitivity=False))
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"observations": "empty"}, "observations table is empty"),
        ({"indicator_ids": ["nope"]}, "unknown indicator 'nope'"),
        ({"single": True}, "at least 2 territories"),
        ({"normalisation": "softmax"}, "normalisation must be one of"),
        ({"aggregation": "harmonic"}, "aggregation must be one of"),
        ({"weights": {"zzz": 1}}, "weight given for 'zzz'"),
        ({"weights": {"a": -1}}, "non-negative"),
        ({"weights": {"a": 0}}, "sum to 0"),
    ],
)
def test_clear_errors(worked, change, message):
    obs, cat = worked
    kwargs = {k: v for k, v in change.items() if k not in ("observations", "single")}
    if change.get("observations") == "empty":
        obs = obs.iloc[0:0]
    if change.get("single"):
        obs = obs[obs[TERRITORY_ID] == "t1"]
    with pytest.raises(ValueError, match=message):
        composite_index(obs, None, cat, sensitivity=False, **kwargs)


def test_does_not_mutate_inputs(worked):
    obs, cat = worked
    before, cat_before = obs.copy(), cat.copy()
    composite_index(obs, None, cat, n_weight_draws=3)
    pd.testing.assert_frame_equal(obs, before)
    pd.testing.assert_frame_equal(cat, cat_before)


def test_absolute_amounts_with_a_per_capita_form_are_left_out_of_a_theme(worked):
    obs, cat = worked
    formula = '{"numerator": "a", "denominator": "population", "scale": 1}'
    cat = pd.concat([cat, catalog({"a_pc": 1})], ignore_index=True).assign(
        formula=["", "", "", formula]
    )
    obs = pd.concat([obs, observations({"a_pc": [1.0, 2.0, 1.5, 3.0]})])
    res = composite_index(obs, None, cat, sensitivity=False)
    assert res.included[INDICATOR_ID].tolist() == ["b", "c", "a_pc"]
    reason = res.excluded.set_index(INDICATOR_ID)["reason"]["a"]
    assert reason == "absolute amount, depends on size (per capita: a_pc)"
    assert "a" not in indicator_matrix(obs, None, cat).columns
    named = composite_index(obs, None, cat, indicator_ids=["a", "b"], sensitivity=False)
    assert named.included[INDICATOR_ID].tolist() == ["a", "b"]


def test_skew_and_kurtosis_equal_scipy_bias_corrected() -> None:
    from scipy import stats

    from analytics.composite import _skew_kurtosis

    rng = np.random.default_rng(5)
    for n in (4, 5, 9, 40, 300):
        for _ in range(50):
            x = rng.lognormal(0, rng.uniform(0.1, 2.0), n) * rng.uniform(0.01, 1e6)
            skew, kurtosis = _skew_kurtosis(x)
            assert skew == pytest.approx(
                stats.skew(x, bias=False), rel=1e-12, abs=1e-12
            )
            assert kurtosis == pytest.approx(
                stats.kurtosis(x, bias=False), rel=1e-12, abs=1e-12
            )
