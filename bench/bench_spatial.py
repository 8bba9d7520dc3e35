"""Benchmark: spatial structure, partners and scenarios on all municipalities.

The boundaries of all 2,594 current Russian municipalities (the simplified
SberIndex/OpenStreetMap file in ``../shared/data``, or ``--boundaries``),
with synthetic values (seeded: a lognormal with a west-east trend, so that
Moran's I is clearly positive) and populations. Each computation is timed
on its first call in the process and then ``--repeat`` times (median):

* reading the boundaries (``spatial.load_layer``);
* queen contiguity with the 0.001° tolerance, k nearest (k = 6);
* global Moran's I and local Moran (999 permutations) on both weights;
* partners: complementary pairs over every bordering pair, 6 indicators;
* scenario: ``level_up``, ``evaluate`` (9 indices × 2), ``compare_splits``.

With ``--esda``, PySAL esda's ``Moran`` and ``Moran_Local`` on the same
queen weights, once, for comparison (esda without numba, as installed here).

Run ``.venv/bin/python bench/bench_spatial.py``; results are recorded by hand
in BENCHMARKS.md, section "Spatial structure, partners and scenarios".
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics import partners, scenario, spatial  # noqa: E402

BOUNDARIES = (
    ROOT.parent
    / "shared/data/municipal-boundaries-sberindex"
    / "mo_boundaries_current_simplified.geojson"
)


def timed(label: str, fn, repeat: int, results: list) -> object:
    start = time.perf_counter()
    value = fn()
    first = time.perf_counter() - start
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    later = statistics.median(times) if times else float("nan")
    results.append((label, first, later))
    print(f"{label:<58} first {first:7.3f} s   then {later:7.3f} s", flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--boundaries", type=Path, default=BOUNDARIES)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--esda", action="store_true")
    args = parser.parse_args()
    print(platform.platform(), platform.python_version(), flush=True)
    results: list = []
    layer = timed(
        "load_layer (GeoJSON → shapely)",
        lambda: spatial.load_layer(args.boundaries),
        min(args.repeat, 2),
        results,
    )
    n = len(layer.territory_ids)
    rng = np.random.default_rng(0)
    trend = (layer.lon - layer.lon.mean()) / layer.lon.std()
    values = np.exp(3 + 0.4 * trend + rng.normal(0, 0.5, n))
    population = np.round(rng.lognormal(10, 1.2, n))
    print(f"{n} municipalities", flush=True)
    queen = timed(
        "queen contiguity (STRtree, 0.001°)", layer.neighbours, args.repeat, results
    )
    knn = timed(
        "k nearest, k = 6",
        lambda: spatial.knn(layer.lon, layer.lat, k=6),
        args.repeat,
        results,
    )
    edges = sum(len(v) for v in queen.values()) // 2
    print(f"queen: {edges} pairs, {sum(1 for v in queen.values() if not v)} islands")
    perms = args.permutations
    for name, w in (("queen", queen), ("knn", knn)):
        timed(
            f"moran, {perms} permutations, {name}",
            lambda w=w: spatial.moran(values, w, permutations=perms),
            args.repeat,
            results,
        )
        timed(
            f"local_moran, {perms} permutations, {name}",
            lambda w=w: spatial.local_moran(values, w, permutations=perms),
            args.repeat,
            results,
        )
    ids = list(layer.territory_ids)
    pairs = partners.neighbour_pairs(ids, queen)
    table = pd.DataFrame(
        {f"ind{k}": np.exp(rng.normal(3, 0.4, n)) for k in range(6)}, index=ids
    )
    directions = {c: (1 if k % 3 else -1) for k, c in enumerate(table.columns)}
    timed(
        f"complementary_pairs, {len(pairs)} pairs × 6 indicators",
        lambda: partners.complementary_pairs(
            table, pd.Series(population, index=ids), pairs, directions=directions
        ),
        args.repeat,
        results,
    )
    budget = 0.05 * float((values * population).sum())
    allocation = timed(
        "level_up",
        lambda: scenario.level_up(values, population, budget),
        args.repeat,
        results,
    )
    after = scenario.apply(values, population, allocation)
    timed(
        "evaluate (9 indices, weighted and not, ranks, gaps)",
        lambda: scenario.evaluate(values, population, after),
        args.repeat,
        results,
    )
    timed(
        "compare_splits (3 splits + none)",
        lambda: scenario.compare_splits(values, population, budget),
        args.repeat,
        results,
    )
    if args.esda:
        import esda
        import libpysal

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = libpysal.weights.W(
                {i: list(v) for i, v in queen.items()}, silence_warnings=True
            )
            w.transform = "r"
            timed(
                "esda.Moran, queen (for comparison)",
                lambda: esda.Moran(values, w, permutations=perms),
                0,
                results,
            )
            timed(
                "esda.Moran_Local, queen (for comparison)",
                lambda: esda.Moran_Local(values, w, permutations=perms, seed=0),
                0,
                results,
            )
    slowest = max(
        later
        for label, _, later in results
        if "esda" not in label and "load_layer" not in label
    )
    print(f"slowest repeated computation: {slowest:.3f} s (target < 1 s)")


if __name__ == "__main__":
    main()
