"""The grouped engine: every index for every group of a long table,
vectorised (:func:`summarize`), and the bootstrap of all groups at once
(:func:`bootstrap_summary`)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from analytics.indices._core import _plural
from analytics.indices.inference import check_bootstrap

#: Index columns of :func:`summarize`, in order.
INDEX_COLUMNS: tuple[str, ...] = (
    "gini",
    "theil",
    "mld",
    "cv",
    "atkinson_0_5",
    "atkinson_1",
    "atkinson_2",
    "hoover",
    "ratio_max_min",
    "ratio_p90_p10",
)


def _key_codes(column: pd.Series) -> tuple[np.ndarray, int]:
    """Codes of one key in its sorted order, missing last (holes allowed)."""
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        # category order, as groupby sorts; no hashing needed
        codes = column.cat.codes.to_numpy().astype(np.int64)
        size = len(dtype.categories)
        codes[codes < 0] = size
        return codes, size + 1
    if dtype.kind in "iub" and len(column):
        raw = column.to_numpy()
        low, high = int(raw.min()), int(raw.max())
        if high - low <= 4 * len(column) + 1_000_000:
            return raw.astype(np.int64) - low, high - low + 1
    codes, uniques = pd.factorize(column, sort=True, use_na_sentinel=False)
    return codes.astype(np.int64, copy=False), max(len(uniques), 1)


def _group_codes(df: pd.DataFrame, by: list[Hashable]) -> tuple[np.ndarray, int]:
    """Dense int64 group codes in the sorted order of the keys (missing last)."""
    code = np.zeros(len(df), dtype=np.int64)
    cardinality = 1
    for key in by:
        key_codes, size = _key_codes(df[key])
        if cardinality * size >= 2**62:  # re-densify before the code overflows
            uniq, code = np.unique(code, return_inverse=True)
            cardinality = len(uniq)
        code *= size
        code += key_codes
        cardinality *= size
    if cardinality <= 4 * len(df) + 1_000_000:
        present = np.flatnonzero(np.bincount(code, minlength=cardinality))
        lookup = np.empty(cardinality, dtype=np.int64)
        lookup[present] = np.arange(present.size)
        return lookup[code], present.size
    present, inverse = np.unique(code, return_inverse=True)
    return inverse.astype(np.int64), present.size


_SIGN = np.uint64(1 << 63)


def _sortable_bits(values: np.ndarray) -> tuple[np.ndarray, bool]:
    """uint64 keys ordered as the floats are (no NaN), and whether flipped."""
    bits = values.view(np.uint64)
    if not np.signbit(values).any():
        return bits, False  # non-negative floats already order as their bits
    return np.where(bits & _SIGN, ~bits, bits | _SIGN), True


def _floats_from_sortable(keys: np.ndarray, flipped: bool) -> np.ndarray:
    if not flipped:
        return keys.view(np.float64)
    return np.where(keys & _SIGN, keys ^ _SIGN, ~keys).view(np.float64)


def _sort_by_group_then_value(
    gid: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Order rows by group, then by value within the group; and sorted values.

    ``np.lexsort`` takes about 7 s on 11 M rows and two argsorts 4 s; most of
    that is random memory access. Here one ``np.sort`` (SIMD) of packed
    uint64 keys does the work: (group, value code, position), where the code
    is the value's sortable bits relative to its group's minimum, shifted so
    that the group's range fits the bits left over. The groups' minimum and
    maximum come from ``np.minimum.at`` / ``np.maximum.at`` in row order (no
    sort by group first). Rows whose codes tie are re-sorted exactly by value
    (usually a handful).
    """
    n = values.size
    if n == 0:
        return np.empty(0, dtype=np.intp), values[:0]
    idx_bits = max(int(n - 1).bit_length(), 1)
    n_groups = int(gid.max()) + 1
    gid_bits = max(int(n_groups - 1).bit_length(), 1)
    value_bits = 64 - gid_bits - idx_bits
    if value_bits < 8:
        order = np.lexsort((values, gid))
        return order, values[order]
    shift = np.uint64(idx_bits)
    low_mask = np.uint64((1 << idx_bits) - 1)

    bits, flipped = _sortable_bits(values)
    lowest = np.full(n_groups, np.iinfo(np.uint64).max, dtype=np.uint64)
    np.minimum.at(lowest, gid, bits)
    highest = np.zeros(n_groups, dtype=np.uint64)
    np.maximum.at(highest, gid, bits)
    span = np.where(highest >= lowest, highest - lowest, np.uint64(0))
    # bit length of span via the float exponent (rounding can only overestimate)
    span_bits = np.frexp(span.astype(np.float64))[1]
    code_shift = np.maximum(span_bits - value_bits, 0).astype(np.uint64)
    del highest, span, span_bits
    keys = bits - lowest[gid]
    keys >>= code_shift[gid]
    keys <<= shift
    keys |= gid.astype(np.int64, copy=False).view(np.uint64) << np.uint64(
        idx_bits + value_bits
    )
    keys |= np.arange(n, dtype=np.uint64)
    keys.sort()
    order = (keys & low_mask).view(np.int64)  # < 2**48: the view is exact
    keys >>= shift
    ordered = bits[order]  # the one random gather
    del bits
    tied = np.flatnonzero(keys[1:] == keys[:-1])
    # codes equal: the values may still differ in low bits (equal values,
    # zeros for instance, tie too and need nothing)
    inverted = tied[ordered[tied + 1] < ordered[tied]]
    if inverted.size:
        # every row of a run of equal codes that holds an inversion; keys
        # are sorted, so membership is a binary search (np.isin hashes)
        in_run = np.zeros(n, dtype=bool)
        in_run[tied] = True
        in_run[tied + 1] = True
        pairs = np.flatnonzero(in_run)
        del in_run
        run_of = keys[pairs]
        bad_runs = keys[inverted]  # sorted: drop repeats without hashing
        bad_runs = bad_runs[np.r_[True, bad_runs[1:] != bad_runs[:-1]]]
        at = np.minimum(np.searchsorted(bad_runs, run_of), bad_runs.size - 1)
        bad = bad_runs[at] == run_of
        rows = pairs[bad]
        fix = np.lexsort((ordered[rows], run_of[bad]))
        order[rows] = order[rows][fix]
        ordered[rows] = ordered[rows][fix]
    del keys
    return order, _floats_from_sortable(ordered, flipped)


