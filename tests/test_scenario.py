"""analytics.scenario: water-filling against brute-force optimisers, closed
forms, and the same index functions as everywhere else."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from analytics import indices, scenario

# indices that respect the Lorenz order: level_up must minimise each one
LORENZ = ("gini", "theil", "mld", "cv", "atkinson_0_5", "atkinson_1", "hoover")


def _index(name: str, x, weights) -> float:
    return scenario.INDICES[name](x, weights=weights)


# ------------------------------------------------------------- closed forms


def test_level_up_closed_forms():
    # two equal districts, 100 and 300 per resident
    assert scenario.level_up([100, 300], [1, 1], 100).tolist() == [100.0, 0.0]
    # beyond the gap: both lifted to (budget + sum P x) / sum P = 400
    assert scenario.level_up([100, 300], [1, 1], 400).tolist() == [300.0, 100.0]
    # populations count: 2,000 residents at 50, 1,000 at 80; 90,000 roubles:
    # 60,000 lift the first to 80, the other 30,000 add 10 to all 3,000
    allocation = scenario.level_up([50, 80, 200], [2000, 1000, 500], 90_000)
    assert allocation == pytest.approx([80_000, 10_000, 0])
    after = scenario.apply([50, 80, 200], [2000, 1000, 500], allocation)
    assert after == pytest.approx([90, 90, 200])
    # a budget of zero gives nothing; a scale of 10,000 turns persons into
    # a rate per 10,000: 4 doctors for 20,000 residents = +2 per 10,000
    assert scenario.level_up([1, 2], [5, 5], 0).tolist() == [0.0, 0.0]
    staff = scenario.level_up([30, 40], [20_000, 10_000], 4, scale=10_000)
    assert staff == pytest.approx([4, 0])
    assert scenario.apply([30, 40], [20_000, 10_000], staff, scale=10_000) == (
        pytest.approx([32, 40])
    )


def test_level_up_refuses_bad_input():
    with pytest.raises(ValueError, match="level_up: values must be finite"):
        scenario.level_up([1, np.nan], [1, 1], 10)
    with pytest.raises(ValueError, match="population must be finite and positive"):
        scenario.level_up([1, 2], [1, 0], 10)
    with pytest.raises(ValueError, match="budget must be finite and non-negative"):
        scenario.level_up([1, 2], [1, 1], -5)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0, 1e5, allow_nan=False), st.floats(1, 1e6, allow_nan=False)
        ),
        min_size=1,
        max_size=30,
    ),
    st.floats(0, 1e9, allow_nan=False),
)
def test_level_up_contract(rows, budget):
    values = np.array([v for v, _ in rows])
    population = np.array([p for _, p in rows])
    allocation = scenario.level_up(values, population, budget)
    assert (allocation >= 0).all()
    assert allocation.sum() == pytest.approx(budget, rel=1e-9, abs=1e-6)
    after = scenario.apply(values, population, allocation)
    lifted = allocation > 0
    if lifted.any():
        level = after[lifted]
        # everyone lifted ends at one level, and no one left out is below it
        assert np.ptp(level) <= 1e-6 * max(1.0, level.max())
        assert (values[~lifted] >= level.min() - 1e-6 * max(1.0, level.min())).all()


# --------------------------------------------------------------- brute force


def _simplex_grid(n: int, steps: int):
    for cut in itertools.combinations(range(steps + n - 1), n - 1):
        parts = np.diff([-1, *cut, steps + n - 1]) - 1
        yield parts / steps


@pytest.mark.parametrize(
    ("values", "population", "budget"),
    [
        ([50.0, 120.0, 80.0], [1000.0, 3000.0, 2000.0], 100_000.0),
        ([5.0, 60.0, 70.0], [2000.0, 100.0, 9000.0], 400_000.0),
    ],
)
def test_level_up_beats_every_split_on_a_grid(values, population, budget):
    """Every split of the budget in steps of 1/40 (861 splits): none
    gives a lower population-weighted index of the Lorenz family, and the
    best split on the grid is within a grid step of level_up."""
    x, p = np.array(values), np.array(population)
    best = scenario.apply(x, p, scenario.level_up(x, p, budget))
    grid = np.array(list(_simplex_grid(3, 40))) * budget
    for name in LORENZ:
        ours = _index(name, best, p)
        trials = np.array([_index(name, scenario.apply(x, p, a), p) for a in grid])
        assert ours <= trials.min() + 1e-12
        if name in ("cv", "theil", "mld"):  # strictly Schur-convex: one optimum
            nearest = grid[trials.argmin()]
            assert np.abs(nearest - scenario.level_up(x, p, budget)).max() <= (
                budget / 40 + 1e-6
            )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_level_up_equals_a_numerical_optimum(seed):
    """scipy's SLSQP minimising the weighted CV over a_i >= 0, sum a = B
    from several starts lands on the water-filling allocation."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(10, 100, 5)
    p = rng.uniform(1000, 9000, 5)
    budget = float(rng.uniform(0.05, 0.6) * (p * (x.max() - x)).sum())
    target = scenario.level_up(x, p, budget)

    def objective(share):
        return indices.cv(x + budget * share / p, weights=p) ** 2

    found = []
    for start in rng.dirichlet(np.ones(5), 4):
        result = minimize(
            objective,
            start,
            method="SLSQP",
            bounds=[(0, 1)] * 5,
            constraints=[{"type": "eq", "fun": lambda s: s.sum() - 1}],
            options={"ftol": 1e-14, "maxiter": 500},
        )
        found.append(result.x * budget)
    for allocation in found:
        assert allocation == pytest.approx(target, abs=1e-3 * budget)


