"""Tests of analytics.indices: published values, closed forms, brute-force twins."""

from __future__ import annotations

import math
import subprocess
import sys
from functools import partial
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics import indices
from analytics.indices import (
    INDEX_COLUMNS,
    atkinson,
    bootstrap_ci,
    cv,
    gini,
    gini_decomposition,
    hoover,
    mld,
    mld_decomposition,
    permutation_test_between_share,
    ratio_max_min,
    ratio_p90_p10,
    summarize,
    theil,
    theil_decomposition,
)

ROOT = Path(__file__).resolve().parents[1]
MEXICO_DIR = ROOT.parent / "shared" / "data" / "pysal-mexico"
DECADES = list(range(1940, 2010, 10))

SCALARS = {
    "gini": gini,
    "theil": theil,
    "mld": mld,
    "cv": cv,
    "atkinson_0_5": partial(atkinson, epsilon=0.5),
    "atkinson_1": partial(atkinson, epsilon=1),
    "atkinson_2": partial(atkinson, epsilon=2),
    "hoover": hoover,
    "ratio_max_min": ratio_max_min,
    "ratio_p90_p10": ratio_p90_p10,
}
EQUALITY = {name: 1.0 if name.startswith("ratio") else 0.0 for name in SCALARS}


@pytest.fixture(scope="module")
def mexico() -> pd.DataFrame:
    if not MEXICO_DIR.is_dir():
        pytest.skip(f"PySAL's Mexico data not found at {MEXICO_DIR}")
    return pd.read_csv(MEXICO_DIR / "mexico.csv")


# --------------------------------------------------------------------------
# published values (pysal/inequality tests and docs; EXPECTED_VALUES.md)
# --------------------------------------------------------------------------

THEIL_PUBLISHED = [
    0.20894344, 0.15222451, 0.10472941, 0.10194725, 0.09560113, 0.10511256,
    0.10660832,
]
BETWEEN_PUBLISHED = [
    0.0345889, 0.02816853, 0.05260921, 0.05931219, 0.03205257, 0.02963731,
    0.03635872,
]
WITHIN_PUBLISHED = [
    0.17435454, 0.12405598, 0.0521202, 0.04263506, 0.06354856, 0.07547525,
    0.0702496,
]


def test_theil_by_decade_matches_published(mexico: pd.DataFrame) -> None:
    got = [theil(mexico[f"pcgdp{year}"]) for year in DECADES]
    np.testing.assert_allclose(got, THEIL_PUBLISHED, rtol=0, atol=1e-7)


def test_theil_decomposition_by_hanson98_matches_published(
    mexico: pd.DataFrame,
) -> None:
    parts = [
        theil_decomposition(mexico[f"pcgdp{year}"], mexico["hanson98"])
        for year in DECADES
    ]
    np.testing.assert_allclose(
        [d.between for d in parts], BETWEEN_PUBLISHED, rtol=0, atol=1e-7
    )
    np.testing.assert_allclose(
        [d.within for d in parts], WITHIN_PUBLISHED, rtol=0, atol=1e-7
    )
    np.testing.assert_allclose(
        [d.total for d in parts], THEIL_PUBLISHED, rtol=0, atol=1e-7
    )
    assert parts[0].between_share == pytest.approx(0.16554192687439245, abs=1e-7)
    assert list(parts[0].groups.index) == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_gini_matches_published(mexico: pd.DataFrame) -> None:
    assert gini(mexico["pcgdp1940"]) == pytest.approx(0.35372371173452849, abs=1e-7)
    assert gini(mexico["pcgdp2000"]) == pytest.approx(0.2581130824882791, abs=1e-7)
    recomputed = [0.353724, 0.296446, 0.253718, 0.255134, 0.245053, 0.251818,
                  0.258113]
    got = [gini(mexico[f"pcgdp{year}"]) for year in DECADES]
    np.testing.assert_allclose(got, recomputed, rtol=0, atol=5e-7)


def test_cv_matches_recomputed_values(mexico: pd.DataFrame) -> None:
    # not published upstream; recomputed independently in EXPECTED_VALUES.md
    expected = [0.708521, 0.614774, 0.484692, 0.464605, 0.45537, 0.48989, 0.484807]
    got = [cv(mexico[f"pcgdp{year}"]) for year in DECADES]
    np.testing.assert_allclose(got, expected, rtol=0, atol=5e-7)


