"""Shared fixtures: the genuine Rosstat files in ../shared/data (read, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics import i18n

# a string without a translation fails the test that shows it (the app falls
# back to Russian)
i18n.STRICT = True

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"genuine Rosstat files not found at {SHARED_DATA} "
            "(they sit beside the project in CI, not in a user's clone)"
        )
    return SHARED_DATA


DEMO_RAW = ROOT / "datasets" / "raw" / "demo"


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    """A store built once per session from the committed demo files."""
    from analytics.etl.pipeline import run_etl

    files = [p for p in DEMO_RAW.rglob("*") if p.is_file() and p.name != ".gitkeep"]
    if not files:
        pytest.fail(f"demo files missing in {DEMO_RAW}: run datasets/make_demo.py")
    store = tmp_path_factory.mktemp("demo") / "store"
    run_etl([DEMO_RAW], store)
    return store
