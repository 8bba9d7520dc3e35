"""Benchmark: ``analytics.indices.summarize`` on a national-scale long table.

2,500 territories x 300 indicators x 15 years (11.25 M values), grouped by
indicator x year x agglomeration (50 agglomerations plus the territories
outside any, which form one more group), weighted by population. Compared
with looping PySAL's ``inequality`` classes (``Theil`` and ``Gini``) over the
same groups, timed on a random sample of groups and extrapolated.

Run ``.venv/bin/python bench/bench_indices.py`` (``--help`` for the sizes);
results are recorded by hand in BENCHMARKS.md, section "Inequality indices".
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.indices import summarize  # noqa: E402

BY = ["indicator_id", "year", "agglomeration_id"]


def make_long_table(
    *,
    n_territories: int = 2_500,
    n_indicators: int = 300,
    n_years: int = 15,
    n_agglomerations: int = 50,
    seed: int = 0,
) -> pd.DataFrame:
    """A synthetic observations table joined with territories' agglomeration.

    Columns as in the store (categorical ids, int16 year, float64 value) plus
    ``agglomeration_id`` (missing for the ~40 % of territories outside any)
    and ``population`` (persons). About 1 % of values are missing and 0.5 %
    are zero, so the NaN and zero paths are exercised.
    """
    rng = np.random.default_rng(seed)
    agglomeration = rng.integers(0, n_agglomerations, n_territories)
    agglomeration[rng.random(n_territories) < 0.4] = -1  # outside any
    population = np.round(rng.lognormal(9.5, 1.2, n_territories))
    # row order: indicator, year, territory (as the store is typically read)
    n_rows = n_territories * n_indicators * n_years
    territory = np.tile(
        np.arange(n_territories, dtype=np.int32), n_indicators * n_years
    )
    year_code = np.tile(
        np.repeat(np.arange(n_years, dtype=np.int16), n_territories), n_indicators
    )
    indicator = np.repeat(
        np.arange(n_indicators, dtype=np.int16), n_years * n_territories
    )
    value = rng.lognormal(10.0, 0.8, n_rows)
    value[rng.random(n_rows) < 0.005] = 0.0
    value[rng.random(n_rows) < 0.01] = np.nan
    growth = 1.0 + 0.002 * year_code
    return pd.DataFrame(
        {
            "territory_id": pd.Categorical.from_codes(
                territory, [f"{i:08d}" for i in range(n_territories)]
            ),
            "indicator_id": pd.Categorical.from_codes(
                indicator, [f"indicator_{i:03d}" for i in range(n_indicators)]
            ),
            "year": (2010 + year_code).astype(np.int16),
            "agglomeration_id": pd.Categorical.from_codes(
                agglomeration[territory],
                [f"agglomeration_{i:02d}" for i in range(n_agglomerations)],
            ),
            "value": value,
            "population": population[territory] * growth,
        }
    )


def time_summarize(df: pd.DataFrame, *, weight: str | None, repeat: int) -> list[float]:
    """Wall-clock seconds of ``summarize`` over ``BY``, ``repeat`` times."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        summarize(df, value="value", weight=weight, by=BY)
        times.append(time.perf_counter() - start)
    return times