def test_summarize_on_mexico_matches_published(mexico: pd.DataFrame) -> None:
    long = mexico.melt(
        id_vars=["State", "hanson98"],
        value_vars=[f"pcgdp{year}" for year in DECADES],
        var_name="year",
        value_name="pcgdp",
    )
    table = summarize(long, value="pcgdp", by="year")
    assert list(table["year"]) == [f"pcgdp{year}" for year in DECADES]
    np.testing.assert_allclose(table["theil"], THEIL_PUBLISHED, rtol=0, atol=1e-7)
    assert table["gini"].iloc[0] == pytest.approx(0.35372371173452849, abs=1e-7)
    assert (table["n"] == 32).all()


def test_permutation_test_on_mexico_agrees_with_pysal(mexico: pd.DataFrame) -> None:
    # TheilDSim p-values (RNG-dependent upstream): 1940 0.4, 1960 0.001, 1970 0.001
    p = {
        year: permutation_test_between_share(
            mexico[f"pcgdp{year}"], mexico["hanson98"], n_perm=999
        )
        for year in (1940, 1960, 1970)
    }
    assert p[1940].p_value > 0.2
    assert p[1960].p_value < 0.01
    assert p[1970].p_value < 0.01
    assert p[1940].observed == pytest.approx(0.16554192687439245, abs=1e-9)


# --------------------------------------------------------------------------
# closed forms and invariances
# --------------------------------------------------------------------------


def test_two_groups_zeros_and_tens_closed_form() -> None:
    y, regions = [0, 0, 0, 10, 10, 10], [0, 0, 0, 1, 1, 1]
    assert theil(y) == pytest.approx(math.log(2), abs=1e-12)
    d = theil_decomposition(y, regions)
    assert d.between == pytest.approx(math.log(2), abs=1e-12)
    assert d.within == pytest.approx(0.0, abs=1e-12)
    assert d.total == pytest.approx(math.log(2), abs=1e-12)
    assert d.between_share == pytest.approx(1.0)
    # the all-zero group: Theil inside it undefined, contribution zero
    assert math.isnan(d.groups.loc[0, "index"])
    assert d.groups.loc[0, "contribution"] == 0.0
    g = gini_decomposition(y, regions)
    assert (g.total, g.between, g.within, g.overlap) == pytest.approx(
        (0.5, 0.5, 0.0, 0.0)
    )
    with pytest.raises(ValueError, match="mld: values must be positive; got 3 zeros"):
        mld(y)
    with pytest.raises(ValueError, match="got 3 zeros"):
        mld_decomposition(y, regions)


def test_known_small_values() -> None:
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75)
    assert hoover([0, 0, 0, 10]) == pytest.approx(0.75)
    assert cv([1, 3]) == pytest.approx(0.5)
    assert mld([1, 2, 4]) == pytest.approx(math.log(7 / 3) - math.log(8) / 3)
    # Williamson index: sqrt(sum p (x - mu)^2) / mu with p = (0.75, 0.25)
    assert cv([1, 3], weights=[3, 1]) == pytest.approx(math.sqrt(0.75) / 1.5)
    # PySAL's atkinson doctest
    assert atkinson([10, 20, 30, 40, 50], epsilon=0.5) == pytest.approx(
        0.06315, abs=5e-6
    )
    assert atkinson([10, 20, 30, 40, 50], epsilon=1) == pytest.approx(
        0.13161, abs=5e-6
    )
    assert atkinson([1, 2, 3], epsilon=0) == pytest.approx(0.0)
    # epsilon = 2: one minus harmonic mean over mean
    assert atkinson([1, 3], epsilon=2) == pytest.approx(1 - 1.5 / 2)
    assert ratio_max_min([2, 5, 10]) == 5.0
    assert ratio_p90_p10(np.arange(1, 11)) == 9.0


@pytest.mark.parametrize("weighted", [False, True])
def test_p90_p10_is_numpys_inverted_cdf(weighted: bool) -> None:
    rng = np.random.default_rng(3)
    for n in (2, 3, 7, 10, 30, 101):
        x = rng.lognormal(size=n)
        w = rng.integers(1, 9, size=n).astype(float) if weighted else None
        expected = np.quantile(x, 0.9, weights=w, method="inverted_cdf") / np.quantile(
            x, 0.1, weights=w, method="inverted_cdf"
        )
        assert ratio_p90_p10(x, weights=w) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("name", list(SCALARS))
def test_equal_values_are_equality(name: str) -> None:
    fn = SCALARS[name]
    assert fn([7.5] * 6) == pytest.approx(EQUALITY[name], abs=1e-12)
    assert fn([7.5] * 6, weights=[1, 2, 3, 0, 5, 6]) == pytest.approx(
        EQUALITY[name], abs=1e-12
    )


