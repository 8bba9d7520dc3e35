"""Analytics and the app on a full-scale store (issue 9).

    .venv/bin/python bench/bench_scale.py [--store DIR] [--municipalities 2600]
        [--indicators 300] [--years 15] [--skip-app] [--skip-browser]

Without ``--store`` the store is built once from ``bench/make_scale.py``'s
БД ПМО panels (2,600 municipalities x 300 indicators x 15 years) under
``/tmp/agglo_scale_store_m…`` and reused by later runs. Then, in one process:

1. ``open_store``: seconds and resident memory;
2. ``summarize`` of every indicator x year x agglomeration of the store
   (population-weighted and not; median of 3) and the same groups through a
   PySAL ``Theil`` + ``Gini`` loop (``bench_indices.time_pysal_loop``: sampled
   and extrapolated), with the ratio;
3. the typology of 2,600 municipalities x 30 indicators (auto k over 2-8,
   20 bootstrap refits for stability), median of 3;
4. the app with AppTest, after the warm-up that ``serve.py`` runs at server
   start: the first render and the median server time of a widget change
   (year, weighting) on several pages;
5. cold start in a real browser (Debian chromium): from starting the server
   as ``make run`` does (``serve.py``) to the first chart drawn on the
   overview page.

Results are recorded by hand in BENCHMARKS.md ("Analytics and the app at
full scale").
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_app  # noqa: E402
import bench_indices  # noqa: E402
import make_scale  # noqa: E402

from analytics import selection as sel_  # noqa: E402
from analytics.composite import indicator_matrix  # noqa: E402
from analytics.indices import summarize  # noqa: E402
from analytics.store import open_store  # noqa: E402
from analytics.typology import Typology  # noqa: E402

ABOVE = ("country", "federal_district", "region", "region_part")
PAGES = ["overview", "finance", "inequality", "dynamics", "typology", "profile"]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_store(args: argparse.Namespace) -> Path:
    """The scale store for these sizes, built from the generator if missing."""
    name = f"m{args.municipalities}_i{args.indicators}_y{args.years}"
    store = Path(tempfile.gettempdir()) / f"agglo_scale_store_{name}"
    if (store / "CURRENT").exists():
        return store
    raw = make_scale.DEFAULT_OUT / name / "panel"
    if not raw.exists():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "make_scale.py"),
                "--municipalities",
                str(args.municipalities),
                "--indicators",
                str(args.indicators),
                "--years",
                str(args.years),
                "--layout",
                "panel",
            ],
            check=True,
        )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "analytics.etl",
            "--raw",
            str(raw),
            "--store",
            str(store),
        ],
        cwd=ROOT,
        check=True,
    )
    return store


def long_table(store) -> pd.DataFrame:
    """Municipal values with agglomeration (missing outside any) and
    population: the table an analyst hands to ``summarize``."""
    terr = sel_.territory_lookup(store)
    obs = store.observations
    level = obs["territory_id"].map(terr["level"])
    obs = obs[~level.isin(ABOVE).to_numpy()]
    agglo = obs["territory_id"].map(terr["agglomeration_id"]).replace("", np.nan)
    pop = sel_.population(store).set_index(["territory_id", "year"])["population"]
    keys = pd.MultiIndex.from_arrays([obs["territory_id"], obs["year"].astype(int)])
    return pd.DataFrame(
        {
            "indicator_id": obs["indicator_id"].to_numpy(),
            "year": obs["year"].to_numpy(),
            "agglomeration_id": pd.Categorical(agglo),
            "value": obs["value"].to_numpy(),
            "population": pop.reindex(keys).to_numpy(),
        }
    )


def bench_summarize(store) -> dict:
    df = long_table(store)
    weighted = bench_indices.time_summarize(df, weight="population", repeat=3)
    plain = bench_indices.time_summarize(df, weight=None, repeat=3)
    groups = len(summarize(df, value="value", by=bench_indices.BY))
    pysal = bench_indices.time_pysal_loop(df, sample=3_000)
    return {
        "rows": len(df),
        "groups": groups,
        "weighted_s": statistics.median(weighted),
        "unweighted_s": statistics.median(plain),
        "pysal_loop_s": pysal["loop_s"],
        "pysal_compute_s": pysal["compute_s"],
        "ratio_loop": pysal["loop_s"] / statistics.median(plain),
    }


def bench_typology(store, n_indicators: int = 30) -> dict:
    terr = store.territories
    municipal = terr.loc[~terr["level"].isin(ABOVE), "territory_id"]
    obs = store.observations
    year = int(obs["year"].max())
    present = set(obs.loc[obs["year"] == year, "indicator_id"].astype(str).unique())
    candidates = [
        i
        for i in store.indicators["indicator_id"]
        if i in present and i not in (sel_.POPULATION, sel_.POPULATION_FALLBACK)
    ][:n_indicators]
    matrix = indicator_matrix(
        store.observations,
        store.territories,
        store.indicators,
        None,
        year,
        indicator_ids=candidates,
    )
    matrix = matrix[matrix.index.isin(municipal)]
    times, model = [], None
    for _ in range(3):
        start = time.perf_counter()
        model = Typology(n_clusters="auto", n_bootstrap=20, random_state=0).fit(matrix)
        times.append(time.perf_counter() - start)
    return {
        "shape": (matrix.shape[0], len(model.feature_names_)),
        "median_s": statistics.median(times),
        "k": model.n_clusters_,
        "stability": model.stability_,
    }


def bench_browser(store_path: Path) -> dict:
    """Seconds from starting the server to the overview's first chart."""
    from playwright.sync_api import sync_playwright

    from tests.app.test_browser import CHROMIUM, FLAGS

    port = 8700 + os.getpid() % 200
    env = dict(os.environ, AGGLO_STORE=str(store_path))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "serve.py"),  # as `make run` starts it
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/", timeout=2_000)
                    break
                except Exception:  # noqa: BLE001 - server not up yet
                    if time.perf_counter() - start > 60:
                        raise
                    time.sleep(0.1)
            served = time.perf_counter() - start
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
            first_chart = time.perf_counter() - start
            page.reload()
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
            reload_s = time.perf_counter() - start - first_chart
            # a new visitor on the running server (a fresh context, empty
            # cache), once the warm-up's background typology fits are done
            time.sleep(25)
            visitor = browser.new_context().new_page()
            begin = time.perf_counter()
            visitor.goto(f"http://127.0.0.1:{port}/")
            visitor.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
            new_visitor_s = time.perf_counter() - begin
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            browser.close()
    return {
        "served_s": served,
        "first_chart_s": first_chart,
        "reload_s": reload_s,
        "new_visitor_s": new_visitor_s,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--municipalities", type=int, default=2600)
    parser.add_argument("--indicators", type=int, default=300)
    parser.add_argument("--years", type=int, default=15)
    parser.add_argument("--skip-app", action="store_true")
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args(argv)
    store_path = args.store or build_store(args)

    before = rss_mb()
    start = time.perf_counter()
    store = open_store(store_path)
    opened = time.perf_counter() - start
    memory = store.observations.memory_usage(deep=True).sum() / 2**20
    print(f"store {store_path}: {len(store.observations):,} values")
    print(
        f"open_store: {opened:.2f} s; observations {memory:,.0f} MB in memory; "
        f"peak RSS {before:,.0f} -> {rss_mb():,.0f} MB"
    )

    s = bench_summarize(store)
    print(
        f"summarize over {s['rows']:,} municipal values, {s['groups']:,} groups "
        f"(indicator x year x agglomeration): weighted {s['weighted_s']:.2f} s, "
        f"unweighted {s['unweighted_s']:.2f} s (median of 3)"
    )
    print(
        f"PySAL Theil+Gini: groupby loop {s['pysal_loop_s']:.1f} s, compute only "
        f"{s['pysal_compute_s']:.1f} s (extrapolated); summarize is "
        f"{s['ratio_loop']:.1f}x the loop"
    )

    ty = bench_typology(store)
    print(
        f"typology {ty['shape'][0]:,} territories x {ty['shape'][1]} indicators, "
        f"auto k (2-8) + 20 bootstrap refits: {ty['median_s']:.2f} s (median of 3); "
        f"k={ty['k']}, stability {ty['stability']:.2f}"
    )
    print(f"peak RSS so far: {rss_mb():,.0f} MB")
    del store

    if not args.skip_app:
        warm_s = bench_app.warm(store_path)
        print(f"warm-up (as serve.py does at start): {warm_s:.1f} s")
        print(f"{'page':12s} {'first, s':>9s} {'median change, s':>17s} {'max, s':>7s}")
        for page, first, median, worst in bench_app.time_pages(store_path, PAGES):
            print(f"{page:12s} {first:9.2f} {median:17.3f} {worst:7.3f}")
    if not args.skip_browser and Path("/usr/bin/chromium").exists():
        b = bench_browser(store_path)
        print(
            f"browser: server answering after {b['served_s']:.1f} s, first chart "
            f"{b['first_chart_s']:.1f} s after starting the server; reload "
            f"{b['reload_s']:.1f} s; a new visitor (empty cache) "
            f"{b['new_visitor_s']:.1f} s"
        )


if __name__ == "__main__":
    main()