def test_random_splits_never_beat_level_up():
    rng = np.random.default_rng(7)
    x = rng.lognormal(3, 0.6, 12)
    p = rng.lognormal(9, 1, 12)
    budget = 0.3 * float((p * x).sum())
    best = scenario.apply(x, p, scenario.level_up(x, p, budget))
    for share in rng.dirichlet(np.ones(12) * 0.5, 100):
        other = scenario.apply(x, p, share * budget)
        for name in LORENZ:
            assert _index(name, best, p) <= _index(name, other, p) + 1e-12
            assert _index(name, best, None) <= _index(name, other, None) + 1e-12 or (
                name == "hoover"
            )


# ----------------------------------------------------------- evaluation


def test_evaluate_uses_the_index_functions():
    x = np.array([100.0, 300.0, 600.0, 250.0])
    p = np.array([1000.0, 5000.0, 20_000.0, 2000.0])
    after = np.array([180.0, 300.0, 600.0, 250.0])
    ev = scenario.evaluate(x, p, after, core=[False, False, True, False])
    assert ev.indices.loc["gini", "weighted_after"] == indices.gini(after, weights=p)
    assert ev.indices.loc["theil", "unweighted_before"] == indices.theil(x)
    assert ev.indices.loc["atkinson_1", "weighted_before"] == indices.atkinson(
        x, epsilon=1.0, weights=p
    )
    # median 275 before, 275 after (250, 300); core 600
    assert ev.median == (275.0, 275.0) and ev.core == (600.0, 600.0)
    assert ev.table["gap_median_before"].tolist() == [175.0, -25.0, -325.0, 25.0]
    assert ev.table["gap_core_after"].tolist() == [420.0, 300.0, 0.0, 350.0]
    assert ev.table["rank_after"].tolist() == [4, 2, 1, 3]
    assert ev.table["added"].tolist() == [80_000.0, 0.0, 0.0, 0.0]
    # shortfall to the median: 175*1000 + 25*2000 before; 95*1000 + 25*2000
    assert ev.shortfall == (225_000.0, 145_000.0)
    assert ev.closed_share == pytest.approx(80 / 225)


def test_territory_scenario_amount_staff_and_gap():
    x = [20.0, 35.0, 50.0]
    p = [50_000.0, 10_000.0, 40_000.0]
    # 5 doctors to a district of 50,000 at 20 per 10,000: +1 per 10,000
    ev = scenario.territory_scenario(x, p, 0, amount=5, scale=10_000)
    assert ev.table["after"].tolist() == [21.0, 35.0, 50.0]
    # closing 40 % of the gap to the core (50): 20 + 0.4 * 30 = 32
    ev = scenario.territory_scenario(
        x, p, 0, close_gap=0.4, benchmark="core", core=[False, False, True]
    )
    assert ev.table["after"].tolist() == pytest.approx([32.0, 35.0, 50.0])
    # lower is better: 50 is behind the median 35; closing half moves it to 42.5
    ev = scenario.territory_scenario(x, p, 2, close_gap=0.5, direction=-1)
    assert ev.table["after"].tolist() == [20.0, 35.0, 42.5]
    assert ev.table["rank_before"].tolist() == [1, 2, 3]
    # a territory ahead of the benchmark is left as it is
    ev = scenario.territory_scenario(x, p, 2, close_gap=1.0)
    assert ev.table["after"].tolist() == x
    with pytest.raises(ValueError, match="exactly one of amount= or close_gap="):
        scenario.territory_scenario(x, p, 0)


def test_compare_splits_level_up_first_on_every_lorenz_index():
    rng = np.random.default_rng(3)
    x = rng.lognormal(4, 0.5, 20)
    p = rng.lognormal(10, 1.2, 20)
    table = scenario.compare_splits(x, p, 0.1 * float((x * p).sum()))
    assert table["split"].tolist() == [
        "none",
        "level_up",
        "equal_per_capita",
        "equal_per_territory",
    ]
    rows = table.set_index("split")
    for name in LORENZ:
        column = f"{name}_weighted"
        assert rows.loc["level_up", column] == rows[column].min()
    # equal per resident adds a constant: a relative index falls, absolute gaps stay
    assert (
        rows.loc["equal_per_capita", "gini_weighted"]
        < rows.loc["none", "gini_weighted"]
    )
    assert rows.loc["level_up", "shortfall"] <= rows["shortfall"].min()
    assert rows.loc["none", "n_receiving"] == 0
    assert rows.loc["equal_per_territory", "n_receiving"] == 20