positive_values = st.floats(min_value=0.01, max_value=1e4, allow_nan=False)
# dyadic weights (quarters) add up exactly, so cumulative shares tie exactly
dyadic_weights = st.integers(min_value=0, max_value=40).map(lambda k: k / 4)


@st.composite
def weighted_samples(draw: st.DrawFn, min_size: int = 2) -> tuple[list, list]:
    n = draw(st.integers(min_value=min_size, max_value=25))
    x = draw(st.lists(positive_values, min_size=n, max_size=n))
    w = draw(st.lists(dyadic_weights, min_size=n, max_size=n))
    if sum(w) == 0:
        w[0] = 1.0
    return x, w


@settings(max_examples=60, deadline=None)
@given(sample=weighted_samples(), scale=st.floats(min_value=1e-3, max_value=1e3))
def test_indices_are_scale_invariant(sample: tuple[list, list], scale: float) -> None:
    x, w = sample
    scaled = np.asarray(x) * scale
    for name, fn in SCALARS.items():
        assert fn(scaled, weights=w) == pytest.approx(
            fn(x, weights=w), rel=1e-9, abs=1e-12
        ), name
        # and invariant to the scale of the weights
        assert fn(x, weights=np.asarray(w) * 3.0) == pytest.approx(
            fn(x, weights=w), rel=1e-9, abs=1e-12
        ), name


@settings(max_examples=60, deadline=None)
@given(
    x=st.lists(positive_values, min_size=2, max_size=20),
    data=st.data(),
)
def test_duplicating_territories_equals_integer_weights(x: list, data) -> None:
    counts = data.draw(
        st.lists(st.integers(1, 3), min_size=len(x), max_size=len(x))
    )
    repeated = np.repeat(x, counts)
    for name, fn in SCALARS.items():
        assert fn(repeated) == pytest.approx(
            fn(x, weights=counts), rel=1e-9, abs=1e-12
        ), name
    # the case of the issue: every territory twice, weight 1 == once, weight 2
    for name, fn in SCALARS.items():
        assert fn(np.repeat(x, 2)) == pytest.approx(
            fn(x, weights=[2] * len(x)), rel=1e-9, abs=1e-12
        ), name


# --------------------------------------------------------------------------
# brute-force twins: the definitions, written plainly
# --------------------------------------------------------------------------


def brute_force(x: list[float], w: list[float]) -> dict[str, float]:
    n = len(x)
    total_w = sum(w)
    mean = sum(w[i] * x[i] for i in range(n)) / total_w
    pairs = 0.0
    for i in range(n):
        for j in range(n):
            pairs += w[i] * w[j] * abs(x[i] - x[j])
    out = {"gini": pairs / (2 * total_w**2 * mean)}
    t = m = var = ha = root = inv = logs = 0.0
    total_x = sum(w[i] * x[i] for i in range(n))
    for i in range(n):
        p = w[i] / total_w
        if x[i] > 0:
            t += p * (x[i] / mean) * math.log(x[i] / mean)
            m += p * math.log(mean / x[i])
            root += p * math.sqrt(x[i] / mean)
            inv += p * mean / x[i]
            logs += p * math.log(x[i])
        var += p * (x[i] - mean) ** 2
        ha += abs(w[i] * x[i] / total_x - p)
    out.update(
        theil=t,
        mld=m,
        cv=math.sqrt(var) / mean,
        atkinson_0_5=1 - root**2,
        atkinson_1=1 - math.exp(logs) / mean,  # geometric over arithmetic mean
        atkinson_2=1 - 1 / inv,  # harmonic over arithmetic mean
        hoover=ha / 2,
    )
    counted = [x[i] for i in range(n) if w[i] > 0]
    out["ratio_max_min"] = max(counted) / min(counted) if min(counted) else math.nan

    def quantile(q: float) -> float:
        # smallest value such that a share q of the weight is at or below it
        for v in sorted(counted):
            if sum(w[i] for i in range(n) if x[i] <= v) / total_w >= q:
                return v
        raise AssertionError("unreachable")

    out["ratio_p90_p10"] = quantile(0.9) / quantile(0.1) if quantile(0.1) else math.nan
    return out


@settings(max_examples=80, deadline=None)
@given(sample=weighted_samples())
def test_every_weighted_index_matches_its_brute_force_twin(
    sample: tuple[list, list],
) -> None:
    x, w = sample
    expected = brute_force(x, w)
    for name, fn in SCALARS.items():
        assert fn(x, weights=w) == pytest.approx(
            expected[name], rel=1e-9, abs=1e-12
        ), name
    unweighted = brute_force(x, [1.0] * len(x))
    for name, fn in SCALARS.items():
        assert fn(x) == pytest.approx(unweighted[name], rel=1e-9, abs=1e-12), name


