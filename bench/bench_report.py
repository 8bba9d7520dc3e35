"""Benchmark: ``python -m analytics.report`` on the demo store (the ready set).

Times:

* the whole command, as a user runs it (a fresh Python process: imports,
  opening the store, the views, Chromium's start, the pictures, writing the
  PPTX), median of ``--runs`` runs;
* inside one process, the two stages the progress bars show: computing the
  ready set (the views) and building the deck (pictures, python-pptx), for the
  first run of a process (Chromium starts) and a warm second run.

The store is built from ``datasets/raw/demo`` into a temporary folder unless
``--store`` is given. Run ``.venv/bin/python bench/bench_report.py``; results
are recorded by hand in BENCHMARKS.md, section "Report deck (CLI)".
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics import export, report  # noqa: E402


def _stages(store: Path, agg: str, out: Path) -> dict[str, float]:
    """Seconds spent on the views ("charts") and on the deck ("slides")."""
    marks: dict[str, float] = {}
    started = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        marks.setdefault(f"{stage}_start", now)
        marks[f"{stage}_end"] = now

    report.build_report(store, agg, out, progress=progress)
    total = time.perf_counter() - started
    charts = marks["charts_end"] - started
    return {"charts": charts, "slides": total - charts, "total": total}


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the benchmark, print a table and return the medians (seconds)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="an existing store")
    parser.add_argument("--agglomeration", default="krasnoyarsk")
    parser.add_argument("--runs", type=int, default=3, help="CLI runs")
    args = parser.parse_args(argv)
    status = export.export_status()
    if not status.available:
        print(status.message_en)
        return {}

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        store = args.store
        if store is None:
            store = tmp / "store"
            subprocess.run(
                [sys.executable, "-m", "analytics.etl", "--quiet"]
                + ["--raw", str(ROOT / "datasets/raw/demo"), "--store", str(store)],
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        out = tmp / "deck.pptx"
        cli = []
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "analytics.report", "--quiet"]
                + ["--store", str(store), "--agglomeration", args.agglomeration]
                + ["--out", str(out)],
                cwd=ROOT,
                check=True,
                stdout=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            cli.append(time.perf_counter() - started)
        from pptx import Presentation

        slides = len(Presentation(str(out)).slides)
        size = out.stat().st_size
        cold = _stages(store, args.agglomeration, out)
        warm = _stages(store, args.agglomeration, out)

    load = os.getloadavg()[0]
    rows = {
        f"CLI, whole command, median of {args.runs}": statistics.median(cli),
        "in process, first run: ready set (views)": cold["charts"],
        "in process, first run: deck (Chromium start, pictures, pptx)": cold["slides"],
        "in process, second run: ready set (views)": warm["charts"],
        "in process, second run: deck (pictures, pptx)": warm["slides"],
    }
    print(f"deck: {slides} slides, {size:,} bytes; load average {load:.1f}")
    width = max(len(name) for name in rows)
    for name, seconds in rows.items():
        print(f"{name:<{width}}  {seconds:8.2f} s")
    print("CLI runs (s):", " ".join(f"{t:.2f}" for t in cli))
    return rows


if __name__ == "__main__":
    main()
