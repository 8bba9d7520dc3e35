"""What if: transfers, staff or a closed gap, and where a fixed budget goes.

Every territory :math:`i` of an agglomeration has a per-capita value
:math:`x_i` of one indicator (roubles per resident, doctors per 10,000
residents, ...) and a population :math:`P_i`. An addition of :math:`a_i`
units of the numerator (roubles, persons) raises its value to

.. math::

    x_i' = x_i + s \\, a_i / P_i

with :math:`s` the indicator's scale (1 for "per resident", 10,000 for "per
10,000 residents"; :func:`analytics.gaps.extensive_basis` reads it off the
catalog). :func:`apply` does this.

Splitting a fixed budget :math:`B` (:data:`SPLITS`):

* :func:`level_up` — water-filling: raise the lowest values to a common
  level :math:`L` and no one else,
  :math:`a_i = P_i \\max(0, L - x_i) / s` with :math:`\\sum_i a_i = B`. Among
  all splits with :math:`a_i \\ge 0` and :math:`\\sum a_i = B`, its result
  Lorenz-dominates every other (population-weighted), so it gives the
  lowest value of every relative inequality index that respects the Lorenz
  order — Gini, Theil, MLD, CV, Atkinson, Hoover — at once. (The tests
  check this against a brute-force search.)
* :func:`equal_per_capita` — the same roubles per resident everywhere,
  :math:`a_i = B P_i / \\sum_j P_j`;
* :func:`equal_per_territory` — the same sum to every territory,
  :math:`a_i = B / n`.

:func:`evaluate` turns values before and after into what a page shows:
each index of :data:`INDICES` from :mod:`analytics.indices` (the same
functions as everywhere else), population-weighted and not; ranks; gaps to
the median and to the core; the total shortfall to the median.
:func:`territory_scenario` is "if territory T receives X (roubles or staff),
or its gap to a benchmark closes by Z %"; :func:`compare_splits` sets the
three splits of a budget side by side.

Conventions: values must be finite and non-negative, populations finite and
positive (``ValueError`` naming the argument otherwise); the additions are
for indicators where more is better (direction +1); a gap to a benchmark
:math:`b` is :math:`d (b - x)`, positive when behind, as in
:mod:`analytics.gaps`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from analytics import indices

__all__ = [
    "INDICES",
    "SPLITS",
    "Evaluation",
    "apply",
    "compare_splits",
    "equal_per_capita",
    "equal_per_territory",
    "evaluate",
    "level_up",
    "territory_scenario",
]


def _atkinson_half(x, *, weights=None):
    return indices.atkinson(x, epsilon=0.5, weights=weights)


def _atkinson_one(x, *, weights=None):
    return indices.atkinson(x, epsilon=1.0, weights=weights)


#: Indices recomputed for a scenario: name → function of
#: ``(x, *, weights=None)`` from :mod:`analytics.indices`.
INDICES: dict[str, Callable[..., float]] = {
    "gini": indices.gini,
    "theil": indices.theil,
    "mld": indices.mld,
    "cv": indices.cv,
    "atkinson_0_5": _atkinson_half,
    "atkinson_1": _atkinson_one,
    "hoover": indices.hoover,
    "ratio_max_min": indices.ratio_max_min,
    "ratio_p90_p10": indices.ratio_p90_p10,
}


# ------------------------------------------------------------------ inputs


def _values(fn: str, values: ArrayLike) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    if len(x) == 0:
        raise ValueError(f"{fn}: values are empty")
    bad = ~np.isfinite(x)
    if bad.any():
        raise ValueError(f"{fn}: values must be finite; got {int(bad.sum())} missing")
    if (x < 0).any():
        raise ValueError(
            f"{fn}: values must be non-negative; got {int((x < 0).sum())} negative"
        )
    return x


def _population(fn: str, population: ArrayLike, n: int) -> np.ndarray:
    p = np.asarray(population, dtype=float).ravel()
    if len(p) != n:
        raise ValueError(f"{fn}: population has {len(p)} entries for {n} values")
    bad = ~(np.isfinite(p) & (p > 0))
    if bad.any():
        raise ValueError(
            f"{fn}: population must be finite and positive; got {int(bad.sum())} "
            "missing, zero or negative"
        )
    return p


def _budget(fn: str, budget: float) -> float:
    budget = float(budget)
    if not np.isfinite(budget) or budget < 0:
        raise ValueError(f"{fn}: budget must be finite and non-negative; got {budget}")
    return budget


# ------------------------------------------------------------------ splits


def level_up(
    values: ArrayLike, population: ArrayLike, budget: float, *, scale: float = 1.0
) -> np.ndarray:
    """Water-filling: the budget raises the lowest values to a common level.

    Returns the amount each territory receives (units of the numerator:
    roubles, persons), all :math:`\\ge 0`, summing to ``budget``.

    .. math::

        a_i = P_i \\max(0, L - x_i) / s, \\qquad \\sum_i a_i = B

    :math:`L` is found in :math:`O(n \\log n)`: sorted ascending, the first
    :math:`k` values reach :math:`x_{(k)}` at a cost of
    :math:`(x_{(k)} \\sum_{j \\le k} P_j - \\sum_{j \\le k} P_j x_j) / s`;
    the largest affordable :math:`k` then shares what is left.

    Examples
    --------
    Three districts of 1,000 residents at 100, 300 and 600 roubles per
    resident and 300,000 roubles: 200,000 lift the first to 300, the other
    100,000 lift the first two by 50 each, to 350.

    >>> level_up([100, 300, 600], [1000, 1000, 1000], 300_000)
    array([250000.,  50000.,      0.])
    >>> apply([100, 300, 600], [1000, 1000, 1000], _)
    array([350., 350., 600.])
    """
    fn = "level_up"
    x = _values(fn, values)
    p = _population(fn, population, len(x))
    budget = _budget(fn, budget)
    if budget == 0:
        return np.zeros(len(x))
    order = np.argsort(x, kind="stable")
    xs, ps = x[order], p[order]
    cum_p = np.cumsum(ps)
    cum_px = np.cumsum(ps * xs)
    cost = (xs * cum_p - cum_px) / scale  # to lift the first k to xs[k-1]
    k = int(np.searchsorted(cost, budget, side="right"))  # cost[k-1] <= budget
    level = (budget * scale + cum_px[k - 1]) / cum_p[k - 1]
    allocation = p * np.maximum(0.0, level - x) / scale
    # exact total despite rounding: the lifted territories share the residue
    lifted = allocation > 0
    allocation[lifted] += (budget - allocation.sum()) * p[lifted] / p[lifted].sum()
    return allocation


def equal_per_capita(
    values: ArrayLike, population: ArrayLike, budget: float, *, scale: float = 1.0
) -> np.ndarray:
    """The same addition per resident everywhere: :math:`a_i = B P_i / \\sum P`.

    >>> equal_per_capita([100, 300], [1000, 3000], 400)
    array([100., 300.])
    """
    fn = "equal_per_capita"
    x = _values(fn, values)
    p = _population(fn, population, len(x))
    return _budget(fn, budget) * p / p.sum()


def equal_per_territory(
    values: ArrayLike, population: ArrayLike, budget: float, *, scale: float = 1.0
) -> np.ndarray:
    """The same amount to every territory: :math:`a_i = B / n`.

    >>> equal_per_territory([100, 300], [1000, 3000], 400)
    array([200., 200.])
    """
    fn = "equal_per_territory"
    x = _values(fn, values)
    _population(fn, population, len(x))
    return np.full(len(x), _budget(fn, budget) / len(x))


#: The splits of a fixed budget compared on screen, in display order.
SPLITS: dict[str, Callable[..., np.ndarray]] = {
    "level_up": level_up,
    "equal_per_capita": equal_per_capita,
    "equal_per_territory": equal_per_territory,
}


def apply(
    values: ArrayLike,
    population: ArrayLike,
    allocation: ArrayLike,
    *,
    scale: float = 1.0,
) -> np.ndarray:
    """New per-capita values after ``allocation`` (units of the numerator):
    :math:`x_i + s\\,a_i / P_i`.

    >>> apply([10.0, 20.0], [1000, 2000], [5000, 0])
    array([15., 20.])
    >>> apply([3.0], [50_000], [5], scale=10_000)  # 5 doctors, per 10,000
    array([4.])
    """
    fn = "apply"
    x = _values(fn, values)
    p = _population(fn, population, len(x))
    a = np.asarray(allocation, dtype=float).ravel()
    if len(a) != len(x):
        raise ValueError(f"{fn}: allocation has {len(a)} entries for {len(x)} values")
    if not np.isfinite(a).all():
        raise ValueError(f"{fn}: allocation must be finite")
    return x + scale * a / p


# -------------------------------------------------------------- evaluation


def _index_values(x: np.ndarray, p: np.ndarray) -> dict[str, tuple[float, float]]:
    """Each index, (population-weighted, unweighted); NaN where the index's
    own rules refuse the values (a zero for MLD, say)."""
    out = {}
    for key, fn in INDICES.items():
        pair = []
        for weights in (p, None):
            try:
                pair.append(float(fn(x, weights=weights)))
            except ValueError:
                pair.append(float("nan"))
        out[key] = (pair[0], pair[1])
    return out


def _ranks(x: np.ndarray, direction: int) -> np.ndarray:
    """1 = best; ties share the best rank."""
    key = -x if direction >= 0 else x
    return pd.Series(key).rank(method="min").to_numpy(dtype=int)


def _core_value(x: np.ndarray, p: np.ndarray, core: np.ndarray) -> float:
    if not core.any():
        return float("nan")
    return float(np.average(x[core], weights=p[core]))


@dataclass(frozen=True)
class Evaluation:
    """Values before and after a change, and what they mean.

    ``table``: one row per territory (in input order): ``before``,
    ``after`` (unit of the indicator), ``added`` (units of the numerator),
    ``rank_before``, ``rank_after`` (1 = best), ``gap_median_before``,
    ``gap_median_after``, ``gap_core_before``, ``gap_core_after`` (unit of
    the indicator, positive = behind; the benchmarks are recomputed after
    the change). ``indices``: one row per index of :data:`INDICES`,
    columns ``weighted_before``, ``weighted_after``, ``unweighted_before``,
    ``unweighted_after``. ``median``, ``core``: benchmark values
    (before, after). ``shortfall``: the total shortfall to the median
    *before* the change (a fixed target: a change does not move what it is
    judged by), in units of the numerator, :math:`\\sum_i \\max(0,
    d\\,(m_0 - x_i)) P_i / s` (before, after): the gap left.
    """

    table: pd.DataFrame
    indices: pd.DataFrame
    median: tuple[float, float]
    core: tuple[float, float]
    shortfall: tuple[float, float]

    @property
    def closed_share(self) -> float:
        """Share of the shortfall to the median closed (NaN if none before)."""
        before, after = self.shortfall
        return float("nan") if before <= 0 else 1.0 - after / before


def evaluate(
    values: ArrayLike,
    population: ArrayLike,
    new_values: ArrayLike,
    *,
    core: ArrayLike | None = None,
    direction: int = 1,
    scale: float = 1.0,
) -> Evaluation:
    """Indices, ranks and gaps before and after a change of values.

    ``core``: a boolean mask of the core territories (the core benchmark is
    their population-weighted mean, as in :func:`analytics.gaps.benchmark_gaps`;
    the median is the unweighted median of all).

    >>> ev = evaluate([100, 300, 600], [1000] * 3, [350, 350, 600],
    ...               core=[False, False, True])
    >>> ev.table["rank_before"].tolist(), ev.table["rank_after"].tolist()
    ([3, 2, 1], [2, 2, 1])
    >>> ev.table["gap_median_after"].tolist(), ev.core
    ([0.0, 0.0, -250.0], (600.0, 600.0))
    >>> ev.shortfall, round(ev.closed_share, 3)
    ((200000.0, 0.0), 1.0)
    """
    fn = "evaluate"
    x0 = _values(fn, values)
    p = _population(fn, population, len(x0))
    x1 = _values(fn, new_values)
    if len(x1) != len(x0):
        raise ValueError(f"{fn}: new_values has {len(x1)} entries for {len(x0)}")
    core = np.zeros(len(x0), bool) if core is None else np.asarray(core, dtype=bool)
    d = 1 if direction >= 0 else -1
    medians = (float(np.median(x0)), float(np.median(x1)))
    cores = (_core_value(x0, p, core), _core_value(x1, p, core))
    gap = {}
    for when, x, median, core_value in (
        ("before", x0, medians[0], cores[0]),
        ("after", x1, medians[1], cores[1]),
    ):
        gap[f"gap_median_{when}"] = d * (median - x)
        gap[f"gap_core_{when}"] = d * (core_value - x)
    table = pd.DataFrame(
        {
            "before": x0,
            "after": x1,
            "added": (x1 - x0) * p / scale,
            "rank_before": _ranks(x0, d),
            "rank_after": _ranks(x1, d),
            **gap,
        }
    )
    # the gap left is measured against the median before the change: a change
    # does not move the target it is judged by
    shortfall = tuple(
        float((np.maximum(d * (medians[0] - x), 0) * p / scale).sum()) for x in (x0, x1)
    )
    before, after = _index_values(x0, p), _index_values(x1, p)
    frame = pd.DataFrame(
        {
            "weighted_before": [before[k][0] for k in INDICES],
            "weighted_after": [after[k][0] for k in INDICES],
            "unweighted_before": [before[k][1] for k in INDICES],
            "unweighted_after": [after[k][1] for k in INDICES],
        },
        index=pd.Index(list(INDICES), name="index"),
    )
    return Evaluation(
        table=table, indices=frame, median=medians, core=cores, shortfall=shortfall
    )


def territory_scenario(
    values: ArrayLike,
    population: ArrayLike,
    territory: int,
    *,
    amount: float | None = None,
    close_gap: float | None = None,
    benchmark: str = "median",
    core: ArrayLike | None = None,
    direction: int = 1,
    scale: float = 1.0,
) -> Evaluation:
    """ "If territory ``territory`` (a position) receives ``amount`` (units of
    the numerator: roubles, or staff in persons), or its gap to
    ``benchmark`` ("median" or "core") closes by ``close_gap`` (a share,
    0.25 = 25 %)" — exactly one of the two.

    Closing a gap moves the value towards the benchmark as it was before
    the change, :math:`x' = x + z\\,(b - x)`; a territory already at or past
    the benchmark is left as it is.

    >>> ev = territory_scenario([100, 300, 600], [1000] * 3, 0, close_gap=0.5)
    >>> ev.table["after"].tolist()
    [200.0, 300.0, 600.0]
    >>> ev = territory_scenario([100, 300, 600], [1000] * 3, 0, amount=50_000)
    >>> ev.table["after"].tolist(), ev.table["rank_after"].tolist()
    ([150.0, 300.0, 600.0], [3, 2, 1])
    """
    fn = "territory_scenario"
    x = _values(fn, values)
    p = _population(fn, population, len(x))
    if not 0 <= int(territory) < len(x):
        raise ValueError(f"{fn}: territory must be a position in 0..{len(x) - 1}")
    if (amount is None) == (close_gap is None):
        raise ValueError(f"{fn}: give exactly one of amount= or close_gap=")
    core_mask = np.zeros(len(x), bool) if core is None else np.asarray(core, bool)
    new = x.copy()
    if amount is not None:
        if not np.isfinite(amount) or amount < 0:
            raise ValueError(f"{fn}: amount must be non-negative; got {amount}")
        new[territory] += scale * float(amount) / p[territory]
    else:
        if not 0 <= close_gap <= 1:
            raise ValueError(
                f"{fn}: close_gap must be a share in 0..1; got {close_gap}"
            )
        if benchmark == "median":
            target = float(np.median(x))
        elif benchmark == "core":
            target = _core_value(x, p, core_mask)
            if not np.isfinite(target):
                raise ValueError(f"{fn}: benchmark 'core' needs a core territory")
        else:
            raise ValueError(f"{fn}: benchmark must be 'median' or 'core'")
        d = 1 if direction >= 0 else -1
        behind = d * (target - x[territory])
        if behind > 0:
            new[territory] += d * close_gap * behind
    return evaluate(x, p, new, core=core_mask, direction=direction, scale=scale)


def compare_splits(
    values: ArrayLike,
    population: ArrayLike,
    budget: float,
    *,
    core: ArrayLike | None = None,
    scale: float = 1.0,
    splits: Sequence[str] = tuple(SPLITS),
) -> pd.DataFrame:
    """The splits of ``budget`` side by side (indicators where more is
    better): one row per split with the allocation's indices after
    (``gini_weighted``, ``gini``, ... for every index of :data:`INDICES`),
    ``below_median`` (territories still below the median of the values
    before), ``shortfall`` (total shortfall to that median after, units of
    the numerator), ``min_after`` (the lowest value after), ``n_receiving``.
    A first row ``none`` is the state before.

    >>> table = compare_splits([100, 300, 600], [1000] * 3, 300_000)
    >>> table[["split", "below_median", "shortfall"]]
                     split  below_median  shortfall
    0                 none             1   200000.0
    1             level_up             0        0.0
    2     equal_per_capita             1   100000.0
    3  equal_per_territory             1   100000.0
    """
    fn = "compare_splits"
    x = _values(fn, values)
    p = _population(fn, population, len(x))
    budget = _budget(fn, budget)
    median = float(np.median(x))
    rows = []
    for name in ("none", *splits):
        if name == "none":
            allocation = np.zeros(len(x))
        else:
            allocation = SPLITS[name](x, p, budget, scale=scale)
        after = apply(x, p, allocation, scale=scale)
        row = {"split": name}
        for key, (weighted, unweighted) in _index_values(after, p).items():
            row[f"{key}_weighted"] = weighted
            row[key] = unweighted
        short = np.maximum(median - after, 0)
        row["below_median"] = int((short > 1e-9 * max(median, 1)).sum())
        row["shortfall"] = float((short * p / scale).sum())
        row["min_after"] = float(after.min())
        row["n_receiving"] = int((allocation > 0).sum())
        rows.append(row)
    return pd.DataFrame(rows)