@settings(max_examples=40, deadline=None)
@given(
    x=st.lists(
        st.one_of(st.just(0.0), positive_values), min_size=2, max_size=20
    ).filter(lambda v: sum(v) > 0),
)
def test_zero_tolerant_indices_match_brute_force_with_zeros(x: list) -> None:
    expected = brute_force(x, [1.0] * len(x))
    for name in ("gini", "theil", "cv", "hoover"):
        assert SCALARS[name](x) == pytest.approx(
            expected[name], rel=1e-9, abs=1e-12
        ), name


def test_indices_agree_with_pysal_inequality() -> None:
    from inequality.atkinson import atkinson as pysal_atkinson
    from inequality.gini import Gini
    from inequality.theil import Theil

    rng = np.random.default_rng(0)
    for n in (2, 5, 32, 100):
        y = rng.lognormal(10, 1, n)
        assert theil(y) == pytest.approx(Theil(y).T, rel=1e-12)
        assert gini(y) == pytest.approx(Gini(y).g, rel=1e-12)
        for eps in (0.5, 1, 2):
            assert atkinson(y, epsilon=eps) == pytest.approx(
                pysal_atkinson(y, eps), rel=1e-12
            )


# --------------------------------------------------------------------------
# input policy: zeros, negatives, NaN, weights
# --------------------------------------------------------------------------


def test_error_messages_name_the_problem_and_the_indicator() -> None:
    name = "budget_revenue_per_capita"
    with pytest.raises(
        ValueError, match=f"mld: values must be positive; got 3 zeros in '{name}'"
    ):
        mld([0, 0, 0, 1, 2], name=name)
    with pytest.raises(ValueError, match="atkinson: values must be positive; got 1 "
                       "negative value and 1 zero"):
        atkinson([-1, 0, 2], epsilon=0.5)
    with pytest.raises(ValueError, match="gini: values must be non-negative; got 2 "
                       "negative values"):
        gini([-1, -2, 5])
    with pytest.raises(ValueError, match="theil: got 2 NaN values in 'x'"):
        theil([1, np.nan, 2, np.nan], name="x")
    with pytest.raises(ValueError, match="cv: got 1 NaN weight"):
        cv([1, 2, 3], weights=[1, np.nan, 1])
    with pytest.raises(ValueError, match="got 2 weights for 3 values"):
        cv([1, 2, 3], weights=[1, 1])
    with pytest.raises(ValueError, match="weights must be non-negative; got 1 "):
        hoover([1, 2, 3], weights=[1, -1, 1])
    with pytest.raises(ValueError, match="weights must be finite"):
        hoover([1, 2, 3], weights=[1, np.inf, 1])
    with pytest.raises(ValueError, match="weights must have a positive sum"):
        gini([1, 2, 3], weights=[0, 0, 0])
    with pytest.raises(ValueError, match="needs at least 2 values; got 1"):
        gini([1.0])
    with pytest.raises(ValueError, match="values must be finite; got 1 infinite"):
        gini([1.0, np.inf])
    with pytest.raises(ValueError, match="weighted mean is zero"):
        theil([0, 0, 0])
    with pytest.raises(ValueError, match="weighted mean is zero"):
        gini([0, 5], weights=[1, 0])
    with pytest.raises(ValueError, match="the smallest value is zero"):
        ratio_max_min([0, 1, 2])
    with pytest.raises(ValueError, match="the 10th percentile is zero"):
        ratio_p90_p10([0, 1, 2])
    with pytest.raises(ValueError, match="epsilon must be finite and >= 0"):
        atkinson([1, 2], epsilon=-1)
    with pytest.raises(ValueError, match="one-dimensional"):
        gini([[1, 2], [3, 4]])


def test_zeros_policy_per_index() -> None:
    x = [0.0, 1.0, 2.0, 3.0]
    for name in ("gini", "theil", "cv", "hoover"):
        assert np.isfinite(SCALARS[name](x))
    for name in ("mld", "atkinson_0_5", "atkinson_1", "atkinson_2"):
        with pytest.raises(ValueError, match="got 1 zero"):
            SCALARS[name](x)
    # a zero that is not the minimum of the counted territories is fine
    assert ratio_max_min(x, weights=[0, 1, 1, 1]) == 3.0
    # 0..19: 10 % of territories are at or below 1, 90 % at or below 17
    assert ratio_p90_p10(list(range(0, 20))) == 17.0


