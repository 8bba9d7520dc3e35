"""Coverage of the inequality indices' intervals, by simulation.

Territories are drawn from a superpopulation: values lognormal with sigma 0.5
or 1 (the true index is known in closed form), populations lognormal with
sigma 1, independent of the values (the spread of log population within the
52 official agglomerations is 1.1 in the median, and Kish's effective size is
0.38 n there against exp(-1) = 0.37 n here; with independent weights the
population-weighted index has the same true value). For every case (n,
sigma, weighted) ``--reps`` samples are drawn and, for each index, the
percentile bootstrap (what the app showed before) and the studentized
bootstrap of :mod:`analytics.intervals` are computed from the same resamples;
the table gives how often each covers the true value.

``--table`` prints :data:`analytics.intervals.RELIABLE_FROM` as measured: per
index and weighting, the smallest n from which every simulated case covered
at least 90 %.

Run ``.venv/bin/python bench/bench_intervals.py`` (``--help`` for the sizes);
results are recorded by hand in BENCHMARKS.md, section "Interval coverage".
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import norm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics import intervals  # noqa: E402

Z90 = float(norm.ppf(0.9))


def truth(index: str, sigma: float) -> float:
    """The index of a lognormal(0, sigma) distribution."""
    s2 = sigma * sigma
    return {
        "gini": 2 * norm.cdf(sigma / math.sqrt(2)) - 1,
        "theil": s2 / 2,
        "mld": s2 / 2,
        "cv": math.sqrt(math.expm1(s2)),
        "atkinson_0_5": -math.expm1(-s2 / 4),
        "atkinson_1": -math.expm1(-s2 / 2),
        "atkinson_2": -math.expm1(-s2),
        "hoover": 2 * norm.cdf(sigma / 2) - 1,
        "ratio_p90_p10": math.exp(2 * Z90 * sigma),
    }[index]


INDICES = (
    "gini",
    "theil",
    "mld",
    "cv",
    "atkinson_0_5",
    "atkinson_1",
    "atkinson_2",
    "hoover",
    "ratio_p90_p10",
)


#: The methods measured: name -> options of intervals.interval_from
METHODS = {
    "t_equal_identity": {
        "scale": "identity",
        "symmetric": False,
        "bias_correct": False,
    },
    "t_equal_logit": {"scale": "logit", "symmetric": False, "bias_correct": False},
    "t_sym_log": {"scale": "log", "symmetric": True, "bias_correct": False},
    "t_sym_bc_log": {"scale": "log", "symmetric": True, "bias_correct": True},
}
CHOSEN = "t_sym_bc_log"


def coverage(
    n: int, sigma: float, weighted: bool, reps: int, n_boot: int, seed: int
) -> dict[str, dict[str, float]]:
    rng = np.random.default_rng([seed, n, int(sigma * 10), int(weighted)])
    x = rng.lognormal(0.0, sigma, (reps, n))
    w = rng.lognormal(0.0, 1.0, (reps, n)) if weighted else np.ones((reps, n))
    draws = rng.integers(0, n, (reps, n_boot, n))
    chunk = max(1, 2_000_000 // (n_boot * n * n))
    out: dict[str, dict[str, float]] = {}
    for index in INDICES:
        fn = functools.partial(intervals.index_rows, index)
        true = truth(index, sigma)
        hits = dict.fromkeys(["percentile", *METHODS], 0)
        for start in range(0, reps, chunk):
            sl = slice(start, start + chunk)
            pieces = intervals.bootstrap_pieces(fn, x[sl], w[sl], draws[sl])
            with np.errstate(all="ignore"):
                low, high = np.nanquantile(pieces[2], [0.025, 0.975], axis=-1)
            hits["percentile"] += int(((low <= true) & (true <= high)).sum())
            for name, options in METHODS.items():
                res = intervals.interval_from(pieces, ci=0.95, **options)
                hits[name] += int(((res.low <= true) & (true <= res.high)).sum())
        out[index] = {name: hit / reps for name, hit in hits.items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--n-boot", type=int, default=299)
    parser.add_argument("--sizes", default="5,7,10,15,20,30")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--weighted", choices=["both", "yes", "no"], default="both")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {}
    print(f"reps {args.reps}, {args.n_boot} resamples; coverage of '95 %' intervals")
    names = ["percentile", *METHODS]
    print("index          weighted  n  sigma  " + "  ".join(names))
    weightings = {"both": (False, True), "yes": (True,), "no": (False,)}
    for weighted in weightings[args.weighted]:
        for n in sizes:
            for sigma in (0.5, 1.0):
                started = time.perf_counter()
                res = coverage(n, sigma, weighted, args.reps, args.n_boot, args.seed)
                results[(weighted, n, sigma)] = res
                for index, row in res.items():
                    cells = "  ".join(f"{row[m]:.3f}".rjust(len(m)) for m in names)
                    print(f"{index:14s} {weighted!s:8s} {n:2d}  {sigma:.1f}  {cells}")
                print(f"  ({time.perf_counter() - started:.1f} s)", flush=True)
    print("\nRELIABLE_FROM = {")
    for index in INDICES:
        for weighted in weightings[args.weighted]:
            ok = [
                n
                for n in sizes
                if all(
                    results[(weighted, m, s)][index][CHOSEN] >= 0.90
                    for m in sizes
                    if m >= n
                    for s in (0.5, 1.0)
                )
            ]
            if ok:
                print(f"    ({index!r}, {weighted}): {min(ok)},")
    print("}")


if __name__ == "__main__":
    main()
