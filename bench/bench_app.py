"""Server time of the app per widget change, on the demo store (AppTest).

Run: .venv/bin/python bench/bench_app.py   (or `make bench`)

For each page: the first render (store already cached), then the median of
five reruns after a widget change (year, weighting, agglomeration). The
target of issue 6 is under 300 ms per widget change.
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


def main() -> None:
    store = Path(tempfile.mkdtemp()) / "store"
    run_etl([ROOT / "datasets" / "raw" / "demo"], store)
    os.environ["AGGLO_STORE"] = str(store)
    print(f"{'page':14s} {'first, s':>9s} {'median change, s':>17s} {'max, s':>7s}")
    rows = []
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300)
        at.switch_page(f"app_pages/{page}.py")
        start = time.perf_counter()
        at.run()
        first = time.perf_counter() - start
        changes = []
        years = [2019, 2020, 2021, 2022, 2023]
        for i, year in enumerate(years):
            at.session_state["year"] = year
            if i % 2:
                at.session_state["weighted"] = not at.session_state["weighted"]
            start = time.perf_counter()
            at.run()
            changes.append(time.perf_counter() - start)
            assert not at.exception, [e.value for e in at.exception]
        median = statistics.median(changes)
        rows.append((page, first, median, max(changes)))
        print(f"{page:14s} {first:9.3f} {median:17.3f} {max(changes):7.3f}")
    overall = statistics.median(r[2] for r in rows)
    print(f"median over pages of the median change: {overall:.3f} s")


if __name__ == "__main__":
    main()
