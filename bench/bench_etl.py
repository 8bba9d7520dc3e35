"""Benchmark: the ETL (``python -m analytics.etl``) at full Russian scale.

    .venv/bin/python bench/bench_etl.py                      # БД ПМО panels, 3 runs
    .venv/bin/python bench/bench_etl.py --layouts panel tidy # both layouts
    .venv/bin/python bench/bench_etl.py --municipalities 20000 --runs 1

Generates the inputs with ``bench/make_scale.py`` under ``--data`` (default
``/tmp/agglo_scale``) when they are missing, then for each layout:

* the full load into an empty temporary store, as a user runs it (a fresh
  ``python -m analytics.etl`` process): wall time, median of ``--runs``, and the
  peak memory of that process (``ru_maxrss`` from ``wait4``, taken by a small
  launcher so that this script's own memory does not count);
* the check that every generated value reached the store (count of
  observations from files, no rejects) and a few values compared with the raw
  cells;
* the machine's *floor*: ``pyarrow.csv.read_csv`` + ``pyarrow.parquet.
  write_table`` of the same files (median of ``--runs``), and the ratio;
* reruns on the loaded store: nothing changed, and one file changed (one value
  of the first data file), each in a fresh process.

Results are recorded by hand in BENCHMARKS.md, section "ETL at full scale
(issue 9)". Targets: full load of the 12 M-value input under 60 s with a
peak under 4 GB, under 3 × the floor; a rerun with one changed file under 5 s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import make_scale  # noqa: E402

TARGET_SECONDS = 60.0
TARGET_PEAK_GB = 4.0
TARGET_RATIO = 3.0
TARGET_RERUN = 5.0


#: Runs the command given as its arguments and reports its wall time, peak
#: RSS (``ru_maxrss`` from ``wait4``) and exit code on a last stderr line. A
#: process started directly by this benchmark would report at least this
#: benchmark's own peak (Linux carries the forking process's high-water mark
#: over ``exec``; the tidy loads run after the panel store was verified, 2.4
#: GB); started by this small launcher, the ETL reports its own.
_LAUNCHER = """
import os, subprocess, sys, time
started = time.perf_counter()
process = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(process.pid, 0)
wall = time.perf_counter() - started
code = os.waitstatus_to_exitcode(status)
print(f"@@peak {wall} {usage.ru_maxrss} {code}", file=sys.stderr)
"""


def run_child(args: list[str]) -> tuple[float, float, int]:
    """Run a command; (wall seconds, peak RSS in GB, exit code)."""
    process = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    error = process.stderr.decode(errors="replace")
    last = error.rstrip().splitlines()[-1] if error.strip() else ""
    if not last.startswith("@@peak "):
        raise SystemExit(f"{' '.join(args)} failed:\n{error[-2000:]}")
    wall, peak_kb, code = last.split()[1:]
    if int(code) not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed:\n{error[-2000:]}")
    return float(wall), int(peak_kb) / 1024 / 1024, int(code)


def etl(raw: Path, store: Path) -> tuple[float, float, int]:
    return run_child(
        [sys.executable, "-m", "analytics.etl", "--quiet", "--raw", str(raw)]
        + ["--store", str(store)]
    )


def floor(raw: Path) -> float:
    """Bare pyarrow: read every CSV and write it as Parquet (zstd)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out = Path(tempfile.mkdtemp(prefix="agglo_floor_"))
    try:
        started = time.perf_counter()
        for path in sorted(raw.glob("*.csv")):
            table = pacsv.read_csv(path)
            pq.write_table(table, out / f"{path.stem}.parquet", compression="zstd")
        return time.perf_counter() - started
    finally:
        shutil.rmtree(out, ignore_errors=True)


