"""The batch entry point on three engines, timed in one run (issue 20).

    .venv/bin/python bench/bench_batch.py [--store DIR] [--engines numpy,duckdb,spark]
        [--weighted] [--spark-memory 6g] [--duckdb-memory 4GB]

Each engine runs ``python -m analytics.batch`` in its own process under
``/usr/bin/time``: wall and CPU seconds (Spark's include starting its JVM)
and the
peak resident memory of the process or of its largest child (Spark's JVM).
The tables are then compared with the numpy engine's (every index to 1e-9,
keys and ``n`` exactly). Without ``--store`` the 12 M-value store of
``bench/bench_scale.py`` is used (built if missing). Results are recorded by
hand in BENCHMARKS.md with the load average printed here.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from analytics.indices import INDEX_COLUMNS  # noqa: E402


def run(engine: str, store: Path, out: Path, args) -> dict:
    command = [
        "/usr/bin/time", "-f", "TIME %e %M %U %S",
        sys.executable, "-m", "analytics.batch", "--store", str(store),
        "--engine", engine, "--out", str(out),
    ]  # fmt: skip
    if args.weighted:
        command.append("--weighted")
    if engine == "spark":
        command += [
            "--conf", f"spark.driver.memory={args.spark_memory}",
            "--conf", "spark.ui.showConsoleProgress=false",
        ]  # fmt: skip
    if engine == "duckdb" and args.duckdb_memory:
        command += ["--conf", f"memory_limit={args.duckdb_memory}"]
    load = os.getloadavg()[0]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{engine} failed:\n{done.stderr[-3000:]}")
    seconds, rss_kb, user, system = re.findall(
        r"TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)", done.stderr
    )[-1]
    return {"engine": engine, "seconds": float(seconds),
            "cpu_s": float(user) + float(system),
            "peak_rss_mb": int(rss_kb) / 1024, "load": load}  # fmt: skip


def differences(expected: pd.DataFrame, got: pd.DataFrame) -> str:
    if len(expected) != len(got):
        return f"{len(got)} groups, expected {len(expected)}"
    keys = [c for c in expected.columns if c not in INDEX_COLUMNS]
    for column in keys:
        if got[column].tolist() != expected[column].tolist():
            return f"column {column} differs"
    worst = 0.0
    for column in INDEX_COLUMNS:
        a, b = expected[column].to_numpy(), got[column].to_numpy()
        if not np.array_equal(np.isnan(a), np.isnan(b)):
            return f"{column}: NaN in different groups"
        both = ~np.isnan(a)
        scale = np.maximum(np.abs(a[both]), 1.0)
        worst = max(worst, float((np.abs(a[both] - b[both]) / scale).max(initial=0)))
    return f"equal (largest difference {worst:.1e})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--engines", default="numpy,duckdb,spark")
    parser.add_argument("--weighted", action="store_true")
    parser.add_argument("--spark-memory", default="6g")
    parser.add_argument("--duckdb-memory", default="")
    args = parser.parse_args(argv)
    store = args.store
    if store is None:
        import bench_scale

        store = bench_scale.build_store(
            argparse.Namespace(municipalities=2600, indicators=300, years=15)
        )
    print(f"store {store}; weighted={args.weighted}")
    folder = Path(tempfile.mkdtemp(prefix="agglo_batch_"))
    results, tables = [], {}
    for engine in args.engines.split(","):
        out = folder / f"{engine}.parquet"
        result = run(engine, store, out, args)
        tables[engine] = pd.read_parquet(out)
        results.append(result)
        print(
            f"{engine:7s} {result['seconds']:7.1f} s (CPU {result['cpu_s']:.1f} s)"
            "  peak RSS "
            f"{result['peak_rss_mb']:7,.0f} MB  load average {result['load']:.1f}"
            f"  groups {len(tables[engine]):,}",
            flush=True,
        )
    if "numpy" in tables:
        for engine, table in tables.items():
            if engine != "numpy":
                print(f"{engine} vs numpy: {differences(tables['numpy'], table)}")


if __name__ == "__main__":
    main()
