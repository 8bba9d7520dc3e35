"""Every string of the three tools exists in both languages with the same
placeholders, and every key the tools' code asks for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

from analytics.i18n import STRINGS
from analytics.i18n_tools import TOOL_STRINGS

ROOT = Path(__file__).resolve().parents[1]
FILES = [
    "analytics/scenario.py",
    "analytics/partners.py",
    "analytics/spatial.py",
    "analytics/views/tools.py",
    "analytics/tool_charts.py",
    "app_pages/scenario.py",
    "app_pages/partners.py",
    "app_pages/spatial.py",
]


def _fields(text: str) -> set[str]:
    # "{n|пара|пары|пар}" is a plural form of n (analytics.i18n.t)
    return {
        name.split("|")[0] for _, name, _, _ in string.Formatter().parse(text) if name
    }


def test_both_languages_same_placeholders():
    for key, entry in TOOL_STRINGS.items():
        assert set(entry) == {"ru", "en"}, key
        assert entry["ru"].strip() and entry["en"].strip(), key
        assert _fields(entry["ru"]) == _fields(entry["en"]), key
        assert STRINGS[key] is entry  # merged into the one table t() reads


def test_keys_used_by_the_tools_exist():
    used = set()
    for name in FILES:
        text = (ROOT / name).read_text(encoding="utf-8")
        used |= set(re.findall(r'\bt\(\s*"([a-z_]+\.[a-z_.0-9]+)"', text))
    assert len(used) > 40
    assert sorted(k for k in used if k not in STRINGS) == []
