"""Uploads from the app: checks by content, safe names, staging, diff, commit."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from analytics.etl import uploads as up
from analytics.etl.pipeline import run_etl
from analytics.etl.writer import previous_version, restore_previous
from analytics.store import open_store

HEADER = "territory,year,indicator,value,unit\n"
BASE = (
    HEADER
    + "92730000,2020,population,530000,чел.\n"
    + "92730000,2020,budget_revenue,1000,тыс. руб.\n"
)


def _xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.append(["x", 1])
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("data.csv", "data.csv"),
        ("../../etc/passwd.csv", "passwd.csv"),
        ("..\\..\\win\\Таблица.XLSX", "Таблица.xlsx"),
        (".hidden.csv", "hidden.csv"),
        ("a\x00b\x1b[31m\u202e.csv", "ab[31m.csv"),
        ('what:is*this?<>|".xls', "what_is_this_____.xls"),
        ("...csv", "upload.csv"),
        ("я" * 300 + ".csv", "я" * 88 + ".csv"),
    ],
)
def test_safe_name(name, expected):
    assert up.safe_name(name) == expected
    assert len(up.safe_name(name).encode()) <= up.MAX_NAME_BYTES


@pytest.mark.parametrize("name", ["script.py", "data.pkl", "noext", "", "a.csv/"])
def test_safe_name_refuses_other_types(name):
    with pytest.raises(up.UploadError):
        up.safe_name(name)


def test_target_path_stays_inside(tmp_path):
    folder = tmp_path / "uploads"
    folder.mkdir()
    assert up.target_path(folder, "../x.csv") == (folder / "x.csv").resolve()
    (folder / "link.csv").symlink_to(tmp_path / "outside.csv")
    with pytest.raises(up.UploadError, match="выходит за папку"):
        up.target_path(folder, "link.csv")


def test_types_are_judged_by_content():
    xlsx = _xlsx_bytes()
    assert up.sniff_type(xlsx) == "xlsx"
    assert up.sniff_type(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100) == "xls"
    assert up.sniff_type("год;значение\n2020;1,5\n".encode("cp1251")) == "csv"
    assert up.sniff_type("год,значение\n".encode("utf-8-sig")) == "csv"
    assert up.sniff_type(b"a,b\n\x00\x01") is None
    assert up.sniff_type(bytes(range(256))) is None
    assert up.sniff_type(b"\x1b\x02text") is None
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert up.sniff_type(other_zip.getvalue()) is None
    assert up.sniff_type(b"PK\x03\x04 broken") is None


def test_check_upload_limits_and_renames():
    xlsx = _xlsx_bytes()
    renamed = up.check_upload("table.xls", xlsx)
    assert renamed.name == "table.xlsx" and renamed.kind == "xlsx" and renamed.note
    with pytest.raises(up.UploadError, match="big.csv: .*больше предела 1 МБ"):
        up.check_upload("big.csv", b"a" * ((1 << 20) + 1), max_bytes=1 << 20)
    with pytest.raises(up.UploadError, match="по содержимому это xlsx"):
        up.check_upload("table.csv", xlsx)
    with pytest.raises(up.UploadError, match="пуст"):
        up.check_upload("e.csv", b"")
    with pytest.raises(up.UploadError, match="не похоже"):
        up.check_upload("g.xlsx", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)


def test_check_uploads_counts_and_duplicates(monkeypatch):
    monkeypatch.setenv("AGGLO_MAX_UPLOAD_MB", "1")
    assert up.max_upload_bytes() == 1 << 20
    files = [(f"f{i}.csv", b"a,b\n1,2\n") for i in range(up.MAX_FILES + 2)]
    files.append(("f0.csv", b"a,b\n"))
    accepted, refused = up.check_uploads(files)
    assert len(accepted) == up.MAX_FILES
    assert len(refused) == 3
    assert all("больше 20 файлов" in r for _, r in refused)


@pytest.fixture
def live(tmp_path, monkeypatch):
    raw = tmp_path / "data" / "raw"
    (raw / "base").mkdir(parents=True)
    (raw / "base" / "base.csv").write_text(BASE, encoding="utf-8")
    store = tmp_path / "warehouse"
    assert run_etl([raw], store).exit_code == 0
    monkeypatch.setenv("AGGLO_RAW", str(raw))
    return raw, store


def test_stage_diff_confirm_and_restore(live):
    raw, store = live
    before = open_store(store)
    csv = (
        HEADER
        + "92730000,2020,population,531000,чел.\n"  # revision
        + "92730000,2021,population,532000,чел.\n"  # new year
        + "92730000,2021,Новый показатель,5,%\n"  # new indicator
        + "Атлантида,2021,population,1,чел.\n"  # unmatched
    )
    accepted, refused = up.check_uploads(
        [("../new.csv", csv.encode("cp1251")), ("bad.xlsx", b"\0" * 10)]
    )
    assert [u.name for u in accepted] == ["new.csv"] and refused[0][0] == "bad.xlsx"
    accepted.append(up.Upload("broken.xlsx", "xlsx", b"PK\x03\x04 x"))
    progress = []
    staging = up.stage(
        accepted, store=store, on_progress=lambda d, t, n: progress.append((d, t))
    )
    assert progress[-1][0] == progress[-1][1] == 3
    assert staging.root.parent == raw / up.STAGING  # stays inside the data folder
    assert open_store(store).version == before.version  # live store untouched
    assert not (raw / "uploads").exists()
    files = up.file_table(staging.report).set_index("file")
    assert files.status["uploads/new.csv"] == "загружен"
    assert files.status["uploads/broken.xlsx"] == "отклонён"
    assert files.status["base/base.csv"] == "без изменений"
    assert list(up.unmatched_table(staging.report).territory) == ["Атлантида"]
    assert [u.name for u in staging.loaded()] == ["new.csv"]

    diff = up.diff_stores(before, open_store(staging.store))
    assert diff.new_years == [2021]
    assert any("novyy" in i or "Новый" in i for i in diff.new_indicators), diff
    revised = diff.revised.set_index(["territory_id", "indicator_id", "year"])
    assert revised.loc[("92730000", "population", 2020)].tolist() == [530000, 531000]
    assert (
        "2021" in diff.new_indicator_years.set_index("indicator_id").years["population"]
    )
    assert diff.removed == 0 and diff.added >= 2

    report = up.commit(staging, store=store)
    assert not staging.root.exists()
    assert sorted(p.name for p in (raw / "uploads").iterdir()) == ["new.csv"]
    after = open_store(store)
    assert after.version != before.version and report.changed
    pop = after.observations.query("indicator_id == 'population' and year == 2020")
    assert pop.value.tolist() == [531000]
    assert previous_version(store) == before.version
    assert restore_previous(store) == before.version
    assert open_store(store).version == before.version


def test_diff_of_identical_stores_is_empty(live):
    _, store = live
    diff = up.diff_stores(open_store(store), open_store(store))
    assert diff.empty and not diff.new_indicators and diff.revised.empty
    first = up.diff_stores(None, open_store(store))
    assert first.added == len(open_store(store).observations)


def test_discard_and_stale_cleanup(live):
    raw, store = live
    staging = up.stage([up.check_upload("x.csv", BASE.encode())], store=store)
    up.discard(staging)
    assert not staging.root.exists()
    staging = up.stage([], store=store)
    assert up.clear_stale_staging(raw, older_than=-1) == 1
    assert not staging.root.exists()


def test_upload_replacing_a_file_keeps_the_original_until_commit(live):
    raw, store = live
    (raw / "uploads").mkdir()
    (raw / "uploads" / "v.csv").write_text(BASE, encoding="utf-8")
    run_etl([raw], store)
    new = BASE.replace("530000", "999")
    staging = up.stage([up.check_upload("v.csv", new.encode())], store=store)
    assert staging.replaces == ["v.csv"]
    assert (raw / "uploads" / "v.csv").read_text(encoding="utf-8") == BASE
    up.discard(staging)
    assert Path(raw / "uploads" / "v.csv").read_text(encoding="utf-8") == BASE