def _grouped_indices_unweighted(
    values: np.ndarray, counts: np.ndarray
) -> dict[str, np.ndarray]:
    """:func:`_grouped_indices` with every weight 1, in fewer passes.

    With p_i = 1/n and r_i = x_i / mean: Theil = Σ r ln r / n, MLD =
    −Σ ln r / n, CV² = Σ (r − 1)² / n, Hoover = Σ |r − 1| / 2n, Atkinson(½)
    = 1 − (Σ √r / n)², Atkinson(2) = 1 − n / Σ 1/r, and with ranks i = 0 …
    n−1 in ascending order, Gini = Σ (2i + 1) r_i / n² − 1.
    """
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    ends = starts + counts - 1
    n = counts.astype(np.float64)

    def per_group(a: np.ndarray) -> np.ndarray:
        return np.add.reduceat(a, starts)

    def broadcast(a: np.ndarray) -> np.ndarray:
        return np.repeat(a, counts)

    out: dict[str, np.ndarray] = {}
    r, tmp, scratch = (
        np.empty_like(values),
        np.empty_like(values),
        np.empty_like(values),
    )
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mean = per_group(values) / n
        np.divide(values, broadcast(mean), out=r)
        tmp.fill(0.0)
        log_r = np.log(r, out=tmp, where=r > 0)
        out["theil"] = per_group(np.multiply(r, log_r, out=scratch)) / n
        out["mld"] = -per_group(log_r) / n
        deviation = np.subtract(r, 1.0, out=tmp)
        out["cv"] = np.sqrt(per_group(np.square(deviation, out=scratch)) / n)
        out["hoover"] = 0.5 * per_group(np.abs(deviation, out=scratch)) / n
        out["atkinson_0_5"] = 1.0 - (per_group(np.sqrt(r, out=tmp)) / n) ** 2
        out["atkinson_1"] = 1.0 - np.exp(-out["mld"])
        out["atkinson_2"] = 1.0 - n / per_group(np.divide(1.0, r, out=tmp))

        # rank + 1 within the group, as a float: the cumulative count
        rank1 = np.ones_like(values)
        rank1[starts[1:]] -= counts[:-1]
        np.cumsum(rank1, out=rank1)
        terms = np.multiply(rank1, 2.0, out=scratch)
        terms -= 1.0
        terms *= r
        out["gini"] = per_group(terms) / (n * n) - 1.0
        del r, scratch, terms
        cdf = np.divide(rank1, broadcast(n), out=rank1)

        below = np.empty(values.size, dtype=bool)

        def at_cdf(q: float) -> np.ndarray:
            np.less(cdf, q, out=below)
            return values[starts + np.add.reduceat(below, starts, dtype=np.int64)]

        smallest, largest = values[starts], values[ends]
        p10, p90 = at_cdf(0.1), at_cdf(0.9)
        out["ratio_max_min"] = np.where(smallest > 0, largest / smallest, np.nan)
        out["ratio_p90_p10"] = np.where(p10 > 0, p90 / p10, np.nan)

    undefined = (smallest < 0) | ~(mean > 0)
    not_positive = undefined | (smallest <= 0)
    for column, result in out.items():
        bad = not_positive if column == "mld" or column.startswith("atk") else undefined
        result[bad] = np.nan
    return out


