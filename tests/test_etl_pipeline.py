"""The ETL end to end: store contents, units, reruns, failures, unseen tables."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pytest

from analytics.etl.__main__ import main as etl_main
from analytics.etl.pipeline import run_etl
from analytics.store import open_store


def _obs(store, territory, indicator, year):
    o = store.observations
    hit = o[
        (o.territory_id == territory) & (o.indicator_id == indicator) & (o.year == year)
    ]
    assert len(hit) == 1, (territory, indicator, year, len(hit))
    return float(hit.value.iloc[0])


@pytest.fixture(scope="module")
def genuine_store(shared_data, tmp_path_factory):
    store = tmp_path_factory.mktemp("store")
    raw = [
        shared_data / "rosstat-regiony-rossii-2019",
        shared_data / "emiss",
        shared_data / "rosstat-site-workbooks",
        shared_data / "bdmo-big-cities" / "big_cities.csv",
        shared_data / "bdmo-big-cities" / "BDMO_id_name.csv",
    ]
    report = run_etl(raw, store)
    return report, open_store(store)


def test_genuine_files_load_without_unexpected_rejects(genuine_store):
    report, store = genuine_store
    assert report.exit_code == 0
    assert all(f.status == "loaded" for f in report.files)
    # One value only: EMISS publishes the CPI of the Koryak okrug for 2007
    # (the year it joined Kamchatka) as 0 %, outside the catalog's range.
    assert sum(f.rejected for f in report.files) == 1
    (bad,) = store.rejects[store.rejects.kind == "invalid"].itertuples()
    assert (bad.sheet, bad.cell, bad.raw_value) == ("Данные", "H104", "0.0")
    assert "cpi_dec" in bad.reason and "диапазон" in bad.reason
    assert not any(f.unmatched for f in report.files)
    assert set(store.rejects.kind) <= {"missing", "skipped", "invalid"}


def test_units_are_converted_and_names_matched(genuine_store, shared_data):
    _, store = genuine_store
    # 5.1.1 beds, thousands → units: RF 2000 = 1671.6 thousand.
    beds = store.indicators[
        store.indicators.name_ru.str.startswith("Число больничных коек: всего")
    ].indicator_id.iloc[0]
    assert _obs(store, "RU", beds, 2000) == pytest.approx(1_671_600)
    assert store.indicators.set_index("indicator_id").unit[beds] == "коек"
    # Catalog mapping by name: doctors per 10 000, Belgorod 2018 = 40.5.
    assert _obs(store, "RU-BEL", "doctors_per_10k", 2018) == 40.5
    # «Алтайский кpай» with a Latin p still lands on RU-ALT.
    assert _obs(store, "RU-ALT", "cpi_dec", 2001) > 100
    # БД ПМО: thousand roubles → roubles; 7-digit OKTMO padded.
    chelny = store.observations[store.observations.territory_id == "92730000"]
    assert not chelny.empty
    assert _obs(store, "92730000", "municipal_admin_wage", 2016) == 33133.7
    panel = pd.read_csv(
        shared_data / "bdmo-big-cities" / "big_cities.csv", dtype={"oktmo": str}
    )
    row = panel.dropna(subset=["t8013001_1", "t8112027_11"]).iloc[0]
    oktmo, year = row.oktmo.zfill(8), int(row.year)
    revenue = _obs(store, oktmo, "budget_revenue", year)
    assert revenue == pytest.approx(row.t8013001_1 * 1000)  # thousand roubles
    population = _obs(store, oktmo, "population", year)
    assert _obs(store, oktmo, "budget_revenue_per_capita", year) == (
        pytest.approx(revenue / population)
    )
    territory = store.territories.set_index("territory_id")
    assert territory.level["92730000"] == "urban_okrug"
    assert territory.region_id["92730000"] == "RU-TA"
    assert territory.region_id["71876000"] == "RU-KHM"  # Сургут: longest prefix
    # Country and districts keep their own levels.
    assert territory.level["RU"] == "country"
    assert territory.level["FD-CEN"] == "federal_district"
    # gos_fin: billions of roubles → roubles.
    assert (
        store.observations[store.observations.territory_id == "RU"].value.max() > 5e13
    )


def test_rerun_same_inputs_changes_nothing(tmp_path, shared_data):
    raw = tmp_path / "raw"
    raw.mkdir()
    folder = shared_data / "rosstat-regiony-rossii-2019"
    for name in [
        "Раздел 5- Здравоохранение.xlsx",
        "Раздел 9- Валовой региональный продукт.xlsx",
    ]:
        shutil.copy(folder / name, raw / name)
    store = tmp_path / "store"
    first = run_etl([raw], store)
    files = {
        p.name: p.read_bytes()
        for p in (store / "versions" / first.version / "observations").iterdir()
    }
    second = run_etl([raw], store)
    assert not second.changed and second.version == first.version
    # One changed file rewrites only its own partition.
    (raw / "Раздел 9- Валовой региональный продукт.xlsx").unlink()
    third = run_etl([raw], store)
    assert third.changed
    parts = store / "versions" / third.version / "observations"
    kept = {p.name: p.read_bytes() for p in parts.iterdir()}
    health = [n for n in kept if n != "derived.parquet"]
    assert len(health) == 1 and kept[health[0]] == files[health[0]]
    assert (parts / health[0]).stat().st_nlink >= 2  # hard link, not a copy
    assert len(open_store(store).sources) == 1  # the removed file left the store


def test_rejected_file_leaves_store_and_exit_code(tmp_path, shared_data, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    good = (
        shared_data / "rosstat-regiony-rossii-2019" / "Раздел 9- Валовой "
        "региональный продукт.xlsx"
    )
    shutil.copy(good, raw / "grp.xlsx")
    store = tmp_path / "store"
    assert etl_main(["--raw", str(raw), "--store", str(store), "--quiet"]) == 0
    before = open_store(store).observations
    (raw / "broken.xlsx").write_bytes(b"PK\x03\x04 truncated zip")
    code = etl_main(
        [
            "--raw",
            str(raw),
            "--store",
            str(store),
            "--quiet",
            "--report",
            str(tmp_path / "r.json"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1 and "broken.xlsx" in out and "ОТКЛОНЁН" in out
    after = open_store(store).observations
    pd.testing.assert_frame_equal(
        before.reset_index(drop=True), after.reset_index(drop=True)
    )
    assert "broken.xlsx" in (tmp_path / "r.json").read_text(encoding="utf-8")
    with pytest.raises(SystemExit) as usage:
        etl_main(["--store", str(store)])
    assert usage.value.code == 2


def _write_rows(path: Path, rows: list[list]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Т1"
    for row in rows:
        sheet.append(row)
    book.save(path)


def test_unseen_region_year_table_and_multiheader(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    # A «Регионы России»-style table the tests never saw: other years, names.
    _write_rows(
        raw / "new.xlsx",
        [
            ["Регионы России. 2024"],
            ["ЧИСЛЕННОСТЬ ВРАЧЕЙ ВСЕХ СПЕЦИАЛЬНОСТЕЙ2)"],
            ["4.12. На 10 000 человек населения"],
            ["(человек)"],
            [None, 2021, 2022, "2023 1)"],
            ["Российская Федерация 1)", "50,1", 51.2, "…"],
            ["Еврейская авт.область", 40, 41, 42],
            ["г. Севастополь", "x", 45.5, "46,5"],
            ["¾¾¾"],
            ["1) Оценка."],
        ],
    )
    # A monitoring table: indicator group / sub-indicator / year headers.
    _write_rows(
        raw / "monitoring.xlsx",
        [
            ["Мониторинг кадров"],
            [
                "Субъект",
                "Численность работников (тысяч человек)",
                None,
                "Среднемесячная заработная плата (рублей)",
                None,
            ],
            [None, 2022, 2023, 2022, 2023],
            ["Кемеровская область - Кузбасс", "1,5", 1.6, 50000, 52000],
            ["Республика Татарстан (Татарстан)", 2.5, 2.6, 60000, "62 000"],
        ],
    )
    store = tmp_path / "store"
    report = run_etl([raw], store)
    assert report.exit_code == 0 and not any(f.unmatched for f in report.files)
    loaded = open_store(store)
    assert _obs(loaded, "RU-YEV", "doctors_per_10k", 2023) == 42
    assert _obs(loaded, "RU", "doctors_per_10k", 2021) == 50.1
    assert _obs(loaded, "RU-SEV", "doctors_per_10k", 2023) == 46.5
    names = loaded.indicators.set_index("name_ru")
    staff = names.loc["Мониторинг кадров: Численность работников"]
    assert staff.unit == "чел."
    assert _obs(loaded, "RU-KEM", staff.indicator_id, 2022) == 1500
    wage = names.loc["Мониторинг кадров: Среднемесячная заработная плата"]
    assert _obs(loaded, "RU-KEM", wage.indicator_id, 2023) == 52000
    assert _obs(loaded, "RU-TA", wage.indicator_id, 2023) == 62000  # «62 000»
    kinds = loaded.rejects.set_index("cell").kind
    assert kinds["D6"] == "missing" and kinds["B8"] == "missing"


def test_tidy_csv_in_cp1251_with_semicolons(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    text = (
        "территория;год;показатель;значение;единица\n"
        "92730000;2020;budget_revenue;1 234,5;тыс. руб.\n"
        "92730000;2020;population;530000;чел.\n"
        "Республика Татарстан;2020;Доля чего-то;12,5;%\n"
        "Атлантида;2020;population;1;чел.\n"
        "92730000;двадцать;population;1;чел.\n"
    )
    (raw / "data.csv").write_bytes(text.encode("cp1251"))
    store = tmp_path / "store"
    report = run_etl([raw], store)
    loaded = open_store(store)
    assert _obs(loaded, "92730000", "budget_revenue", 2020) == 1_234_500
    assert _obs(loaded, "92730000", "budget_revenue_per_capita", 2020) == (
        pytest.approx(1_234_500 / 530_000)
    )
    assert report.files[0].unmatched == ["Атлантида"]
    assert "год не распознан" in set(loaded.rejects.reason)


def _tidy_text(value: str) -> str:
    return (
        f"territory,year,indicator,value,unit\n92730000,2020,population,{value},чел.\n"
    )


def test_rerun_sees_a_same_size_rewrite_with_its_old_mtime(tmp_path, monkeypatch):
    """Reruns take a file's hash from the last run while its identity (inode,
    size, modification and status-change times) stays: a rewrite of the same
    size whose modification time is set back (``cp -p``) is still seen."""
    from analytics.etl import pipeline

    monkeypatch.setattr(pipeline, "_SETTLED_SECONDS", 0.0)
    hashed = []
    file_hash = pipeline.file_hash
    monkeypatch.setattr(
        pipeline, "file_hash", lambda p: hashed.append(p) or file_hash(p)
    )
    raw = tmp_path / "raw"
    raw.mkdir()
    data = raw / "data.csv"
    data.write_text(_tidy_text("530000"), encoding="utf-8")
    old = data.stat().st_mtime - 3600
    os.utime(data, (old, old))
    store = tmp_path / "store"
    run_etl([raw], store)
    assert hashed == [data]
    assert run_etl([raw], store).changed is False
    assert hashed == [data]  # the second run took the remembered hash
    data.write_text(_tidy_text("530001"), encoding="utf-8")
    os.utime(data, (old, old))
    report = run_etl([raw], store)
    assert report.changed is True
    assert _obs(open_store(store), "92730000", "population", 2020) == 530_001


def test_csv_row_longer_than_its_header_is_rejected_and_the_rest_loads(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "ragged.csv").write_text(
        "oktmo,year,t8013001_1\n52701000,2019,5\n52701000,2020,6,7\n",
        encoding="utf-8",
    )
    (raw / "good.csv").write_text(_tidy_text("530000"), encoding="utf-8")
    report = run_etl([raw], tmp_path / "store")
    ragged = next(f for f in report.files if f.path == "ragged.csv")
    # the row is rejected with its line number; the row before it loads
    assert ragged.status == "loaded" and ragged.observations == 1
    assert ragged.rejected == 1
    assert "строка 3: в строке 3 полей 4, а в заголовке 3" in ragged.reject_examples[0]
    assert (
        _obs(open_store(tmp_path / "store"), "52701000", "budget_revenue", 2019) == 5000
    )


def test_large_csv_read_by_arrow_gives_what_pandas_gives(tmp_path):
    """A CSV over the size read without a Python decode: the same records and
    rejects as the pandas reader, conventional signs and «-0» included."""
    from analytics.etl.readers import tables
    from analytics.etl.readers.base import ReadResult

    cells = ["1", "2.5", "-0", "…", "", "12О", " 7 ", '"1,5"', "inf", "nan", "-", "3e2"]
    rows = [
        f"{52701000 + (i % 40) * 1000:08d},{2000 + i % 20},{cells[i % len(cells)]},{i}"
        for i in range(8000)
    ]
    path = tmp_path / "panel.csv"
    path.write_text("oktmo,year,t8013001_1,t8112027_11\n" + "\n".join(rows) + "\n")
    assert path.stat().st_size > tables._HEAD_BYTES
    table = tables.read_table(path)
    assert isinstance(table, pa.Table)
    arrow, old = ReadResult(), ReadResult()
    tables.read_panel_table(table, arrow, {})
    tables.read_panel(tables.read_frame(path), old, {})
    # the same texts (Python strings, or pandas' str for constant columns)
    pd.testing.assert_frame_equal(
        arrow.all_records(), old.all_records(), check_dtype=False
    )
    assert arrow.rejects == old.rejects
    assert np.signbit(arrow.all_records().value).tolist() == (
        np.signbit(old.all_records().value).tolist()
    )
