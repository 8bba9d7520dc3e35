"""Shared fixtures: the genuine Rosstat files in ../shared/data (read, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
