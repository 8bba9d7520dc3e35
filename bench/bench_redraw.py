"""Browser redraw after a widget change: the time a user waits.

Run: .venv/bin/python bench/bench_redraw.py [--port N] [--store DIR]

Starts the app as ``make run`` does (``serve.py``) on the demo store (built
into a temporary folder unless ``--store`` is given), opens the overview in
Debian's chromium (Playwright), waits for the warm-up, then changes the year
in the sidebar five times and times each change from the click on the new
year until the script has finished and the browser has painted twice more
(two animation frames after the last chart's ``plotly_afterplot``). Prints
each time and the median; the target of issue 21 is under 1 s.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
PAINTED = """() => new Promise(done => requestAnimationFrame(
    () => requestAnimationFrame(() => done(performance.now()))))"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _settle(page) -> None:
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=120_000
    )


def measure(url: str, changes: int = 5, page_path: str = "") -> list[float]:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(f"{url}/{page_path}?lang=ru")
        page.wait_for_selector("[data-testid='stApp']", timeout=60_000)
        page.wait_for_timeout(1000)
        _settle(page)
        page.wait_for_timeout(1500)
        box = page.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']")
        for i in range(changes):
            box.nth(1).click()  # the year
            options = page.locator("[role='option']")
            options.nth(1 + i % 3).click()
            start = page.evaluate("() => performance.now()")
            page.wait_for_selector(
                "[data-testid='stApp'][data-test-script-state='running']",
                timeout=10_000,
            )
            _settle(page)
            end = page.evaluate(PAINTED)
            times.append((end - start) / 1000)
            page.wait_for_timeout(800)
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--page", default="", help="page path, e.g. finance")
    args = parser.parse_args()
    store = args.store
    if store is None:
        from analytics.etl.pipeline import run_etl

        store = Path(tempfile.mkdtemp()) / "store"
        run_etl([ROOT / "datasets" / "raw" / "demo"], store)
    port = _free_port()
    env = dict(os.environ, AGGLO_STORE=str(store))
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "serve.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        times = measure(url, page_path=args.page)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    shown = ", ".join(f"{t:.2f}" for t in times)
    page = args.page or "overview"
    print(f"redraw after a change of year ({page}): {shown} s; "
          f"median {statistics.median(times):.2f} s (target < 1 s)")  # fmt: skip


if __name__ == "__main__":
    main()