def test_dropna_drops_territories_with_a_missing_value_or_weight() -> None:
    x = [1.0, np.nan, 3.0, 4.0, 10.0]
    w = [1.0, 2.0, np.nan, 1.0, 1.0]
    for name, fn in SCALARS.items():
        assert fn(x, weights=w, dropna=True) == pytest.approx(
            fn([1.0, 4.0, 10.0], weights=[1.0, 1.0, 1.0])
        ), name


def test_arguments_are_not_mutated() -> None:
    x = np.array([3.0, 1.0, 2.0, np.nan])
    w = np.array([1.0, 2.0, 3.0, 4.0])
    x0, w0 = x.copy(), w.copy()
    for fn in SCALARS.values():
        fn(x, weights=w, dropna=True)
    theil_decomposition(x, ["a", "b", "a", "b"], weights=w, dropna=True)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)


def test_zero_weight_territories_take_no_part() -> None:
    x, w = [1.0, 2.0, 50.0, 4.0], [1.0, 1.0, 0.0, 1.0]
    for name, fn in SCALARS.items():
        assert fn(x, weights=w) == pytest.approx(fn([1.0, 2.0, 4.0])), name


# --------------------------------------------------------------------------
# decompositions
# --------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(sample=weighted_samples(min_size=3), data=st.data())
def test_decompositions_add_up_and_match_group_indices(
    sample: tuple[list, list], data
) -> None:
    x, w = sample
    labels = data.draw(
        st.lists(st.sampled_from("abc"), min_size=len(x), max_size=len(x))
    )
    x, w, labels = np.asarray(x), np.asarray(w), np.asarray(labels)
    for decompose, fn in (
        (theil_decomposition, theil),
        (mld_decomposition, mld),
        (gini_decomposition, gini),
    ):
        d = decompose(x, labels, weights=w)
        assert d.total == pytest.approx(fn(x, weights=w), rel=1e-9, abs=1e-12)
        assert d.between + d.within + d.overlap == pytest.approx(
            d.total, rel=1e-9, abs=1e-12
        )
        assert d.groups["contribution"].sum() == pytest.approx(d.within, abs=1e-12)
        assert d.groups["n"].sum() == len(x)
        assert d.groups["weight_share"].sum() == pytest.approx(1.0)
        assert d.groups["value_share"].sum() == pytest.approx(1.0)
        for label, row in d.groups.iterrows():
            members = labels == label
            if (w[members] > 0).sum() >= 2:
                assert row["index"] == pytest.approx(
                    fn(x[members], weights=w[members]), rel=1e-9, abs=1e-12
                )
        if d.index != "gini":
            assert d.overlap == 0.0


@settings(max_examples=40, deadline=None)
@given(sample=weighted_samples(min_size=3), data=st.data())
def test_gini_decomposition_matches_pairwise_definition(
    sample: tuple[list, list], data
) -> None:
    x, w = sample
    labels = data.draw(
        st.lists(st.sampled_from("ab"), min_size=len(x), max_size=len(x))
    )
    n, total_w = len(x), sum(w)
    mean = sum(wi * xi for wi, xi in zip(w, x, strict=True)) / total_w
    same = across = 0.0
    for i, j in product(range(n), range(n)):
        term = w[i] * w[j] * abs(x[i] - x[j]) / (2 * total_w**2 * mean)
        if labels[i] == labels[j]:
            same += term
        else:
            across += term
    d = gini_decomposition(x, labels, weights=w)
    assert d.within == pytest.approx(same, rel=1e-9, abs=1e-12)
    assert d.between + d.overlap == pytest.approx(across, rel=1e-9, abs=1e-12)
    assert d.overlap >= -1e-12
    # between: every territory given its group's mean
    means = {g: row["mean"] for g, row in d.groups.iterrows()}
    counted = [i for i in range(n) if w[i] > 0]  # a group may weigh nothing
    between = (
        gini([means[labels[i]] for i in counted], weights=[w[i] for i in counted])
        if len(counted) >= 2
        else 0.0
    )
    assert d.between == pytest.approx(between, rel=1e-9, abs=1e-12)


def test_gini_overlap_is_zero_for_separated_groups() -> None:
    d = gini_decomposition(
        [1, 2, 3, 10, 11, 12], list("aaabbb"), weights=[1, 2, 3, 1, 2, 3]
    )
    assert d.overlap == pytest.approx(0.0, abs=1e-12)
    assert d.between > 0 and d.within > 0