def _grouped_indices(
    values: np.ndarray, w: np.ndarray, counts: np.ndarray
) -> dict[str, np.ndarray]:
    """Every index for consecutive groups of rows sorted by value within group.

    Every group has at least 2 rows. Where an index is undefined for a group
    the result is NaN, following the scalar functions' rules. Row-sized work
    goes through a few reused buffers to keep the peak memory down.
    """
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    ends = starts + counts - 1

    def per_group(a: np.ndarray) -> np.ndarray:
        return np.add.reduceat(a, starts)

    def broadcast(a: np.ndarray) -> np.ndarray:
        return np.repeat(a, counts)  # much faster than np.take with an index

    out: dict[str, np.ndarray] = {}
    tmp, scratch = np.empty_like(values), np.empty_like(values)
    p, r, share = np.empty_like(values), np.empty_like(values), np.empty_like(values)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        total_w = per_group(w)
        mean = per_group(np.multiply(w, values, out=tmp)) / total_w
        np.divide(w, broadcast(total_w), out=p)
        np.divide(values, broadcast(mean), out=r)
        np.multiply(p, r, out=share)  # p_i r_i, the share of the group total
        # log r is 0 where r <= 0: Theil T's 0 ln 0 = 0; MLD and Atkinson
        # are set to NaN below for groups with zeros or negatives
        tmp.fill(0.0)
        log_r = np.log(r, out=tmp, where=r > 0)
        out["theil"] = per_group(np.multiply(share, log_r, out=scratch))
        out["mld"] = -per_group(np.multiply(p, log_r, out=scratch))
        deviation = np.subtract(r, 1.0, out=tmp)
        p_deviation = np.multiply(p, deviation, out=scratch)
        out["cv"] = np.sqrt(per_group(np.multiply(p_deviation, deviation, out=tmp)))
        out["hoover"] = 0.5 * per_group(np.abs(p_deviation, out=scratch))
        root = np.sqrt(r, out=tmp)
        out["atkinson_0_5"] = 1.0 - per_group(np.multiply(p, root, out=tmp)) ** 2
        out["atkinson_1"] = 1.0 - np.exp(-out["mld"])
        out["atkinson_2"] = 1.0 - 1.0 / per_group(np.divide(p, r, out=tmp))
        del r

        cum = np.cumsum(w, out=tmp)
        before = np.zeros(starts.size)  # cumulated weight of earlier groups
        before[1:] = cum[starts[1:] - 1]
        group_cum = cum[ends] - before
        cum -= broadcast(before)
        cdf = np.divide(cum, broadcast(group_cum), out=tmp)
        gini_terms = np.multiply(cdf, 2.0, out=scratch)
        gini_terms -= p
        gini_terms *= share
        out["gini"] = per_group(gini_terms) - 1.0
        del p, share, scratch, gini_terms

        below = np.empty(values.size, dtype=bool)

        def at_cdf(compare: np.ufunc, q: float) -> np.ndarray:
            # first row of each group whose cumulative share passes q
            compare(cdf, q, out=below)
            return values[starts + np.add.reduceat(below, starts, dtype=np.int64)]

        smallest = at_cdf(np.less_equal, 0.0)  # first row of positive weight
        largest = at_cdf(np.less, 1.0)  # last row of positive weight
        p10, p90 = at_cdf(np.less, 0.1), at_cdf(np.less, 0.9)
        out["ratio_max_min"] = np.where(smallest > 0, largest / smallest, np.nan)
        out["ratio_p90_p10"] = np.where(p10 > 0, p90 / p10, np.nan)

    first = values[starts]  # the group's minimum, weight-0 rows included
    undefined = (first < 0) | ~(total_w > 0) | ~(mean > 0)
    not_positive = undefined | (first <= 0)
    for column, result in out.items():
        bad = not_positive if column == "mld" or column.startswith("atk") else undefined
        result[bad] = np.nan
    return out


