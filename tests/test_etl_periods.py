"""Periods: header cells read into (year, period), the store's period column,
and annual values derived by the catalog's rule only."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import Workbook

from analytics.etl.annual import annualize
from analytics.etl.pipeline import run_etl
from analytics.etl.readers import read_file
from analytics.etl.readers.periods import (
    parse_period_label,
    parse_subperiod,
    parse_year_label,
    title_period,
)
from analytics.store import open_store


@pytest.mark.parametrize(
    ("cell", "year"),
    [
        (2019.0, 2019),
        ("2018 г.", 2018),
        ("20221", 2022),
        ("20241,2", 2024),
        ("20222)3)", 2022),
        ("2014 год 1", 2014),
        ("2022 2", 2022),
        ("на 1 января 2023", 2023),
        ("12,5", None),
        ("Январь", None),
        (1.5, None),
    ],
)
def test_year_cells_with_footnote_marks(cell, year):
    assert parse_year_label(cell) == year


@pytest.mark.parametrize(
    ("cell", "period"),
    [
        ("I квартал", "Q1"),
        ("IV квартал", "Q4"),
        ("Январь ", "M01"),
        ("май", "M05"),
        ("Декабрь", "M12"),
        ("январь-март", "M01-M03"),
        ("январь - декабрь", "year"),
        ("I полугодие", "M01-M06"),
        ("9 месяцев", "M01-M09"),
        ("на 9 января**", "D01-09"),
        ("на 1 февраля", "D02-01"),
        ("Декабрь в % к декабрю предыдущего года", None),
        ("Март 2020 г. в % к марту", None),
    ],
)
def test_sub_annual_periods(cell, period):
    assert parse_subperiod(cell) == period


def test_period_cells_and_titles():
    assert parse_period_label("январь 2020") == (2020, "M01")
    assert parse_period_label("I квартал 2021 г.") == (2021, "Q1")
    assert title_period("по Российской Федеpации в 2022 г.1)") == (2022, "year")
    assert title_period("за январь - декабрь 2016 года") == (2016, "year")
    assert title_period("за январь-март 2019 года") == (2019, "M01-M03")
    assert title_period("в 2000-2015 гг.") is None


def _frame(rows):
    frame = pd.DataFrame(
        rows, columns=["territory_id", "year", "period", "indicator_id", "value"]
    )
    for column in ("territory_id", "period", "indicator_id"):
        frame[column] = frame[column].astype("category")
    frame["year"] = frame["year"].astype("int16")
    return frame


def test_annual_values_only_by_the_catalog_rule():
    months = [f"M{m:02d}" for m in range(1, 13)]
    rows = [("t1", 2020, p, "flow", float(m)) for m, p in enumerate(months, 1)]
    rows += [("t1", 2020, p, "avg", float(m)) for m, p in enumerate(months, 1)]
    rows += [("t1", 2020, p, "stock", float(m)) for m, p in enumerate(months, 1)]
    rows += [("t1", 2020, p, "none", 1.0) for p in months]
    # an incomplete year gives nothing; a published annual value wins
    rows += [("t1", 2021, p, "flow", 1.0) for p in months[:11]]
    rows += [("t2", 2020, p, "flow", 1.0) for p in months]
    rows += [("t2", 2020, "year", "flow", 99.0)]
    rows += [("t1", 2020, "Q1", "avg", 5.0)]
    rows += [("t1", 2021, "D01-01", "jan", 7.0), ("t1", 2022, "D01-01", "nxt", 8.0)]
    rules = {"flow": "sum", "avg": "mean", "stock": "end", "jan": "jan1"}
    rules["nxt"] = "jan1_next"
    out, added = annualize(_frame(rows), rules)
    derived = out[out.period.astype(str).str.startswith("year:")]
    got = {
        (r.territory_id, r.indicator_id, int(r.year), r.period): r.value
        for r in derived.itertuples()
    }
    assert got == {
        ("t1", "flow", 2020, "year:sum"): 78.0,  # 1 + … + 12
        ("t1", "avg", 2020, "year:mean"): 6.5,
        ("t1", "stock", 2020, "year:end"): 12.0,
        ("t1", "jan", 2021, "year:jan1"): 7.0,
        ("t1", "nxt", 2021, "year:jan1_next"): 8.0,
    }
    assert added == 5 and len(out) == len(rows) + 5


def _monthly_sheet(path):
    book = Workbook()
    sheet = book.active
    sheet.title = "1"
    sheet.append(["Оборот розничной торговли по Российской Федерации"])
    sheet.append(["(миллиардов рублей)"])
    sheet.append([None, 2022, None, None, 2023, None, None])
    sheet.append([None, "январь", "февраль", "март", "январь", "февраль", "март"])
    sheet.append(["Российская Федерация", 3000, 3100, "3 200,5", 3300, "…", 3500])
    book.save(path)


def test_two_row_year_month_header_loads_months(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    _monthly_sheet(raw / "retail.xlsx")
    result = read_file(raw / "retail.xlsx", is_territory=lambda n: "Федерация" in n)
    records = result.all_records()
    assert list(zip(records.year, records.period, records.value, strict=True)) == [
        (2022, "M01", 3000.0),
        (2022, "M02", 3100.0),
        (2022, "M03", 3200.5),
        (2023, "M01", 3300.0),
        (2023, "M03", 3500.0),
    ]
    (indicator,) = result.indicators.values()
    assert indicator.unit == "миллиардов рублей"
    assert indicator.name_ru == "Оборот розничной торговли"
    report = run_etl([raw], tmp_path / "store")
    assert report.exit_code == 0
    store = open_store(tmp_path / "store")
    # the months are kept, apart from the annual values the analysis reads
    assert len(store.periodic) == 5 and set(store.periodic.period) == {
        "M01",
        "M02",
        "M03",
    }
    assert store.periodic.value.max() == 3500e9
    assert not store.observations.indicator_id.isin(store.periodic.indicator_id).any()


def test_sheet_without_values_is_rejected_with_its_reason(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "Т1"
    sheet.append(["Число организаций"])
    sheet.append([None, "всего", "частные"])
    sheet.append(["Российская Федерация", 10, 5])
    book.save(tmp_path / "no_period.xlsx")
    report = run_etl([tmp_path], tmp_path.parent / "store_np")
    (file,) = report.files
    assert report.exit_code == 1 and file.status == "rejected"
    assert "лист «Т1»" in file.error and "не найден период" in file.error
