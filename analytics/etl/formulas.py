"""Formula cells without a saved value in xlsx/xlsm workbooks.

A workbook written by a program (not saved by Excel) may hold formulas whose
result was never computed: readers see an empty cell. Such a cell is no
«empty cell» of the publication, and the report says what it is. The sheet
XML is searched with a byte pattern (no XML parser: nothing is expanded),
after the archive passed :func:`~analytics.etl.readers.base.check_archive`.
"""

from __future__ import annotations

import html
import posixpath
import re
import zipfile
from pathlib import Path

FORMULA_REASON = (
    "формула без сохранённого значения: книга не пересчитана (откройте её в "
    "Excel и сохраните), значение не загружено"
)

_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_RELATION = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*?>")
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_FORMULA = re.compile(rb"<(?:\w+:)?f\b")
_VALUE = re.compile(rb"<(?:\w+:)?v>\s*[^<\s]")


def _attributes(tag: bytes) -> dict[str, str]:
    return {
        k.decode().split(":")[-1] if k != b"r:id" else "rid": html.unescape(
            v.decode("utf-8", "replace")
        )
        for k, v in _ATTR.findall(tag)
    }


def uncached_formulas(path: Path) -> dict[str, set[str]]:
    """Sheet name → A1 references of cells holding a formula and no saved
    value; empty for other files or when the workbook cannot be searched."""
    if path.suffix.lower() not in {".xlsx", ".xlsm"}:
        return {}
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = archive.read("xl/workbook.xml")
            relations = archive.read("xl/_rels/workbook.xml.rels")
            targets = {}
            for tag in _RELATION.findall(relations):
                attrs = _attributes(tag)
                target = attrs.get("Target", "")
                target = (
                    target.lstrip("/")
                    if target.startswith("/")
                    else posixpath.normpath(posixpath.join("xl", target))
                )
                targets[attrs.get("Id", "")] = target
            found: dict[str, set[str]] = {}
            for tag in _SHEET.findall(workbook):
                attrs = _attributes(tag)
                member = targets.get(attrs.get("rid", ""))
                if not member:
                    continue
                data = archive.read(member)
                if not _FORMULA.search(data):
                    continue
                cells = {
                    _attributes(head).get("r", "")
                    for head, body in _CELL.findall(data)
                    if body and _FORMULA.search(body) and not _VALUE.search(body)
                }
                cells.discard("")
                if cells:
                    found[attrs.get("name", "")] = cells
            return found
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return {}


def mark_formulas(path: Path, rejects: list[dict]) -> int:
    """Rejects of empty cells that hold an uncomputed formula get
    :data:`FORMULA_REASON` (kind ``invalid``); returns how many."""
    formulas = uncached_formulas(path)
    if not formulas:
        return 0
    marked = 0
    for reject in rejects:
        if reject.get("kind") == "missing" and reject.get("cell") in formulas.get(
            reject.get("sheet", ""), ()
        ):
            reject["kind"] = "invalid"
            reject["reason"] = FORMULA_REASON
            marked += 1
    return marked