def test_mld_decomposition_closed_form() -> None:
    d = mld_decomposition([1, 1, 4, 4], ["ring", "ring", "core", "core"])
    assert d.between == pytest.approx(math.log(2.5) - math.log(2))  # ln(mu / gm)
    assert d.within == 0.0
    assert list(d.groups.index) == ["core", "ring"]
    assert d.groups.loc["core", "mean"] == 4.0


@pytest.mark.parametrize(
    "decompose", [theil_decomposition, mld_decomposition, gini_decomposition]
)
def test_a_group_of_zero_weight_contributes_nothing(decompose) -> None:
    d = decompose([1.0, 2.0, 3.0, 5.0], list("aabb"), weights=[1, 2, 0, 0])
    assert d.between == 0.0
    assert d.within == pytest.approx(d.total)
    assert d.groups.loc["b", "contribution"] == 0.0
    assert math.isnan(d.groups.loc["b", "mean"])


def test_decomposition_checks_group_labels() -> None:
    with pytest.raises(ValueError, match="got 3 labels for 4 values"):
        theil_decomposition([1, 2, 3, 4], [0, 0, 1])
    with pytest.raises(ValueError, match="1 missing group label"):
        theil_decomposition([1, 2, 3, 4], ["a", None, "b", "b"])
    d = theil_decomposition([1, 2, 3, 4], ["a", None, "b", "b"], dropna=True)
    assert d.total == pytest.approx(theil([1, 3, 4]))


# --------------------------------------------------------------------------
# summarize
# --------------------------------------------------------------------------


def random_long_table(seed: int, n: int = 2_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "indicator": pd.Categorical(rng.choice(["b_rev", "a_pop", "c_doc"], n)),
            "year": rng.integers(2019, 2023, n).astype(np.int16),
            "agglomeration": rng.choice(["kazan", "perm", "omsk", None], n),
            "value": rng.lognormal(3, 1, n),
            "population": rng.integers(0, 5_000, n).astype(float),
        }
    )
    df.loc[rng.random(n) < 0.05, "value"] = np.nan
    df.loc[rng.random(n) < 0.03, "value"] = 0.0
    df.loc[rng.random(n) < 0.01, "value"] = -1.0
    df.loc[rng.random(n) < 0.02, "population"] = np.nan
    # a few tiny groups: single territories and an all-NaN group
    extra = pd.DataFrame(
        {
            "indicator": pd.Categorical(["a_pop", "a_pop", "c_doc"]),
            "year": np.array([2030, 2031, 2031], dtype=np.int16),
            "agglomeration": ["kazan", "kazan", "kazan"],
            "value": [5.0, np.nan, 4.0],
            "population": [1.0, 1.0, 1.0],
        }
    )
    return pd.concat([df, extra], ignore_index=True)


def scalar_or_nan(fn, x: np.ndarray, w: np.ndarray | None) -> float:
    try:
        return fn(x, weights=w, dropna=True)
    except ValueError:
        return math.nan


@pytest.mark.parametrize("weight", [None, "population"])
def test_summarize_equals_scalar_functions_per_group(weight: str | None) -> None:
    df = random_long_table(seed=1)
    by = ["indicator", "year", "agglomeration"]
    table = summarize(df, value="value", weight=weight, by=by)
    assert list(table.columns) == [*by, "n", *INDEX_COLUMNS, "weighted"]
    assert (table["weighted"] == (weight is not None)).all()
    groups = list(df.groupby(by, observed=True, dropna=False, sort=True))
    assert len(groups) == len(table)
    for (key, group), (_, row) in zip(groups, table.iterrows(), strict=True):
        assert row["indicator"] == key[0] and row["year"] == key[1]
        assert row["agglomeration"] == key[2] or (
            pd.isna(row["agglomeration"]) and pd.isna(key[2])
        )
        x = group["value"].to_numpy()
        w = None if weight is None else group[weight].to_numpy()
        valid = ~np.isnan(x) if w is None else ~(np.isnan(x) | np.isnan(w))
        assert row["n"] == valid.sum()
        for name, fn in SCALARS.items():
            expected = scalar_or_nan(fn, x, w)
            if math.isnan(expected):
                assert math.isnan(row[name]), (key, name)
            else:
                assert row[name] == pytest.approx(expected, rel=1e-10, abs=1e-13), (
                    key,
                    name,
                )
    # the table exercises every branch: valid, NaN-only-for-some, all NaN
    assert table["gini"].notna().any() and table["gini"].isna().any()
    assert (table["mld"].isna() & table["theil"].notna()).any()
    assert (table["n"] == 0).any() and (table["n"] == 1).any()