def verify(store: Path, raw: Path, expected: int) -> list[str]:
    """Every generated value is in the store; a few values match their cells."""
    import numpy as np
    import pandas as pd

    from analytics.store import DERIVED_SOURCE, open_store

    loaded = open_store(store)
    observations = loaded.observations
    from_files = observations[observations.source_id != DERIVED_SOURCE]
    problems = []
    if len(from_files) != expected:
        problems.append(f"{len(from_files):,} values from files, expected {expected:,}")
    if len(loaded.rejects):
        problems.append(f"{len(loaded.rejects)} rejects")
    in_agglomerations = (loaded.territories.agglomeration_id != "").sum()
    lines = [
        f"store: {len(from_files):,} values from files "
        f"({from_files.territory_id.nunique():,} territories, "
        f"{from_files.indicator_id.nunique()} indicators), "
        f"{len(observations) - len(from_files):,} derived, "
        f"{len(loaded.rejects)} rejects, {in_agglomerations} territories "
        "in agglomerations"
    ]
    # A few cells of the first data file against the store (budget revenue is
    # published in thousand roubles and stored in roubles).
    first = next(p for p in sorted(raw.glob("*.csv")) if "dictionary" not in p.name)
    cells = pd.read_csv(first, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(0)
    wanted = {}  # (territory, indicator, year) → value in the store's unit
    if "oktmo" in cells:
        checks = [
            ("t8112027_11", "population", 1.0),
            ("t8013001_1", "budget_revenue", 1e3),
        ]
        for i in rng.choice(len(cells), size=2, replace=False):
            row = cells.iloc[int(i)]
            for column, indicator, scale in checks:
                key = (row.oktmo, indicator, int(row.year))
                wanted[key] = float(row[column]) * scale
    else:
        picks = cells[cells.indicator.isin(["population", "budget_revenue"])]
        for i in rng.choice(len(picks), size=4, replace=False):
            row = picks.iloc[int(i)]
            scale = 1e3 if row.unit.startswith("тыс") else 1.0
            wanted[(row.territory, row.indicator, int(row.year))] = (
                float(row.value) * scale
            )
    sample = observations[observations.territory_id.isin({k[0] for k in wanted})]
    index = sample.set_index(["territory_id", "indicator_id", "year"]).value
    for key, want in wanted.items():
        got = index.get(key)
        lines.append(f"  {key}: store {got:,.1f}, file {want:,.1f}")
        if got is None or not np.isclose(got, want):
            problems.append(f"{key}: store {got}, file {want}")
    lines += [f"  PROBLEM: {p}" for p in problems]
    return lines


def changed_copy(raw: Path, folder: Path) -> Path:
    """``folder`` with links to every file of ``raw`` except the first data
    file, which is copied with one value changed."""
    folder.mkdir(parents=True)
    files = sorted(raw.glob("*.csv"))
    target = next(p for p in files if "dictionary" not in p.name)
    for path in files:
        if path != target:
            (folder / path.name).symlink_to(path)
    lines = target.read_text(encoding="utf-8").split("\n")
    fields = lines[1].split(",")
    for i in reversed(range(len(fields))):
        try:
            fields[i] = f"{float(fields[i]) + 1:g}"
            break
        except ValueError:
            continue
    lines[1] = ",".join(fields)
    (folder / target.name).write_text("\n".join(lines), encoding="utf-8")
    return folder


def bench_layout(raw: Path, expected: int, runs: int, work: Path) -> dict:
    size = sum(p.stat().st_size for p in raw.glob("*.csv"))
    files = len(list(raw.glob("*.csv")))
    print(f"\n== {raw} ({files} files, {size / 1e6:,.0f} MB)", flush=True)
    loads, peaks = [], []
    store = work / f"store_{raw.name}"
    for run in range(runs):
        shutil.rmtree(store, ignore_errors=True)
        wall, peak, code = etl(raw, store)
        loads.append(wall)
        peaks.append(peak)
        print(f"  full load {run + 1}: {wall:6.1f} s, peak {peak:.2f} GB, exit {code}")
    for line in verify(store, raw, expected):
        print(line)
    floors = [floor(raw) for _ in range(runs)]
    print(
        "  floor (pyarrow read_csv + write_table): "
        + ", ".join(f"{f:.1f} s" for f in floors)
    )
    unchanged, _, _ = etl(raw, store)
    changed = changed_copy(raw, work / f"changed_{raw.name}")
    rerun, rerun_peak, _ = etl(changed, store)
    shutil.rmtree(changed)
    result = {
        "load": statistics.median(loads),
        "peak": max(peaks),
        "floor": statistics.median(floors),
        "unchanged": unchanged,
        "rerun": rerun,
        "rerun_peak": rerun_peak,
    }
    result["ratio"] = result["load"] / result["floor"]
    return result


def report(results: dict[str, dict], values: int) -> None:
    print(f"\nETL at full scale: {values:,} values (median of the runs)")
    head = (
        "layout",
        "load s",
        "peak GB",
        "floor s",
        "ratio",
        "no-change s",
        "1 changed s",
    )
    print("  ".join(f"{h:>11}" for h in head))
    for layout, r in results.items():
        row = (
            layout,
            f"{r['load']:.1f}",
            f"{r['peak']:.2f}",
            f"{r['floor']:.1f}",
            f"{r['ratio']:.1f}x",
            f"{r['unchanged']:.1f}",
            f"{r['rerun']:.1f}",
        )
        print("  ".join(f"{c:>11}" for c in row))
    for layout, r in results.items():
        verdicts = [
            ("load < 60 s", r["load"] < TARGET_SECONDS),
            ("peak < 4 GB", r["peak"] < TARGET_PEAK_GB),
            ("< 3x floor", r["ratio"] < TARGET_RATIO),
            ("rerun < 5 s", r["rerun"] < TARGET_RERUN),
        ]
        print(
            f"  {layout}: "
            + ", ".join(f"{name} {'met' if ok else 'MISSED'}" for name, ok in verdicts)
        )


def main(argv: list[str] | None = None) -> dict[str, dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=make_scale.DEFAULT_OUT)
    parser.add_argument("--municipalities", type=int, default=2600)
    parser.add_argument("--indicators", type=int, default=300)
    parser.add_argument("--years", type=int, default=15)
    parser.add_argument(
        "--layouts", nargs="+", choices=["panel", "tidy"], default=["panel"]
    )
    parser.add_argument("--runs", type=int, default=3, help="full loads per layout")
    args = parser.parse_args(argv)
    folder = args.data / f"m{args.municipalities}_i{args.indicators}_y{args.years}"
    values = args.municipalities * args.indicators * args.years
    for layout in args.layouts:
        if not (folder / layout).is_dir():
            print(f"generating {folder / layout}", flush=True)
            make_scale.generate(
                args.data,
                municipalities=args.municipalities,
                indicator_count=args.indicators,
                years=args.years,
                layout=layout,
            )
    results = {}
    with tempfile.TemporaryDirectory(prefix="agglo_bench_etl_") as work:
        for layout in args.layouts:
            results[layout] = bench_layout(
                folder / layout, values, args.runs, Path(work)
            )
    report(results, values)
    return results


if __name__ == "__main__":
    main()
