"""The app in a real browser: Debian's chromium driven by Playwright.

Starts the app as `make run` does (`serve.py`) on a loopback port on the demo store,
opens every page, switches agglomeration and language, and saves screenshots
to ``tests/app/screenshots/`` (git-ignored) for people to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from analytics.views import registry

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(__file__).with_name("screenshots")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = [Path(page.script).stem for page in registry.PAGES]
# Only the pages this checkout has (the dashboard lists a page once its file exists).
PAGES = [name for name in PAGES if (ROOT / "app_pages" / f"{name}.py").exists()]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(demo_store):
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make setup installs it as root)")
    port = _free_port()
    env = dict(os.environ, AGGLO_STORE=str(demo_store))
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "serve.py"),  # as `make run` starts it (with the warm-up)
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not answer within 60 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _settle(page) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector("[data-testid='stApp']", timeout=30_000)
    page.wait_for_timeout(700)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=90_000
    )
    page.wait_for_timeout(1200)


def test_every_page_renders_in_the_browser(app_url):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # The app must work offline: nothing may leave the machine (map
        # files, fonts, favicons from a CDN).
        outside: list[str] = []
        page.on(
            "request",
            lambda req: (
                None
                if req.url.startswith((app_url, "data:", "blob:"))
                else outside.append(req.url)
            ),
        )
        for lang in ("ru", "en"):
            for name in PAGES:
                path = "" if name == "overview" else name
                page.goto(f"{app_url}/{path}?lang={lang}")
                _settle(page)
                text = page.inner_text("[data-testid='stMain']")
                assert "Traceback" not in text, f"{name} ({lang}) shows a traceback"
                assert "Page not found" not in page.content(), name
                assert "Error" not in page.inner_text("[data-testid='stMain'] h1"), name
                page.screenshot(path=str(SHOTS / f"{lang}_{name}.png"), full_page=True)
        # Switch the agglomeration in the sidebar and check the title follows.
        page.goto(f"{app_url}/?lang=ru")
        _settle(page)
        before = page.inner_text("h1")
        page.locator(
            "[data-testid='stSidebar'] [data-testid='stSelectbox']"
        ).first.click()
        page.locator("[role='option']").nth(1).click()
        _settle(page)
        after = page.inner_text("h1")
        assert after != before, (
            "switching the agglomeration did not change the overview"
        )
        assert "agg=" in page.url
        page.screenshot(path=str(SHOTS / "ru_overview_switched.png"), full_page=True)
        # Click a territory's bar: its profile opens.
        page.goto(f"{app_url}/finance?lang=ru")
        _settle(page)
        bar = page.locator(".js-plotly-plot .bars .point path").first
        bar.evaluate("e => e.scrollIntoView({block: 'center'})")
        box = bar.bounding_box()  # plotly's drag layer takes the events
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_timeout(300)
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        _settle(page)
        assert "/profile" in page.url, page.url
        assert "Профиль территории" in page.inner_text("h1")
        page.screenshot(path=str(SHOTS / "ru_profile_clicked.png"), full_page=True)
        page.goto(f"{app_url}/?lang=ru")
        _settle(page)
        # Switch the language with the sidebar radio.
        page.get_by_text("English").click()
        _settle(page)
        assert "Agglomeration overview" in page.inner_text("h1")
        browser.close()
    assert not errors, errors
    assert not outside, f"requests left the machine: {sorted(set(outside))[:5]}"
