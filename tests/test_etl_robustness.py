"""The ETL against bad inputs, interruptions, concurrent runs and conflicts.

Every bad file is built here, in a temporary folder. For each: a message that
names the file (and the sheet and cell where one applies), the exit code of
DESIGN.md, and a store left byte for byte as it was when the file is
rejected.
"""

from __future__ import annotations

import hashlib
import io
import os
import signal
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.etl.clean import parse_value
from analytics.etl.pipeline import run_etl
from analytics.etl.readers import read_file
from analytics.etl.writer import StoreLockedError, store_lock
from analytics.store import open_store

ROOT = Path(__file__).resolve().parents[1]

GOOD_CSV = (
    "territory,year,indicator,value,unit\n"
    "92730000,2020,population,530000,чел.\n"
    "92730000,2020,budget_revenue,1000,тыс. руб.\n"
    "92730000,2021,population,532000,чел.\n"
)


def _xlsx(path: Path, rows: list[list], title: str = "Т1") -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)


def _xlsx_bytes(rows: list[list]) -> bytes:
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(buffer)
    return buffer.getvalue()


REGION_TABLE = [
    ["Регионы России. 2024"],
    ["ЧИСЛЕННОСТЬ ВРАЧЕЙ"],
    ["На 10 000 человек населения"],
    ["(человек)"],
    [None, 2021, 2022],
    ["Российская Федерация", "50,1", 51.2],
    ["г. Севастополь", 45, 46],
]