def test_summarize_unweighted_path_equals_weights_of_one() -> None:
    # the unweighted fast path and the weighted path with every weight 1
    df = random_long_table(seed=3).assign(one=1.0)
    by = ["indicator", "year", "agglomeration"]
    plain = summarize(df, value="value", by=by)
    ones = summarize(df, value="value", weight="one", by=by)
    for name in INDEX_COLUMNS:
        np.testing.assert_allclose(plain[name], ones[name], rtol=1e-12, atol=1e-14)


def test_summarize_agrees_with_looping_pysal_on_unweighted_groups() -> None:
    from inequality.atkinson import atkinson as pysal_atkinson
    from inequality.gini import Gini
    from inequality.theil import Theil

    rng = np.random.default_rng(7)
    df = pd.DataFrame(
        {
            "g": rng.integers(0, 40, 1_500),
            "value": rng.lognormal(8, 0.7, 1_500),
        }
    )
    table = summarize(df, value="value", by="g").set_index("g")
    for key, group in df.groupby("g"):
        y = group["value"].to_numpy()
        assert table.loc[key, "theil"] == pytest.approx(Theil(y).T, rel=1e-10)
        assert table.loc[key, "gini"] == pytest.approx(Gini(y).g, rel=1e-10)
        assert table.loc[key, "atkinson_2"] == pytest.approx(
            pysal_atkinson(y, 2), rel=1e-10
        )


def test_summarize_keeps_missing_keys_and_does_not_mutate() -> None:
    df = pd.DataFrame(
        {
            "agglomeration": ["b", "b", None, None, "a", "a"],
            "value": [1.0, 3.0, 2.0, 2.0, 5.0, 5.0],
        }
    )
    before = df.copy()
    table = summarize(df, value="value", by=["agglomeration"])
    pd.testing.assert_frame_equal(df, before)
    assert list(table["agglomeration"].iloc[:2]) == ["a", "b"]
    assert pd.isna(table["agglomeration"].iloc[2])
    assert list(table["cv"]) == pytest.approx([0.0, 0.5, 0.0])
    whole = summarize(df, value="value")
    assert len(whole) == 1 and whole["n"].iloc[0] == 6
    assert whole["gini"].iloc[0] == pytest.approx(gini(df["value"]))


def test_summarize_edge_cases() -> None:
    empty = summarize(pd.DataFrame({"g": [], "v": []}), value="v", by="g")
    assert empty.empty and list(empty.columns)[:2] == ["g", "n"]
    all_nan = summarize(pd.DataFrame({"g": [1, 1], "v": [np.nan] * 2}), value="v",
                        by="g")
    assert all_nan["n"].tolist() == [0] and all_nan["gini"].isna().all()
    nullable = pd.DataFrame(
        {"g": ["a", "a", "a"], "v": pd.array([1.0, None, 3.0], dtype="Float64")}
    )
    table = summarize(nullable, value="v", by="g")
    assert table["n"].tolist() == [2]
    assert table["cv"].iloc[0] == pytest.approx(0.5)


def test_summarize_rejects_bad_data_but_not_undefined_groups() -> None:
    df = pd.DataFrame({"g": [1, 1, 2, 2], "v": [0.0, 0.0, -1.0, 2.0],
                       "w": [1.0, 1.0, 1.0, 1.0]})
    table = summarize(df, value="v", weight="w", by="g")
    assert table[list(INDEX_COLUMNS)].isna().all().all()
    with pytest.raises(ValueError, match="1 infinite value in 'v'"):
        summarize(df.assign(v=[1.0, np.inf, 1.0, 1.0]), value="v", by="g")
    with pytest.raises(ValueError, match="1 bad weight in 'w'"):
        summarize(df.assign(w=[1.0, -1.0, 1.0, 1.0]), value="v", weight="w", by="g")
    with pytest.raises(KeyError, match="no column 'missing'"):
        summarize(df, value="missing", by="g")


@pytest.mark.parametrize("n_groups", [1, 30, 4_000])
def test_group_then_value_sort_is_exact(n_groups: int) -> None:
    # values equal in their leading bits, exact ties, zeros of both signs,
    # negatives and a wide range: every path of the packed-key sort
    rng = np.random.default_rng(n_groups)
    n = 20_000
    values = 1.0 + rng.integers(0, 50, n) * np.finfo(float).eps
    values[rng.random(n) < 0.2] *= -1.0
    values[rng.random(n) < 0.05] = 0.0
    values[rng.random(n) < 0.05] = -0.0
    wide = rng.random(n) < 0.3
    values[wide] = rng.lognormal(0, 5, wide.sum())
    gid = rng.integers(0, n_groups, n)
    order, sorted_values = indices._sort_by_group_then_value(gid, values)
    expected = np.lexsort((values, gid))
    np.testing.assert_array_equal(gid[order], gid[expected])
    np.testing.assert_array_equal(values[order], values[expected])
    np.testing.assert_array_equal(sorted_values, values[order])
    assert np.array_equal(np.sort(order), np.arange(n))


