"""The ETL, the console, the XLSX download and Markdown against 150 hostile
inputs (:mod:`tests.robustness.hostile`), all in one raw folder.

For every input: no traceback (the CLI's exit code is 0 or 1, nothing on
stderr, and no file rejected for a reader's own failure), the store equals a
fresh rebuild of the same raw folder (and stays byte for byte as it was when
only rejected inputs are added), nothing non-finite or out of the catalog's
range is stored, a symbolic link is not followed, and nothing the input
carries (its name, its cells) gets into the console, an XLSX download or
Markdown unescaped. The counts are printed (``pytest -s``) and the last four
must be 0.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import re
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from analytics import escape
from analytics.chart_model import Chart
from analytics.charts import wrap
from analytics.etl import pipeline
from analytics.etl.__main__ import main as etl_main
from analytics.etl.pipeline import run_etl
from analytics.store import open_store
from tests.robustness.hostile import CITY, HEADER, TOWN, hostile_inputs

GOOD = (
    HEADER
    + f"{CITY},2020,population,530000,чел.\n"
    + f"{CITY},2020,budget_revenue,11587000,тыс. руб.\n"
    + f"{TOWN},2020,population,1300000,чел.\n"
)

_resolver = functools.cache(pipeline.load_resolver)
_catalog = functools.cache(pipeline.indicator_catalog.load_catalog)


#: input → (status, words its message must contain)
EXPECTED = {
    "number_01.csv": ("rejected", "бесконечность вместо числа: '1e309'"),
    "number_06.csv": ("rejected", "бесконечность вместо числа: 'Infinity'"),
    "header_only.csv": ("rejected", "только заголовок"),
    "enc_mixed_lines.csv": ("loaded", ""),
    "share_out_of_range.csv": ("rejected", "вне правдоподобного диапазона"),
    "xlsx_uncached_formulas.xlsx": ("loaded", "формула без сохранённого значения"),
    "over_row_limit.csv": ("rejected", "60 строк — больше предела 50"),
    "bomb_ratio.xlsx": ("rejected", "zip-бомбы"),
    "dup_differ.csv": ("loaded", "с другим значением"),
}


def _tree(store: Path) -> dict[str, str]:
    return {
        str(p.relative_to(store)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(store.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def _resolved(store: Path) -> pd.DataFrame:
    obs = open_store(store).observations
    key = ["territory_id", "indicator_id", "year"]
    return (
        obs[[*key, "value"]]
        .astype({"indicator_id": str, "territory_id": str, "year": int})
        .sort_values(key)
        .reset_index(drop=True)
    )


def _cli(raw: Path, store: Path, report: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = etl_main(
            [
                "--raw",
                str(raw),
                "--store",
                str(store),
                "--quiet",
                "--report",
                str(report),
            ]
        )
    return code, out.getvalue(), err.getvalue()


#: Characters that format in Streamlit's Markdown anywhere in a line
#: (emphasis, code, links, HTML, headings, tables, strikethrough, directives
#: and autolinks, LaTeX, entities); «!» only before «[», which is escaped.
_MD_SPECIAL = set("\\`*_{}[]()<>#|~:$&")
_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _markdown_safe(text: str) -> bool:
    """Every Markdown/HTML special character is escaped by a backslash, a
    list cannot start («1.», «-», «+»), and no control character is left
    (so nothing renders but the text itself)."""
    if re.match(r"\s*(\d+[.)]|[-+])", text):
        return False
    i = 0
    while i < len(text):
        ch = text[i]
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            return False
        if ch == "\\":
            if i + 1 < len(text) and text[i + 1] in _PUNCTUATION:
                i += 2
                continue
            return False
        if ch in _MD_SPECIAL:
            return False
        i += 1
    return True


def _console_safe(text: str) -> bool:
    return all(
        ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")
        for ch in text
    )


def _top(name: str) -> str:
    return name.split("/")[0]


@pytest.fixture
def hostile_run(tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "load_resolver", _resolver)
    monkeypatch.setattr(pipeline.indicator_catalog, "load_catalog", _catalog)
    monkeypatch.setenv("AGGLO_MAX_ROWS", "50")
    raw, store = tmp_path / "raw", tmp_path / "store"
    raw.mkdir()
    (raw / "good.csv").write_text(GOOD, encoding="utf-8")
    assert run_etl([raw], store).exit_code == 0
    base = tmp_path / "base_store"
    shutil.copytree(store, base)
    inputs = hostile_inputs()
    for item in inputs:
        path = raw / item.name
        path.parent.mkdir(parents=True, exist_ok=True)
        item.build(path)
    code, out, err = _cli(raw, store, tmp_path / "report.json")
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    return inputs, raw, store, base, code, out, err, report


def test_hostile_inputs(hostile_run, tmp_path):
    inputs, raw, store, base, code, out, err, report = hostile_run
    files = {f["path"]: f for f in report["files"]}
    skipped = {s["path"]: s["reason"] for s in report["skipped"]}
    tracebacks, wrong, injections, unaccounted = [], [], [], []

    # --- no traceback: the CLI ends normally, and no reader failed inside
    assert code in (0, 1) and err == "", err
    for path, f in files.items():
        if "файл не прочитан (" in f["error"]:
            tracebacks.append((path, f["error"]))

    # --- every input is accounted for: read (loaded or rejected) or skipped
    outcome = {}
    for item in inputs:
        if item.name in files:
            outcome[item.name] = files[item.name]["status"]
        elif _top(item.name) in skipped:
            outcome[item.name] = "skipped"
        else:
            unaccounted.append(item.name)

    # --- inputs whose outcome is known say what they are
    for name, (status, words) in EXPECTED.items():
        f = files.get(name)
        said = (f["error"] + " ".join(f["reject_examples"])) if f else ""
        if f is None or f["status"] != status or words not in said:
            wrong.append((f"{name}: expected {status} «{words}»", f))

    # --- the store is the raw folder's: a fresh rebuild gives the same
    fresh = tmp_path / "fresh"
    run_etl([raw], fresh)
    incremental, rebuilt = _resolved(store), _resolved(fresh)
    if not incremental.equals(rebuilt):
        merged = incremental.merge(rebuilt, how="outer", indicator=True)
        wrong.append(("store ≠ fresh rebuild", merged[merged._merge != "both"]))
    values = incremental.value.to_numpy()
    if not np.isfinite(values).all():
        wrong.append(("non-finite values stored", incremental[~np.isfinite(values)]))
    catalog = _catalog()
    for indicator_id, group in incremental.groupby("indicator_id"):
        entry = catalog.entries.get(indicator_id)
        if entry is None or entry.formula:
            continue
        low, high = entry.range
        outside = group[
            (group.value < (low or -np.inf)) | (group.value > (high or np.inf))
        ]
        if len(outside):
            wrong.append((f"{indicator_id} outside its range", outside))
    secret = incremental[
        (incremental.territory_id == TOWN)
        & (incremental.indicator_id == "population")
        & (incremental.value == 1)
    ]
    if len(secret):
        wrong.append(("a symbolic link was followed", secret))

    # --- rejected inputs alone leave the store byte for byte as it was
    rejected = [i for i in inputs if outcome.get(i.name) == "rejected"]
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "good.csv").write_text(GOOD, encoding="utf-8")
    for item in rejected:
        path = alone / item.name
        path.parent.mkdir(parents=True, exist_ok=True)
        item.build(path)
    before = _tree(base)
    again = run_etl([alone], base)
    still_rejected = {f.path for f in again.files if f.status == "rejected"}
    for item in rejected:
        if item.name not in still_rejected:
            wrong.append((f"{item.name!r} rejected only beside the others", None))
    if _tree(base) != before or again.changed:
        wrong.append(("rejected inputs changed the store", None))

    # --- nothing the inputs carry gets into an output unescaped
    lines = out.splitlines()
    if not _console_safe(out):
        injections.append(("console: a control character printed", out))
    genuine_rejected = sum(1 for f in files.values() if f["error"])
    if sum(line.startswith("ОТКЛОНЁН ") for line in lines) != genuine_rejected:
        injections.append(("console: a forged «ОТКЛОНЁН» line", out))
    if sum(line.startswith("ПРОПУЩЕН ") for line in lines) != len(skipped):
        injections.append(("console: a forged «ПРОПУЩЕН» line", out))
    opened = open_store(store)
    texts = {item.name for item in inputs}
    texts |= set(opened.rejects.raw_value) | set(opened.rejects.reason)
    texts |= set(opened.indicators.name_ru) | set(opened.sources.path)
    for text in texts:
        if not _markdown_safe(escape.markdown(text)):
            injections.append(("markdown", text))
        if re.search(r"<(?!br>)", wrap(text, 40)):
            injections.append(("plotly/HTML", text))
        if "<" in escape.html(text) or '"' in escape.html(text):
            injections.append(("html", text))
    sheet = _xlsx_cells(opened, [i.name for i in inputs])
    for cell in sheet:
        if cell.data_type == "f" or (
            escape.looks_like_formula(cell.value) and not cell.quotePrefix
        ):
            injections.append(("xlsx formula", cell.value))

    counts = {
        "inputs tried": len(inputs),
        "handled cleanly": len(inputs)
        - len({n for n, _ in tracebacks} | set(unaccounted))
        - (len(inputs) if wrong or injections else 0),
        "tracebacks": len(tracebacks),
        "wrong stores": len(wrong),
        "injections": len(injections),
        "unaccounted": len(unaccounted),
    }
    by_outcome = pd.Series(outcome).value_counts().to_dict()
    print(f"\nhostile inputs: {counts}; outcomes: {by_outcome}")
    assert len(inputs) >= 150
    assert not tracebacks, tracebacks
    assert not unaccounted, unaccounted
    assert not wrong, wrong
    assert not injections, injections[:5]


def _xlsx_cells(store, names: list[str]) -> list:
    """The cells of the XLSX download of a table that carries the inputs'
    names, the store's sources and rejects (what the app can export)."""
    from analytics import export

    data = pd.DataFrame({"file": names + list(store.rejects.raw_value)})
    data["reason"] = [*([""] * len(names)), *store.rejects.reason]
    chart = Chart(
        key="hostile",
        figure=None,
        data=data,
        title=names[0],
        caption="=1+1",
        unit="@unit",
        year="-2020",
        source=", ".join(store.sources.path),
    )
    book = openpyxl.load_workbook(
        io.BytesIO(export.charts_to_xlsx([chart], title="=TITLE()", source="+src"))
    )
    return [
        cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
    ]