def _tree_hash(store: Path) -> dict[str, str]:
    """Hash of every file of the store (``.lock`` holds who ran last, not data)."""
    return {
        str(p.relative_to(store)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(store.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


@pytest.fixture
def base(tmp_path):
    """A raw folder with one good file and the store built from it."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "good.csv").write_text(GOOD_CSV, encoding="utf-8")
    store = tmp_path / "store"
    assert run_etl([raw], store).exit_code == 0
    return raw, store


def _zip_bomb_declared(path: Path) -> None:
    """A small xlsx whose sheet member *declares* 4 GB once inflated (the
    central directory is patched); nothing may inflate it to find out."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<x/>" * 100)
    data = bytearray(buffer.getvalue())
    # Central directory entry: signature PK\1\2, uncompressed size at +24.
    at = data.find(b"PK\x01\x02", data.find(b"xl/worksheets") - 100)
    while at != -1:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_len] == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<I", data, at + 24, 0xFFFF0000)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def _zip_bomb_ratio(path: Path) -> None:
    """A real deflate bomb, kept small: 8 MB of zeros in a ~8 KB member."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 << 20))
    path.write_bytes(buffer.getvalue())


def _truncated(path: Path) -> None:
    data = _xlsx_bytes(REGION_TABLE)
    path.write_bytes(data[: len(data) // 2])


def _shifted(path: Path) -> None:
    # Two header rows, the years shifted one column right of the data.
    _xlsx(
        path,
        [
            ["Регионы России. 2024"],
            ["ЧИСЛЕННОСТЬ ВРАЧЕЙ"],
            ["(человек)"],
            [None, None, "Годы"],
            [None, None, 2021, 2022],
            ["Российская Федерация", "50,1", 51.2],
            ["г. Севастополь", 45, 46],
        ],
    )


def _csv(text: str, encoding: str = "utf-8"):
    return lambda path: path.write_bytes(text.encode(encoding))


#: name of the bad file → (how to build it, words the message must contain)
REJECTED = {
    "empty.csv": (_csv(""), ["empty.csv", "пуст"]),
    "empty.xlsx": (lambda p: p.write_bytes(b""), ["empty.xlsx", "Excel"]),
    "garbage.xlsx": (
        lambda p: p.write_bytes(bytes(range(256)) * 64),
        ["garbage.xlsx", "Excel"],
    ),
    "truncated.xlsx": (_truncated, ["truncated.xlsx", "Excel"]),
    "bomb_declared.xlsx": (_zip_bomb_declared, ["bomb_declared.xlsx", "zip-бомб"]),
    "bomb_ratio.xlsx": (_zip_bomb_ratio, ["bomb_ratio.xlsx", "sheet1.xml"]),
    "nul.csv": (
        _csv("territory,year,indicator,value\n\0\0\0"),
        ["nul.csv", "нулевые байты"],
    ),
    "shifted.xlsx": (_shifted, ["shifted.xlsx", "лист «Т1»", "B6", "смещена"]),
    "year_text.csv": (
        _csv(
            "territory,year,indicator,value,unit\n"
            "92730000,двадцатый,population,1,чел.\n"
            "92730000,н/д,population,2,чел.\n"
        ),
        ["year_text.csv", "строка 2", "«year»", "год не распознан"],
    ),
    "unknown.csv": (
        _csv(
            "territory,year,indicator,value,unit\n"
            "Атлантида,2020,population,5,чел.\n"
            "Эльдорадо,2020,population,7,чел.\n"
        ),
        ["unknown.csv", "Атлантида"],
    ),
    "columns.csv": (_csv("a,b,c\n1,2,3\n"), ["columns.csv", "столбцы"]),
}


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_bad_file_is_rejected_with_its_name_and_store_unchanged(base, name):
    raw, store = base
    build, words = REJECTED[name]
    before = _tree_hash(store)
    build(raw / name)
    report = run_etl([raw], store)
    assert report.exit_code == 1
    bad = {f.path: f for f in report.files}[name]
    assert bad.status == "rejected"
    for word in words:
        assert word in bad.error, (word, bad.error)
    assert f"ОТКЛОНЁН {name}" in report.summary_table()
    assert {f.path: f.status for f in report.files}["good.csv"] == "unchanged"
    assert _tree_hash(store) == before
    assert len(open_store(store).observations) == 4  # 3 + 1 derived


def test_rows_over_the_limit_are_refused(base, monkeypatch):
    raw, store = base
    monkeypatch.setenv("AGGLO_MAX_ROWS", "1000")
    lines = "".join(
        f"92730000,{1900 + i % 200},population,{i},чел.\n" for i in range(1500)
    )
    (raw / "huge.csv").write_text("territory,year,indicator,value,unit\n" + lines)
    _xlsx(raw / "huge.xlsx", [[i] for i in range(1200)])
    before = _tree_hash(store)
    report = run_etl([raw], store)
    errors = {f.path: f.error for f in report.files if f.status == "rejected"}
    assert "больше предела 1 000" in errors["huge.csv"]
    assert "лист «Т1»" in errors["huge.xlsx"] and "1 200 строк" in errors["huge.xlsx"]
    assert report.exit_code == 1 and _tree_hash(store) == before


def test_cp1251_csv_is_read(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    text = (
        "Территория;Год;Показатель;Значение;Единица измерения\n"
        "Республика Татарстан (Татарстан);2020;population;3 894 120;чел.\n"
        "г. Набережные Челны;2020;Доля жителей с высшим образованием;31,5;%\n"
    )
    (raw / "win.csv").write_bytes(text.encode("cp1251"))
    report = run_etl([raw], tmp_path / "store")
    assert report.exit_code == 0, report.summary_table()
    store = open_store(tmp_path / "store")
    obs = store.observations.set_index(["territory_id", "indicator_id"]).value
    assert obs[("RU-TA", "population")] == 3_894_120
    names = set(store.indicators.name_ru)
    assert "Доля жителей с высшим образованием" in names


def test_cell_level_problems_are_named_and_the_rest_loads(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "mixed.csv").write_text(
        "territory,year,indicator,value,unit\n"
        "92730000,2020,population,530000,чел.\n"
        "92730000,2020,population,540000,чел.\n"  # duplicate, other value
        "92730000,2021,population,-5,чел.\n"  # negative count
        "92730000,2022,population,531,тыс. чел.\n"  # same indicator, other scale
        "92730000,2023,population,12,%\n"  # same indicator, unit of another kind
        "92730000,2020,budget_revenue,1000,тыс. руб.\n",
        encoding="utf-8",
    )
    report = run_etl([raw], tmp_path / "store")
    assert report.exit_code == 0
    store = open_store(tmp_path / "store")
    population = (
        store.observations[store.observations.indicator_id == "population"]
        .set_index("year")
        .value
    )
    assert population.to_dict() == {2020: 530000, 2022: 531000}
    reasons = store.rejects.set_index("cell").reason
    assert "оставлено 530000" in reasons["строка 3, столбец «value»"]
    assert "отрицательное" in reasons["строка 4, столбец «value»"]
    assert "«%»" in reasons["строка 6, столбец «value»"]
    summary = report.summary_table()
    assert "Отклонены значения в mixed.csv (3)" in summary
    assert "строка 4, столбец «value»: отрицательное" in summary


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analytics.etl", "--quiet", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_cli_exit_codes(base, tmp_path):
    raw, store = base
    ok = _cli("--raw", str(raw), "--store", str(store))
    assert ok.returncode == 0, ok.stderr
    before = _tree_hash(store)
    _zip_bomb_declared(raw / "bomb.xlsx")
    bad = _cli("--raw", str(raw), "--store", str(store))
    assert bad.returncode == 1
    assert "ОТКЛОНЁН bomb.xlsx" in bad.stdout and "zip-бомб" in bad.stdout
    assert _tree_hash(store) == before
    usage = _cli("--store", str(store))
    assert usage.returncode == 2 and "--raw" in usage.stderr
    missing = _cli("--raw", str(tmp_path / "nowhere"), "--store", str(store))
    assert missing.returncode == 2 and "нет такой папки" in missing.stderr
    with store_lock(store):
        locked = _cli("--raw", str(raw), "--store", str(store))
    assert locked.returncode == 2
    assert "обновляет другой запуск ETL" in locked.stderr
    assert f"процесс {os.getpid()}" in locked.stderr
    assert _tree_hash(store) == before


# ---------------------------------------------------------------- properties


def _russian(value: float, digits: int, sep: str) -> str:
    text = f"{value:,.{digits}f}"
    return text.replace(",", sep).replace(".", ",")


@settings(max_examples=300, deadline=None)
@given(
    value=st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
    digits=st.integers(0, 4),
    sep=st.sampled_from(["\u00a0", " ", "\u202f", "\u2009", ""]),
)
def test_russian_formatted_numbers_parse_back(value, digits, sep):
    text = _russian(value, digits, sep)
    parsed = parse_value(text)
    assert parsed.kind == "ok", (text, parsed)
    expected = float(f"{value:.{digits}f}")
    assert parsed.value == expected, (text, parsed.value, expected)


@settings(max_examples=300, deadline=None)
@given(raw=st.one_of(st.text(max_size=30), st.floats(), st.integers(), st.none()))
def test_parse_value_never_raises(raw):
    parsed = parse_value(raw)
    assert parsed.kind in ("ok", "missing", "invalid")
    if parsed.kind == "ok":
        assert np.isfinite(parsed.value)
    else:
        assert parsed.value is None and parsed.reason


_cells = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"),
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(
        st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
        min_size=1,
        max_size=8,
    ),
    digits=st.integers(0, 3),
    delimiter=st.sampled_from([";", "\t", ","]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1251"]),
    junk=st.lists(_cells, max_size=4),
)
def test_tidy_reader_reads_russian_numbers(
    tmp_path_factory, values, digits, delimiter, encoding, junk
):
    folder = tmp_path_factory.mktemp("tidy")
    lines = ["территория", "год", "показатель", "значение", "единица"]
    rows = [delimiter.join(lines)]
    for i, value in enumerate(values):
        cell = _russian(value, digits, "\u00a0" if delimiter != " " else "")
        if delimiter == ",":
            cell = f'"{cell}"'
        rows.append(
            delimiter.join(["92730000", str(2000 + i), "Показатель", cell, "ед."])
        )
    for j, text in enumerate(junk):  # arbitrary text in the value column
        quoted = '"' + text.replace('"', '""') + '"'
        rows.append(
            delimiter.join(["92730000", str(1950 + j), "Показатель", quoted, "ед."])
        )
    path = folder / "t.csv"
    try:
        path.write_bytes("\n".join(rows).encode(encoding))
    except UnicodeEncodeError:
        return  # junk outside cp1251: not a file anyone could have
    result = read_file(path)
    records = result.all_records().sort_values("year")
    got = dict(zip(records.year, records.value, strict=True))
    for i, value in enumerate(values):
        assert got[2000 + i] == float(f"{value:.{digits}f}")
    assert len(records) + len(result.rejects) == len(values) + len(junk)


# ----------------------------------------------------------------- atomicity


def _big_raw(folder: Path, rows: int = 24_000) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    years = 1950 + np.arange(rows) % 70
    indicators = np.array([f"ind_{k}" for k in range(115)])[np.arange(rows) // 70 % 115]
    territories = np.array(["92730000", "92701000", "RU-TA"])[
        np.arange(rows) // 8_000 % 3
    ]
    frame = pd.DataFrame(
        {
            "territory": territories,
            "year": years,
            "indicator": indicators,
            "value": rng.normal(100, 10, rows).round(3),
            "unit": "ед.",
        }
    ).drop_duplicates(["territory", "year", "indicator"])
    for k in range(3):
        frame.assign(indicator=frame.indicator + f"_{k}").to_csv(
            folder / f"big_{k}.csv", index=False
        )


def _run_and_kill(raw: Path, store: Path, moment: tuple[str, float]) -> bool:
    """Start the CLI and SIGKILL it: ("t", s) after s seconds, or ("write", s)
    s seconds after it starts writing the new version. False when it ended
    before the kill."""
    process = subprocess.Popen(
        [sys.executable, "-m", "analytics.etl", "--quiet"]
        + ["--raw", str(raw), "--store", str(store)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    kind, delay = moment
    if kind == "write":
        while process.poll() is None and not list((store / "versions").glob(".v*.tmp")):
            time.sleep(0.002)
    time.sleep(delay)
    if process.poll() is not None:
        return False
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return True


def test_killed_run_leaves_the_previous_store_live(base):
    raw, store = base
    reference = open_store(store)
    before = _tree_hash(store)
    _big_raw(raw / "big")
    outcomes = []
    moments = [("t", 0.5), ("write", 0.0), ("write", 0.01), ("write", 0.03)]
    for moment in moments:
        if not _run_and_kill(raw, store, moment):
            outcomes.append("finished")
            break
        current = open_store(store)  # opens: never half a store
        if current.version == reference.version:  # killed before the swap
            assert _tree_hash_live(store, current.version) == {
                k: v for k, v in before.items() if current.version in k
            }
            pd.testing.assert_frame_equal(current.observations, reference.observations)
            outcomes.append("before swap")
        else:  # killed after the swap: the new version is complete
            assert len(current.sources) == 4
            assert len(current.observations) == 3 * 24_000 + 4
            outcomes.append("after swap")
    # After the kills, a run completes and clears what they left.
    last = run_etl([raw], store)
    assert last.exit_code == 0
    assert not list((store / "versions").glob(".*.tmp"))
    assert len(open_store(store).observations) == 3 * 24_000 + 4
    assert outcomes[:2] == ["before swap", "before swap"], outcomes


def _tree_hash_live(store: Path, version: str) -> dict[str, str]:
    return {k: v for k, v in _tree_hash(store).items() if version in k}


def test_second_run_is_refused_while_the_first_holds_the_lock(base):
    raw, store = base
    refused = pytest.raises(StoreLockedError, match="обновляет другой запуск ETL")
    with store_lock(store), refused:
        run_etl([raw], store)
    with store_lock(store, wait=True):
        pass  # released: a waiting run gets it


# ----------------------------------------------------------------- conflicts


def test_conflicts_newest_publication_or_pin_wins_and_are_listed(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    header = "territory,year,indicator,value,unit\n"
    (raw / "a_first.csv").write_text(header + "92730000,2020,population,100,чел.\n")
    (raw / "b_later.csv").write_text(header + "92730000,2020,population,200,чел.\n")
    store = tmp_path / "store"
    report = run_etl([raw], store)
    value = open_store(store).observations.query("indicator_id == 'population'").value
    assert list(value) == [200.0]  # without dates, the later path wins
    assert report.conflicts == 1
    example = report.conflict_examples[0]
    assert example["kept_file"] == "b_later.csv" and example["kept_value"] == 200
    assert example["other"] == [{"file": "a_first.csv", "value": 100.0}]
    assert "оставлено 200 из b_later.csv, отложено 100 (a_first.csv)" in (
        report.summary_table()
    )
    # A pin turns it round, and a pin alone makes a new version.
    (raw / "pins.yaml").write_text("pinned:\n  - a_first.csv\n", encoding="utf-8")
    pinned = run_etl([raw], store)
    assert pinned.changed and pinned.pinned == ["a_first.csv"]
    assert pinned.conflict_examples[0]["kept_file"] == "a_first.csv"
    value = open_store(store).observations.query("indicator_id == 'population'").value
    assert list(value) == [100.0]
    assert "pins.yaml" not in [s["path"] for s in pinned.skipped]
    (raw / "pins.yaml").write_text("pinned: [", encoding="utf-8")
    broken = subprocess.run(
        [sys.executable, "-m", "analytics.etl", "--quiet"]
        + ["--raw", str(raw), "--store", str(store)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert broken.returncode == 2 and "pins.yaml" in broken.stderr


def test_two_files_with_the_same_content_share_a_partition(base):
    raw, store = base
    (raw / "copy").mkdir()
    (raw / "copy" / "good.csv").write_text(GOOD_CSV, encoding="utf-8")
    first = run_etl([raw], store)  # the partition is reused under both paths
    assert first.exit_code == 0
    (raw / "other.csv").write_text(GOOD_CSV.replace("1000", "2000"))
    second = run_etl([raw], store)  # used to fail: SameFileError on the link
    assert second.exit_code == 0 and second.changed
    assert len(open_store(store).sources) == 4  # 3 files + derived
