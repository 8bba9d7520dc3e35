"""Start-up as users feel it (issue 20), in a real browser (Debian chromium).

    .venv/bin/python bench/bench_startup.py [--store DIR] [--runs 3]
        [--visitors 5] [--skip-floor]

Two targets:

(a) *a new visitor*: on a running server whose warm-up is done, a fresh
    browser context (empty cache, as a first visit) navigates to the app;
    seconds until the overview's first chart is drawn (an ``svg`` inside a
    ``.js-plotly-plot``). Median of ``--visitors`` contexts; target < 2.5 s.
(b) *server start to first chart*: from starting ``serve.py`` (as ``make
    run`` does) to the first chart in a fresh context, against the floor
    measured in the same run: a bare Streamlit page with one plotly chart,
    started the same way (``streamlit run``). Runs alternate app and floor;
    the medians are compared; target: the app within 1.5x the floor.

Without ``--store`` the demo store is built from ``datasets/raw/demo`` into
a temporary folder. Results are recorded by hand in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.app.test_browser import CHROMIUM, FLAGS  # noqa: E402

CHART = ".js-plotly-plot .main-svg"
SERVER_OPTIONS = [
    "--server.address", "127.0.0.1", "--server.headless", "true",
    "--browser.gatherUsageStats", "false",
]  # fmt: skip
FLOOR_PAGE = textwrap.dedent(
    """
    import plotly.graph_objects as go
    import streamlit as st

    st.plotly_chart(go.Figure(go.Bar(x=["a", "b"], y=[1, 2])))
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        [*command, "--server.port", str(port), *SERVER_OPTIONS],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return proc, port


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def first_chart(browser, port: int, started: float, timeout: float = 120) -> float:
    """Seconds from ``started`` to the first chart in a fresh context (the
    navigation retried until the server answers)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        while True:
            try:
                page.goto(f"http://127.0.0.1:{port}/", timeout=2_000)
                break
            except Exception:  # noqa: BLE001 - server not up yet
                if time.perf_counter() - started > timeout:
                    raise
                time.sleep(0.05)
        page.wait_for_selector(CHART, timeout=timeout * 1000)
        return time.perf_counter() - started
    finally:
        context.close()


TIMEOUT = 120.0  # seconds; --timeout


def cold_start(browser, command: list[str], env: dict) -> float:
    started = time.perf_counter()
    proc, port = start(command, env)
    try:
        return first_chart(browser, port, started, TIMEOUT)
    finally:
        stop(proc)


def new_visitors(browser, env: dict, count: int, settle: float) -> list[float]:
    """Fresh contexts on a running, warmed server (one visit first so that
    the warm-up, which waits for the first page, runs to its end)."""
    proc, port = start([sys.executable, str(ROOT / "serve.py")], env)
    try:
        first_chart(browser, port, time.perf_counter(), TIMEOUT)
        time.sleep(settle)
        times = []
        for _ in range(count):
            began = time.perf_counter()
            times.append(first_chart(browser, port, began, TIMEOUT))
        return times
    finally:
        stop(proc)


def demo_store() -> Path:
    from analytics.etl.pipeline import run_etl

    store = Path(tempfile.mkdtemp(prefix="agglo_startup_")) / "store"
    run_etl([ROOT / "datasets" / "raw" / "demo"], store)
    return store


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--visitors", type=int, default=5)
    parser.add_argument(
        "--settle", type=float, default=20.0,
        help="seconds after the first visit before the new visitors (warm-up)",
    )  # fmt: skip
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    global TIMEOUT
    TIMEOUT = args.timeout
    from playwright.sync_api import sync_playwright

    store = args.store or demo_store()
    env = dict(os.environ, AGGLO_STORE=str(store))
    floor_dir = Path(tempfile.mkdtemp(prefix="agglo_floor_"))
    (floor_dir / "floor.py").write_text(FLOOR_PAGE, encoding="utf-8")
    app = [sys.executable, str(ROOT / "serve.py")]
    floor = [sys.executable, "-m", "streamlit", "run", str(floor_dir / "floor.py")]
    print(f"store {store}; load average {os.getloadavg()[0]:.1f} at the start")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            visitors = new_visitors(browser, env, args.visitors, args.settle)
            median = statistics.median(visitors)
            print(
                "(a) new visitor, first chart: "
                + ", ".join(f"{v:.2f}" for v in visitors)
                + f" s; median {median:.2f} s (target < 2.5 s: "
                + ("met" if median < 2.5 else "missed") + ")"
            )  # fmt: skip
            if args.skip_floor:
                return
            apps, floors = [], []
            for _ in range(args.runs):
                floors.append(cold_start(browser, floor, env))
                apps.append(cold_start(browser, app, env))
            ratio = statistics.median(apps) / statistics.median(floors)
            print(
                "(b) server start to first chart: app "
                + ", ".join(f"{v:.2f}" for v in apps)
                + " s; floor (one plotly chart) "
                + ", ".join(f"{v:.2f}" for v in floors)
                + f" s; ratio of medians {ratio:.2f} (target <= 1.5: "
                + ("met" if ratio <= 1.5 else "missed") + ")"
            )  # fmt: skip
        finally:
            browser.close()
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
