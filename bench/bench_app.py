"""Server time of the app per widget change, on the demo store (AppTest).

Run: .venv/bin/python bench/bench_app.py   (or `make bench`)
     .venv/bin/python bench/bench_app.py --real   (the real national store,
     datasets/raw/real: ~2,600 municipalities)

For each page: the first render (store already cached), then the median of
nine reruns after a widget change (year, and every other time the weighting). The
target of issue 6 is under 300 ms per widget change.

By default the process is warmed first, as ``serve.py`` (``make run``) warms
the server while it starts (``app_pages.common.warm_up``: the store, the
default overview, the typology of every year). ``--cold`` skips that and
measures a process where every year is computed on demand.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from analytics.etl.pipeline import run_etl  # noqa: E402

PAGES = [
    "overview", "finance", "staffing", "competencies", "inequality",
    "dynamics", "typology", "album", "profile", "data_quality",
]  # fmt: skip


def warm(store: Path) -> float:
    """Seconds of the server's warm-up (``app_pages.common.warm_up``)."""
    os.environ["AGGLO_STORE"] = str(store)
    from app_pages.common import warm_up

    start = time.perf_counter()
    warm_up()
    return time.perf_counter() - start


def time_pages(
    store: Path, pages: list[str], n_changes: int = 9
) -> list[tuple[str, float, float, float]]:
    """Per page: first render, median and max of ``n_changes`` widget changes
    (the default year and the ones before it; every other change also flips
    the weighting), in seconds of AppTest server time. Identical runs differ
    by up to ±40 % on this machine, so the median takes nine changes."""
    os.environ["AGGLO_STORE"] = str(store)
    rows = []
    for page in pages:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
        at.switch_page(f"app_pages/{page}.py")
        start = time.perf_counter()
        at.run()
        first = time.perf_counter() - start
        assert not at.exception, [e.value for e in at.exception]
        latest = at.session_state["year"]
        years = list(range(latest - n_changes + 1, latest + 1))
        try:  # the years the page offers (the real store has gaps: 2019-22)
            offered = sorted(int(o) for o in at.selectbox(key="year").options)
            years = (offered[-n_changes:] * n_changes)[-n_changes:]
        except (KeyError, ValueError, TypeError):
            pass
        changes = []
        for i, year in enumerate(years):
            at.session_state["year"] = year
            if i % 2:
                at.session_state["weighted"] = not at.session_state["weighted"]
            start = time.perf_counter()
            at.run()
            changes.append(time.perf_counter() - start)
            assert not at.exception, [e.value for e in at.exception]
        rows.append((page, first, statistics.median(changes), max(changes)))
    return rows


def main() -> None:
    cold = "--cold" in sys.argv[1:]
    raw = "real" if "--real" in sys.argv[1:] else "demo"
    store = Path(tempfile.mkdtemp()) / "store"
    run_etl([ROOT / "datasets" / "raw" / raw], store)
    print(f"store from datasets/raw/{raw}")
    if cold:
        print("cold process: no warm-up")
    else:
        print(f"warm-up (as serve.py does at start): {warm(store):.1f} s")
    print(f"{'page':14s} {'first, s':>9s} {'median change, s':>17s} {'max, s':>7s}")
    rows = time_pages(store, PAGES)
    for page, first, median, worst in rows:
        print(f"{page:14s} {first:9.3f} {median:17.3f} {worst:7.3f}")
    overall = statistics.median(r[2] for r in rows)
    print(f"median over pages of the median change: {overall:.3f} s")


if __name__ == "__main__":
    main()