def summarize(
    df: pd.DataFrame,
    *,
    value: Hashable,
    weight: Hashable | None = None,
    by: Hashable | Sequence[Hashable] = (),
) -> pd.DataFrame:
    """Every inequality index for every group of a long table, in one pass.

    For each group of rows sharing the ``by`` keys (e.g. indicator x year x
    agglomeration) the indices are computed over the group's rows
    (territories) exactly as the scalar functions would, with
    ``atkinson(epsilon=0.5 | 1 | 2)``:

    .. math::

        \\text{gini}_g, \\ \\text{theil}_g, \\ \\dots \\ = f\\bigl(
        \\{x_i, w_i : i \\in g\\}\\bigr)

    The work is vectorised over groups: one sort by (group, value), then
    group sums with ``np.add.reduceat`` and cumulative sums for the Gini and
    the weighted quantiles; there is no Python loop over groups.

    Rows whose value or weight is NaN are left out (``n`` counts the rest).
    Never raises for a group: where the scalar function would raise (fewer than
    2 values, zero total weight, a negative value, a zero mean; zeros for
    MLD and Atkinson; a zero minimum or 10th percentile for the ratios) the
    group gets NaN for that index only. Infinite values, and negative or
    infinite weights, are errors in the data and raise ``ValueError``.

    Parameters
    ----------
    df : pandas.DataFrame
        Long table, one row per territory and group; not modified.
    value : hashable
        Column of values (any unit).
    weight : hashable, optional
        Column of non-negative weights, e.g. population in persons. None:
        unweighted.
    by : hashable or sequence of hashable
        Grouping columns; empty for a single group of all rows. Missing keys
        (e.g. territories outside any agglomeration) form their own group,
        sorted last.

    Returns
    -------
    pandas.DataFrame
        One row per group, sorted by the keys: the ``by`` columns, ``n``, then
        :data:`INDEX_COLUMNS` (unitless) and ``weighted`` (bool).

    Examples
    --------
    >>> table = pd.DataFrame({"year": [2020, 2020, 2021, 2021, 2021],
    ...                       "revenue": [1.0, 3.0, 2.0, 2.0, 2.0]})
    >>> summarize(table, value="revenue", by="year")[["year", "n", "gini", "cv"]]
       year  n  gini   cv
    0  2020  2  0.25  0.5
    1  2021  3  0.00  0.0
    """
    keys = [by] if isinstance(by, str) or not isinstance(by, Sequence) else list(by)
    for column in [value, *keys] + ([] if weight is None else [weight]):
        if column not in df.columns:
            raise KeyError(f"summarize: no column {column!r} in the table")
    values = df[value].to_numpy(dtype=float, na_value=np.nan)
    n_inf = int(np.isinf(values).sum())
    if n_inf:
        raise ValueError(
            f"summarize: values must be finite; got "
            f"{_plural(n_inf, 'infinite value')} in {value!r}"
        )
    if weight is None:
        w = None
        valid = ~np.isnan(values)
    else:
        w = df[weight].to_numpy(dtype=float, na_value=np.nan)
        n_bad = int(np.isinf(w).sum() + (w < 0).sum())
        if n_bad:
            raise ValueError(
                f"summarize: weights must be finite and non-negative; got "
                f"{_plural(n_bad, 'bad weight')} in {weight!r}"
            )
        valid = ~(np.isnan(values) | np.isnan(w))

    gid, n_groups = _group_codes(df, keys)
    representative = np.zeros(n_groups, dtype=np.int64)
    representative[gid] = np.arange(len(df))  # any row of the group holds its keys
    n_valid = np.bincount(gid[valid], minlength=n_groups)

    keep = valid & (n_valid >= 2)[gid]
    values = values[keep]
    gid = gid[keep]
    order, values = _sort_by_group_then_value(gid, values)
    computed = np.flatnonzero(n_valid >= 2)
    if computed.size and w is None:
        results = _grouped_indices_unweighted(values, n_valid[computed])
    elif computed.size:
        results = _grouped_indices(values, w[keep][order], n_valid[computed])
    else:
        results = {column: np.empty(0) for column in INDEX_COLUMNS}

    out = df.iloc[representative][keys].reset_index(drop=True)
    out["n"] = n_valid.astype(np.int64)
    for column in INDEX_COLUMNS:
        full = np.full(n_groups, np.nan)
        full[computed] = results[column]
        out[column] = full
    out["weighted"] = weight is not None
    return out


