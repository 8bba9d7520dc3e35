"""Tests of analytics.gaps: benchmarks by hand, direction, totals, trends, deviants."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analytics.gaps import (
    benchmark_gaps,
    biggest_gaps,
    compare_management_models,
    core_periphery_gap,
    expected_performance,
    extensive_basis,
    gap_closing,
    positive_deviants,
)
from analytics.store import (
    AGGLOMERATION_ID,
    DIRECTION,
    INDICATOR_ID,
    LEVEL,
    NAME_EN,
    NAME_RU,
    REGION_ID,
    ROLE,
    TERRITORY_ID,
    THEME,
    UNIT,
    VALUE,
    YEAR,
)

A = ["c", "r1", "r2", "p"]  # agglomeration A: core, two ring districts, periphery
POP = {"c": 1000.0, "r1": 500.0, "r2": 1500.0, "p": 200.0, "b1": 800.0, "b2": 200.0}


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[TERRITORY_ID, YEAR, INDICATOR_ID, VALUE])


@pytest.fixture
def store():
    territories = pd.DataFrame(
        {
            TERRITORY_ID: ["RU", "RU-X", "RU-Y", *A, "b1", "b2"],
            NAME_RU: [
                "Россия",
                "Край X",
                "Край Y",
                "Центр",
                "Кольцо-1",
                "Кольцо-2",
                "Окраина",
                "Б-центр",
                "Б-кольцо",
            ],
            NAME_EN: [
                "Russia",
                "X",
                "Y",
                "Centre",
                "Ring-1",
                "Ring-2",
                "Outskirt",
                "B-centre",
                "B-ring",
            ],
            LEVEL: ["country", "region", "region"] + ["municipal_district"] * 6,
            REGION_ID: ["", "RU-X", "RU-Y"] + ["RU-X"] * 4 + ["RU-Y"] * 2,
            AGGLOMERATION_ID: ["", "", "", "A", "A", "A", "A", "B", "B"],
            ROLE: ["", "", "", "core", "ring", "ring", "periphery", "core", "ring"],
        }
    )
    indicators = pd.DataFrame(
        {
            INDICATOR_ID: [
                "population",
                "rev",
                "cost",
                "doctors",
                "wage_rel",
                "budget_revenue",
            ],
            NAME_RU: [
                "Население",
                "Доходы на жителя",
                "Расходы на управление",
                "Врачи",
                "Зарплата к средней",
                "Доходы",
            ],
            NAME_EN: [
                "Population",
                "Revenue per resident",
                "Admin cost",
                "Doctors",
                "Relative wage",
                "Revenue",
            ],
            UNIT: [
                "чел.",
                "руб. на жителя",
                "руб. на жителя",
                "чел. на 10 000 жителей",
                "%",
                "руб.",
            ],
            "unit_en": [
                "persons",
                "RUB per resident",
                "RUB per resident",
                "persons per 10,000 residents",
                "%",
                "RUB",
            ],
            THEME: [
                "demography",
                "finance",
                "finance",
                "staffing",
                "staffing",
                "finance",
            ],
            DIRECTION: [0, 1, -1, 1, 1, 0],
            "formula": [
                "",
                '{"numerator": "budget_revenue", "denominator": "population", '
                '"scale": 1}',
                "",
                "",
                '{"numerator": "municipal_admin_wage", "denominator": '
                '"average_wage", "scale": 100}',
                "",
            ],
        }
    )
    rows = []
    for year in (2020, 2021, 2022):
        rows += [(t, year, "population", p) for t, p in POP.items()]
    revenue = {
        2020: [400, 100, 100, 50],
        2021: [400, 200, 200, 100],
        2022: [300, 100, 200, 50],
    }
    for year, values in revenue.items():
        rows += [(t, year, "rev", float(v)) for t, v in zip(A, values, strict=True)]
    rows += [
        ("b1", 2022, "rev", 400.0),
        ("b2", 2022, "rev", 100.0),
        ("RU-X", 2022, "rev", 250.0),
    ]
    for ind, values in {
        "cost": [10, 20, 30, 40],
        "doctors": [40, 20, 30, 16],
        "wage_rel": [100, 95, 80, 85],
    }.items():
        rows += [(t, 2022, ind, float(v)) for t, v in zip(A, values, strict=True)]
    rows += [
        ("b1", 2022, "cost", 10.0),
        ("b2", 2022, "cost", 20.0),
        ("RU", 2022, "cost", 12.0),
    ]
    agglomerations = pd.DataFrame(
        {AGGLOMERATION_ID: ["A", "B"], "management_model": ["council", "none"]}
    )
    return frame(rows), territories, indicators, agglomerations


def pick(
    gaps: pd.DataFrame, territory: str, indicator: str, benchmark: str, year: int = 2022
) -> pd.Series:
    row = gaps[
        (gaps[TERRITORY_ID] == territory)
        & (gaps[INDICATOR_ID] == indicator)
        & (gaps["benchmark"] == benchmark)
        & (gaps[YEAR] == year)
    ]
    assert len(row) == 1
    return row.iloc[0]


# --------------------------------------------------------------------------
# benchmark gaps
# --------------------------------------------------------------------------


def test_benchmark_values_by_hand(store):
    obs, terr, cat, _ = store
    gaps = benchmark_gaps(obs, terr, cat, "A", 2022)
    bench = (
        gaps[gaps[INDICATOR_ID] == "rev"]
        .groupby("benchmark")["benchmark_value"]
        .first()
    )
    # rev of c, r1, r2, p = 300, 100, 200, 50; sorted 50, 100, 200, 300
    assert bench["core"] == 300
    assert bench["median"] == 150  # (100 + 200) / 2
    assert bench["best_quartile"] == 225  # 200 + 0.25 * (300 - 200)
    # (300*1000 + 100*500 + 200*1500 + 50*200) / 3200 = 660000 / 3200
    assert bench["weighted_mean"] == pytest.approx(206.25)
    assert bench["region"] == 250  # RU-X's own value
    assert math.isnan(bench["country"])  # RU has no rev
    # lower-is-better: the best quartile is the 25th percentile
    cost = gaps[(gaps[INDICATOR_ID] == "cost") & (gaps["benchmark"] == "best_quartile")]
    assert cost["benchmark_value"].iloc[0] == 17.5  # 10 + 0.75 * (20 - 10)
    assert pick(gaps, "p", "cost", "country")["benchmark_value"] == 12


def test_gap_sign_ratio_and_total(store):
    obs, terr, cat, _ = store
    gaps = benchmark_gaps(obs, terr, cat, "A", 2022)
    r1 = pick(gaps, "r1", "rev", "median")
    assert r1["gap_abs"] == 50 and r1["behind"]  # 150 - 100
    assert r1["gap_ratio"] == pytest.approx(100 / 150)
    assert r1["missing_total"] == 50 * 500  # roubles in total
    # SD of 300, 100, 200, 50 (ddof=0): sqrt(36875 / 4)
    assert r1["gap_std"] == pytest.approx(50 / math.sqrt(36875 / 4))
    c = pick(gaps, "c", "rev", "median")
    assert c["gap_abs"] == -150 and not c["behind"] and c["missing_total"] == 0
    assert pick(gaps, "c", "rev", "core")["gap_abs"] == 0


def test_annual_average_population_stands_in_as_in_the_index_views(store):
    # r1 has no 1 January population in 2022, only the annual average (as
    # analytics.selection.population, which the index views weigh with)
    obs, terr, cat, _ = store
    missing = (obs[TERRITORY_ID] == "r1") & (obs[INDICATOR_ID] == "population")
    missing &= obs[YEAR] == 2022
    obs = pd.concat(
        [obs[~missing], frame([("r1", 2022, "population_avg", 500.0)])],
        ignore_index=True,
    )
    cat = pd.concat(
        [
            cat,
            cat[cat[INDICATOR_ID] == "population"].assign(
                indicator_id="population_avg"
            ),
        ],
        ignore_index=True,
    )
    gaps = benchmark_gaps(obs, terr, cat, "A", 2022, indicator_ids=["rev"])
    r1 = pick(gaps, "r1", "rev", "weighted_mean")
    assert r1["benchmark_value"] == pytest.approx(206.25)  # as with population
    assert r1["population"] == 500
    assert pick(gaps, "r1", "rev", "median")["missing_total"] == 50 * 500
    # the 1 January figure wins where both exist
    both = pd.concat([obs, frame([("c", 2022, "population_avg", 9e9)])])
    gaps = benchmark_gaps(both, terr, cat, "A", 2022, indicator_ids=["rev"])
    assert pick(gaps, "c", "rev", "median")["population"] == 1000


def test_direction_minus_one_flips_the_gap(store):
    obs, terr, cat, _ = store
    gaps = benchmark_gaps(obs, terr, cat, "A", 2022)
    # cost 10, 20, 30, 40 (lower is better), median 25
    p = pick(gaps, "p", "cost", "median")
    assert p["gap_abs"] == 15 and p["behind"]  # above the median
    assert p["missing_total"] == 15 * 200  # excess roubles
    c = pick(gaps, "c", "cost", "median")
    assert c["gap_abs"] == -15 and not c["behind"]
    # the same values as higher-is-better give the opposite sign
    flipped = cat.assign(
        **{DIRECTION: cat[DIRECTION].where(cat[INDICATOR_ID] != "cost", 1)}
    )
    again = benchmark_gaps(obs, terr, flipped, "A", 2022, indicator_ids=["cost"])
    assert pick(again, "p", "cost", "median")["gap_abs"] == -15


def test_totals_per_ten_thousand_and_none_for_ratios_to_averages(store):
    obs, terr, cat, _ = store
    gaps = benchmark_gaps(obs, terr, cat, "A", 2022)
    # doctors 40, 20, 30, 16 per 10,000, median 25: p lacks 9 per 10,000 of 200
    assert pick(gaps, "p", "doctors", "median")["missing_total"] == pytest.approx(
        9 * 200 / 10_000
    )
    # a wage relative to the average wage has no total
    assert math.isnan(pick(gaps, "r2", "wage_rel", "median")["missing_total"])
    basis = extensive_basis(cat).set_index(INDICATOR_ID)
    assert basis.loc["rev", "total_unit"] == "руб."  # from the numerator
    assert basis.loc["doctors", "scale"] == 10_000
    assert "wage_rel" not in basis.index


def test_all_agglomerations_and_all_years(store):
    obs, terr, cat, _ = store
    gaps = benchmark_gaps(obs, terr, cat, benchmarks=["median"])
    assert set(gaps[AGGLOMERATION_ID]) == {"A", "B"}
    assert set(gaps[YEAR]) == {2020, 2021, 2022}
    # B's rev: 400 and 100, median 250: b2 is 150 behind
    assert pick(gaps, "b2", "rev", "median")["gap_abs"] == 150
    # direction-0 indicators (population) never get a gap
    assert "population" not in set(gaps[INDICATOR_ID])
    assert gaps.columns.tolist()[:6] == [
        AGGLOMERATION_ID,
        TERRITORY_ID,
        ROLE,
        INDICATOR_ID,
        YEAR,
        "benchmark",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"indicator_ids": ["nope"]}, "unknown indicator 'nope'"),
        ({"indicator_ids": ["population"]}, "'population' has direction 0"),
        ({"agglomeration_id": "Z"}, "unknown agglomeration 'Z'"),
        ({"benchmarks": ["mode"]}, "benchmarks must be among"),
        ({"year": 1999}, "no observation in year 1999"),
    ],
)
def test_benchmark_gaps_errors(store, kwargs, message):
    obs, terr, cat, _ = store
    with pytest.raises(ValueError, match=message):
        benchmark_gaps(obs, terr, cat, **kwargs)


def test_empty_and_single_territory_errors(store):
    obs, terr, cat, _ = store
    with pytest.raises(ValueError, match="observations table is empty"):
        benchmark_gaps(obs.iloc[0:0], terr, cat)
    only_core = obs[obs[TERRITORY_ID] == "c"]
    with pytest.raises(ValueError, match="at least 2 territories"):
        benchmark_gaps(only_core, terr, cat, "A")


# --------------------------------------------------------------------------
# core and periphery
# --------------------------------------------------------------------------


def test_core_periphery_unweighted_ratios_and_trend(store):
    obs, terr, cat, _ = store
    res = core_periphery_gap(obs, terr, cat, "A", indicator_ids="rev", weighted=False)
    table = res.by_year.set_index(YEAR)
    # ring = mean of r1, r2: 100, 200, 150; core 400, 400, 300; periphery 50, 100, 50
    assert table["core_ring"].tolist() == pytest.approx([4, 2, 2])
    assert table["core_periphery"].tolist() == pytest.approx([8, 4, 6])
    assert table["n_ring"].tolist() == [2, 2, 2]
    trend = res.trend.set_index("ratio")
    # OLS slope of ln r on t = -1, 0, 1: sum(t ln r) / 2
    assert trend.loc["core_ring", "log_slope"] == pytest.approx(
        (math.log(2) - math.log(4)) / 2
    )
    assert trend.loc["core_periphery", "log_slope"] == pytest.approx(
        math.log(6 / 8) / 2
    )
    assert trend.loc["core_ring", "annual_change"] == pytest.approx(
        math.exp(-math.log(2) / 2) - 1
    )
    assert trend.loc["core_ring", "change"] == -2
    assert trend["closing"].all()
    assert trend["first_year"].eq(2020).all() and trend["last_year"].eq(2022).all()


def test_core_periphery_is_population_weighted(store):
    obs, terr, cat, _ = store
    res = core_periphery_gap(obs, terr, cat, "A", 2022, indicator_ids="rev")
    row = res.by_year.iloc[0]
    # ring: (100 * 500 + 200 * 1500) / 2000 = 175
    assert row["ring"] == 175 and row["core_ring"] == pytest.approx(300 / 175)
    assert res.weighted
    assert math.isnan(res.trend.iloc[0]["log_slope"])  # one year: no slope


# --------------------------------------------------------------------------
# biggest gaps
# --------------------------------------------------------------------------


def test_biggest_gaps_ranked_by_standardised_shortfall(store):
    obs, terr, cat, _ = store
    top = biggest_gaps(obs, terr, cat, "A", n=3)
    # gap / SD: p cost 15 / 11.18 = 1.342; r2 wage_rel 10 / 7.91 = 1.265;
    # p rev 100 / 96.01 = 1.041 (then p doctors 9 / 9.31 = 0.966)
    assert list(zip(top[TERRITORY_ID], top[INDICATOR_ID], strict=True)) == [
        ("p", "cost"),
        ("r2", "wage_rel"),
        ("p", "rev"),
    ]
    assert top[YEAR].eq(2022).all()
    first = top.iloc[0]
    assert (first[NAME_RU], first["indicator_name_en"]) == ("Окраина", "Admin cost")
    assert (first[VALUE], first["benchmark_value"], first["gap_abs"]) == (40, 25, 15)
    assert first["unit"] == "руб. на жителя" and first["total_unit"] == "руб."
    assert first["gap_ratio"] == pytest.approx(40 / 25)
    with pytest.raises(ValueError, match="n must be at least 1"):
        biggest_gaps(obs, terr, cat, "A", n=0)


# --------------------------------------------------------------------------
# positive deviants and management models
# --------------------------------------------------------------------------


def test_gap_closing_by_hand(store):
    obs, terr, cat, _ = store
    res = gap_closing(obs, terr, cat, "A", start=2020, end=2022)
    # rev medians: 2020 of 400, 100, 100, 50 -> 100; 2022 -> 150
    # r2: gap 0 -> 150 - 200 = -50, closed 50 in 2 years
    top = res.iloc[0]
    assert (top[TERRITORY_ID], top[INDICATOR_ID]) == ("r2", "rev")
    assert (top["gap_start"], top["gap_end"], top["closed"]) == (0, -50, 50)
    assert top["closed_per_year"] == 25
    # SD in 2020 of 400, 100, 100, 50: sqrt(76875 / 4)
    assert top["closed_std"] == pytest.approx(50 / math.sqrt(76875 / 4))
    # only rev has both years
    assert set(res[INDICATOR_ID]) == {"rev"} and len(res) == 4
    with pytest.raises(ValueError, match="end after start"):
        gap_closing(obs, terr, cat, "A", start=2022, end=2022)


def regression_case(deviant: float = 0.0):
    """value = 10 + 5 ln P + 7 [core], exactly; t5 gets `deviant` on top."""
    ids = [f"t{i}" for i in range(8)]
    pops = [1000.0, 2000.0, 4000.0, 8000.0, 500.0, 3000.0, 6000.0, 700.0]
    roles = ["core", "ring"] * 4
    terr = pd.DataFrame(
        {
            TERRITORY_ID: ids,
            AGGLOMERATION_ID: ["A"] * 4 + ["B"] * 4,
            ROLE: roles,
            LEVEL: "urban_okrug",
        }
    )
    rows = [(t, 2022, "population", p) for t, p in zip(ids, pops, strict=True)]
    for i, (t, p, r) in enumerate(zip(ids, pops, roles, strict=True)):
        value = 10 + 5 * math.log(p) + 7 * (r == "core") + (deviant if i == 5 else 0)
        rows.append((t, 2022, "rev", value))
    cat = pd.DataFrame(
        {
            INDICATOR_ID: ["population", "rev"],
            THEME: ["demography", "finance"],
            DIRECTION: [0, 1],
        }
    )
    agg = pd.DataFrame(
        {AGGLOMERATION_ID: ["A", "B"], "management_model": ["council", "merged"]}
    )
    return frame(rows), terr, cat, agg


def test_expected_performance_regression_recovers_an_exact_fit():
    obs, terr, cat, _ = regression_case()
    res = expected_performance(obs, terr, cat)
    assert res["basis"].eq("regression").all()
    np.testing.assert_allclose(res["residual"], 0, atol=1e-9)
    np.testing.assert_allclose(res["expected"], res[VALUE])


def test_positive_deviant_above_what_its_type_predicts():
    obs, terr, cat, agg = regression_case(deviant=3.0)
    res = expected_performance(obs, terr, cat).set_index(TERRITORY_ID)
    assert res["residual"].idxmax() == "t5"
    top = positive_deviants(obs, terr, cat, agg, method="expected", top=1)
    assert top[TERRITORY_ID].tolist() == ["t5"]
    assert top["management_model"].tolist() == ["merged"]
    by_agglo = positive_deviants(
        obs, terr, cat, agg, method="expected", level="agglomeration", top=None
    )
    assert by_agglo[AGGLOMERATION_ID].tolist() == ["B", "A"]
    # residuals sum to zero in OLS with an intercept: the two means are opposite
    assert by_agglo["score"].sum() == pytest.approx(0, abs=1e-9)


def test_expected_performance_against_cluster_means_and_direction():
    obs = frame(
        [
            ("a", 2022, "cost", 1.0),
            ("b", 2022, "cost", 3.0),
            ("c", 2022, "cost", 10.0),
            ("d", 2022, "cost", 14.0),
        ]
    )
    cat = pd.DataFrame({INDICATOR_ID: ["cost"], THEME: "finance", DIRECTION: [-1]})
    labels = pd.Series({"a": 0, "b": 0, "c": 1, "d": 1})
    res = expected_performance(obs, None, cat, labels=labels).set_index(TERRITORY_ID)
    # cluster means 2 and 12; lower is better, so below the mean is positive
    assert res["expected"].tolist() == [2, 2, 12, 12]
    assert res["residual"].tolist() == [1, -1, 2, -2]
    assert res.loc["c", "residual_std"] == pytest.approx(2 / math.sqrt(2.5))


def test_positive_deviants_by_gap_closing(store):
    obs, terr, cat, agg = store
    top = positive_deviants(obs, terr, cat, agg, start=2020, year=2022, top=2)
    assert top[TERRITORY_ID].tolist()[0] == "r2"
    assert top.iloc[0]["management_model"] == "council"
    assert top.iloc[0]["best_indicator"] == "rev"
    with pytest.raises(ValueError, match="method must be"):
        positive_deviants(obs, terr, cat, agg, method="magic")


def test_compare_management_models_closed_form():
    terr = pd.DataFrame(
        {TERRITORY_ID: list("abcdef"), AGGLOMERATION_ID: list("AAABBB")}
    )
    agg = pd.DataFrame(
        {AGGLOMERATION_ID: ["A", "B"], "management_model": ["council", "none"]}
    )
    cat = pd.DataFrame(
        {INDICATOR_ID: ["rev", "cost"], THEME: "finance", DIRECTION: [1, -1]}
    )
    obs = frame(
        [(t, 2022, "rev", v) for t, v in zip("abcdef", [1, 1, 1, 3, 3, 3], strict=True)]
    )
    res = compare_management_models(
        obs, terr, cat, agg, "rev", weighted=False, n_boot=50
    )
    table = res.table.set_index("management_model")
    # overall mean 2; council 1 -> index 50, none 3 -> index 150
    assert table["index"].to_dict() == pytest.approx({"council": 50, "none": 150})
    assert table.loc["council", "ci_low"] == table.loc["council", "ci_high"] == 1
    # within-group inequality is 0: Theil between = 0.5 * 0.5 ln 0.5 + 0.5 * 1.5 ln 1.5
    between = 0.25 * math.log(0.5) + 0.75 * math.log(1.5)
    assert res.decomposition.between == pytest.approx(between)
    assert res.between_share == pytest.approx(1.0)
    # lower is better: the index is inverted
    costs = obs.assign(**{INDICATOR_ID: "cost"})
    inverted = compare_management_models(
        costs, terr, cat, agg, "cost", weighted=False, n_boot=20
    )
    assert inverted.table.set_index("management_model")["index"].to_dict() == (
        pytest.approx({"council": 200, "none": 200 / 3})
    )


def test_compare_management_models_weighted_and_seeded(store):
    obs, terr, cat, agg = store
    res = compare_management_models(
        obs, terr, cat, agg, "rev", 2022, n_boot=200, random_state=3
    )
    again = compare_management_models(
        obs, terr, cat, agg, "rev", 2022, n_boot=200, random_state=3
    )
    pd.testing.assert_frame_equal(res.table, again.table)
    table = res.table.set_index("management_model")
    assert table.loc["council", "mean"] == pytest.approx(206.25)
    # B: (400 * 800 + 100 * 200) / 1000
    assert table.loc["none", "mean"] == pytest.approx(340)
    assert (table["ci_low"] <= table["mean"]).all()
    assert (table["mean"] <= table["ci_high"]).all()
    assert table["n_territories"].tolist() == [4, 2]
    assert 0 < res.between_share < 1


def test_inputs_are_not_mutated(store):
    obs, terr, cat, agg = store
    copies = [x.copy() for x in store]
    benchmark_gaps(obs, terr, cat)
    core_periphery_gap(obs, terr, cat)
    positive_deviants(obs, terr, cat, agg)
    for before, after in zip(copies, store, strict=True):
        pd.testing.assert_frame_equal(before, after)


@pytest.mark.parametrize("weighted", [True, False])
def test_vectorised_bootstrap_of_the_mean_matches_the_loop(weighted):
    """The management-model comparison draws all resamples at once: the same
    draws as indices.bootstrap_ci from the same seed, so the same interval up
    to the order of summation."""
    from analytics import gaps, indices

    rng = np.random.default_rng(11)
    for seed in range(40):
        n = int(rng.integers(2, 150))
        x = rng.lognormal(size=n) * 1000
        w = rng.integers(1, 10**6, size=n).astype(float) if weighted else None
        loop = indices.bootstrap_ci(
            gaps._weighted_average,
            x,
            weights=w,
            n_boot=299,
            random_state=seed,
            method="percentile",
        )
        fast = gaps._bootstrap_mean(x, w, n_boot=299, ci=0.95, random_state=seed)
        assert fast.estimate == loop.estimate
        assert fast.low == pytest.approx(loop.low, rel=1e-12)
        assert fast.high == pytest.approx(loop.high, rel=1e-12)
        assert fast.std_error == pytest.approx(loop.std_error, rel=1e-9)