def time_pysal_loop(
    df: pd.DataFrame, *, sample: int, seed: int = 0
) -> dict[str, float]:
    """Seconds of a PySAL loop over all groups, extrapolated from a sample.

    Two baselines, both calling ``Theil(y).T`` and ``Gini(y).g`` once per
    group of at least 2 values:

    * compute only: on arrays split beforehand (the split is not timed,
      which favours PySAL), for ``sample`` groups drawn at random (median
      of 3 passes);
    * groupby loop, what a user would write: ``for key, g in
      df.groupby(BY)`` and the two classes on ``g["value"].dropna()``. The
      set-up (pandas grouping all rows, up to the first group) is timed once;
      the per-group cost over the next ``sample`` groups is extrapolated.
    """
    from inequality.gini import Gini
    from inequality.theil import Theil

    valid = df[df["value"].notna()]
    codes = valid.groupby(BY, observed=True, dropna=False, sort=False).ngroup()
    n_groups = int(codes.max()) + 1
    rng = np.random.default_rng(seed)
    chosen = rng.choice(n_groups, size=min(sample, n_groups), replace=False)
    order = np.argsort(codes.to_numpy(), kind="stable")
    bounds = np.cumsum(np.bincount(codes.to_numpy(), minlength=n_groups))[:-1]
    arrays = np.split(valid["value"].to_numpy()[order], bounds)
    picked = [arrays[g] for g in chosen if arrays[g].size >= 2]
    del valid, codes, order, arrays
    passes = []
    for _ in range(3):
        start = time.perf_counter()
        for y in picked:
            Theil(y).T  # noqa: B018
            Gini(y).g  # noqa: B018
        passes.append((time.perf_counter() - start) / len(picked))
    compute = statistics.median(passes)

    start = time.perf_counter()
    groups = iter(df.groupby(BY, observed=True, dropna=False, sort=False))
    next(groups)
    setup = time.perf_counter() - start
    start = time.perf_counter()
    for seen, (_, group) in enumerate(groups, start=1):
        y = group["value"].dropna().to_numpy()
        if y.size >= 2:
            Theil(y).T  # noqa: B018
            Gini(y).g  # noqa: B018
        if seen == sample:
            break
    per_group = (time.perf_counter() - start) / seen
    return {
        "groups": float(n_groups),
        "compute_per_group_s": compute,
        "compute_s": compute * n_groups,
        "loop_setup_s": setup,
        "loop_per_group_s": per_group,
        "loop_s": setup + per_group * n_groups,
    }


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the benchmark, print a report and return its numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territories", type=int, default=2_500)
    parser.add_argument("--indicators", type=int, default=300)
    parser.add_argument("--years", type=int, default=15)
    parser.add_argument("--agglomerations", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5, help="runs of summarize")
    parser.add_argument("--sample", type=int, default=5_000, help="groups for PySAL")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    df = make_long_table(
        n_territories=args.territories,
        n_indicators=args.indicators,
        n_years=args.years,
        n_agglomerations=args.agglomerations,
    )
    built = time.perf_counter() - start
    table_mb = df.memory_usage(deep=True).sum() / 2**20
    rss_table = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    weighted = time_summarize(df, weight="population", repeat=args.repeat)
    unweighted = time_summarize(df, weight=None, repeat=args.repeat)
    rss_summarize = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()  # numpy reports its buffers to tracemalloc
    n_groups = len(summarize(df, value="value", weight="population", by=BY))
    summarize_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    pysal = time_pysal_loop(df, sample=args.sample)

    median_w = statistics.median(weighted)
    median_u = statistics.median(unweighted)
    numbers = {
        "rows": float(len(df)),
        "groups": float(n_groups),
        "summarize_weighted_s": median_w,
        "summarize_unweighted_s": median_u,
        "pysal_compute_s": pysal["compute_s"],
        "pysal_groupby_loop_s": pysal["loop_s"],
        "speedup_vs_pysal_compute": pysal["compute_s"] / median_u,
        "speedup_vs_pysal_groupby_loop": pysal["loop_s"] / median_u,
        "table_mb": table_mb,
        "peak_rss_table_mb": rss_table,
        "peak_rss_summarize_mb": rss_summarize,
        "summarize_peak_alloc_mb": summarize_peak_mb,
    }
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"pandas {pd.__version__}, {platform.machine()}")
    print(f"table: {len(df):,} rows ({table_mb:.0f} MB), built in {built:.1f} s; "
          f"{n_groups:,} groups (indicator x year x agglomeration)")
    print(f"summarize weighted:   median {median_w:.2f} s of "
          f"{[round(t, 2) for t in weighted]}")
    print(f"summarize unweighted: median {median_u:.2f} s of "
          f"{[round(t, 2) for t in unweighted]}")
    print(f"PySAL Theil+Gini, compute only: "
          f"{pysal['compute_per_group_s'] * 1e6:.1f} us/group x {n_groups:,} = "
          f"{pysal['compute_s']:.1f} s (random sample of {args.sample:,} groups)")
    print(f"PySAL Theil+Gini, pandas groupby loop: set-up "
          f"{pysal['loop_setup_s']:.1f} s + {pysal['loop_per_group_s'] * 1e6:.1f} "
          f"us/group x {n_groups:,} = {pysal['loop_s']:.1f} s "
          f"(per-group cost from {args.sample:,} groups)")
    print(f"speed-up of unweighted summarize (10 indices) over PySAL (2 indices): "
          f"{numbers['speedup_vs_pysal_compute']:.1f}x compute only, "
          f"{numbers['speedup_vs_pysal_groupby_loop']:.1f}x groupby loop")
    print(f"peak RSS (ru_maxrss): {rss_table:.0f} MB after building the table, "
          f"{rss_summarize:.0f} MB after the summarize runs; summarize itself "
          f"allocates at most {summarize_peak_mb:.0f} MB (tracemalloc, weighted)")
    return numbers


if __name__ == "__main__":
    main()