def bootstrap_summary(
    df: pd.DataFrame,
    *,
    value: Hashable,
    weight: Hashable | None = None,
    by: Hashable | Sequence[Hashable] = (),
    n_boot: int = 499,
    ci: float = 0.95,
    random_state: int | np.random.Generator | None = 0,
    which: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every index with its bootstrap interval and leave-one-out range, for
    every group, vectorised.

    The studentized bootstrap of :func:`bootstrap_ci` (territories resampled
    with replacement within their group, each keeping its weight), computed
    by :func:`analytics.intervals.grouped_intervals` for all groups of one
    size at once. A resample where an index is undefined (e.g. a zero drawn
    for MLD) is left out of that index's interval. The bounds are NaN where
    the interval was not measured to cover at least 90 % (``reason`` says
    why); the leave-one-out range is given for every group.

    Parameters
    ----------
    df, value, weight, by
        As for :func:`summarize`.
    n_boot : int
        Resamples per group.
    ci : float
        Confidence level.
    random_state : int, Generator or None
        Seed.
    which : sequence of str, optional
        Indices to compute (names from :data:`INDEX_COLUMNS`); all by default.

    Returns
    -------
    pandas.DataFrame
        One row per group and index: the ``by`` columns, ``index``,
        ``estimate`` (on the data as given), ``low`` and ``high`` (bounds of
        the interval), ``n``, ``loo_low`` and ``loo_high`` (the index without
        one territory: smallest and largest), ``reliable`` (bool) and
        ``reason`` (a key of :data:`analytics.intervals.REASONS`, "" when
        reliable).

    Examples
    --------
    >>> table = pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0, 10.0]})
    >>> res = bootstrap_summary(table, value="v", n_boot=200).set_index("index")
    >>> round(float(res.loc["gini", "estimate"]), 2)
    0.4
    >>> res.loc["gini", ["loo_low", "loo_high"]].astype(float).round(3).tolist()
    [0.25, 0.438]
    """
    from analytics import intervals  # imports this module

    check_bootstrap("bootstrap_summary", n_boot, ci)
    keys = [by] if isinstance(by, str) or not isinstance(by, Sequence) else list(by)
    return intervals.grouped_intervals(
        df,
        value=value,
        weight=weight,
        by=keys,
        n_boot=n_boot,
        ci=ci,
        random_state=random_state,
        which=list(INDEX_COLUMNS) if which is None else list(which),
    )


def _row_quantiles(matrix: np.ndarray, quantiles: Sequence[float]) -> list[np.ndarray]:
    """``np.quantile`` (linear) of the finite values of each row, NaN for a
    row without any: what a loop of ``np.quantile`` calls gives, in one pass."""
    matrix = np.where(np.isfinite(matrix), matrix, np.nan)
    ordered = np.sort(matrix, axis=1)  # NaN last
    n = (~np.isnan(matrix)).sum(axis=1)
    rows = np.arange(len(matrix))
    out = []
    for q in quantiles:
        # numpy's linear method step by step, so that the rounding is the same
        virtual = (n - 1) * q
        previous = np.floor(virtual)
        gamma = virtual - previous
        last = np.maximum(n - 1, 0)
        lower = np.minimum(previous.astype(np.int64), last)
        upper = np.minimum(lower + 1, last)
        a, b = ordered[rows, lower], ordered[rows, upper]
        diff = b - a
        value = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
        out.append(np.where(n > 0, value, np.nan))
    return out