# --------------------------------------------------------------------------
# bootstrap and permutation test
# --------------------------------------------------------------------------


def test_bootstrap_ci_is_seeded_and_brackets_the_estimate() -> None:
    rng = np.random.default_rng(2)
    x, w = rng.lognormal(size=40), rng.integers(1, 100, 40)
    a = bootstrap_ci(gini, x, weights=w, n_boot=200, random_state=4)
    b = bootstrap_ci(gini, x, weights=w, n_boot=200, random_state=4)
    c = bootstrap_ci(gini, x, weights=w, n_boot=200, random_state=5)
    assert a == b and a != c
    assert a.reliable and a.method == "studentized"
    assert a.low < a.estimate < a.high <= 1
    assert a.estimate == gini(x, weights=w)
    assert a.std_error > 0 and a.n_boot == 200 and a.ci == 0.95
    narrow = bootstrap_ci(gini, x, weights=w, n_boot=200, ci=0.5, random_state=4)
    assert a.low <= narrow.low <= narrow.high <= a.high
    old = bootstrap_ci(theil, x, weights=w, n_boot=200, method="percentile")
    assert old.low < old.estimate < old.high and not old.reliable


def test_bootstrap_resamples_territories_with_their_weights() -> None:
    x = np.arange(1.0, 11.0)

    def pairs_kept(v: np.ndarray, weights: np.ndarray) -> float:
        return float(np.array_equal(v, weights))

    res = bootstrap_ci(pairs_kept, x, weights=x, n_boot=50, method="percentile")
    assert (res.estimate, res.low, res.high) == (1.0, 1.0, 1.0)
    res = bootstrap_ci(pairs_kept, x, weights=x, n_boot=50)
    assert (res.loo_low, res.loo_high) == (1.0, 1.0)
    flat = bootstrap_ci(
        partial(atkinson, epsilon=2), [3.0] * 5, n_boot=20, method="percentile"
    )
    assert (flat.estimate, flat.low, flat.high) == pytest.approx((0.0, 0.0, 0.0))
    flat = bootstrap_ci(partial(atkinson, epsilon=2), [3.0] * 5, n_boot=20)
    assert math.isnan(flat.low) and (flat.loo_low, flat.loo_high) == (0.0, 0.0)
    with pytest.raises(ValueError, match="ci must be strictly between 0 and 1"):
        bootstrap_ci(gini, x, ci=1.0)
    with pytest.raises(ValueError, match="theil: got 1 NaN value"):
        bootstrap_ci(theil, [1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match="method must be"):
        bootstrap_ci(gini, x, method="bca")


@pytest.mark.parametrize("index", ["theil", "mld", "gini"])
def test_permutation_test_observed_share_and_p_value(index: str) -> None:
    rng = np.random.default_rng(11)
    x = np.r_[rng.lognormal(0, 0.3, 20), rng.lognormal(1.5, 0.3, 20)]
    w = rng.integers(1, 50, 40)
    labels = np.repeat(["periphery", "core"], 20)
    decompose = {"theil": theil_decomposition, "mld": mld_decomposition,
                 "gini": gini_decomposition}[index]
    res = permutation_test_between_share(
        x, labels, weights=w, n_perm=199, index=index
    )
    assert res.observed == pytest.approx(
        decompose(x, labels, weights=w).between_share, rel=1e-12
    )
    assert res.p_value == pytest.approx(1 / 200)  # clearly separated groups
    shuffled = rng.permutation(labels)
    null = permutation_test_between_share(
        x, shuffled, weights=w, n_perm=199, index=index, random_state=3
    )
    assert null.p_value > 0.01
    again = permutation_test_between_share(
        x, shuffled, weights=w, n_perm=199, index=index, random_state=3
    )
    assert again == null


def test_permutation_p_value_approaches_the_exact_one() -> None:
    # 70 ways to split 8 territories 4/4; exactly 2 are at least as separated
    x = [1, 2, 3, 4, 11, 12, 13, 14]
    res = permutation_test_between_share(x, list("aaaabbbb"), n_perm=4_000)
    assert res.p_value == pytest.approx(2 / 70, abs=0.01)


def test_library_does_not_import_streamlit() -> None:
    code = (
        "import sys, analytics.indices, analytics.convergence; "
        "assert 'streamlit' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
