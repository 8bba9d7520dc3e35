"""The table engine on shapes the corpus lacks, written the way the sites
publish them (values are the files' own, read back)."""

from __future__ import annotations

from openpyxl import Workbook

from analytics.etl.readers import read_file

REGIONS = {"Российская Федерация", "Белгородская область", "Брянская область"}


def _book(path, sheets):
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def _records(path):
    result = read_file(path, is_territory=REGIONS.__contains__)
    return result, result.all_records()


def test_showcase_export_report_and_its_breakdowns_sheet(tmp_path):
    path = _book(
        tmp_path / "showcase.xlsx",
        {
            "Отчет": [
                ["Регион", "2018 г.", "2019 г.", "2020 г."],
                ["Белгородская область", 1547418, 1549151, 1549876],
                ["Брянская область", 1210982, 1200187, 1192570],
            ],
            "Установленные разрезы": [
                ["Показатель", "Численность постоянного населения (код 31548)"],
                ["Единица измерения", "Человек"],
                ["Регион", "Белгородская область (14000000)"],
                ["Регион", "Брянская область (15000000)"],
            ],
        },
    )
    result, records = _records(path)
    hit = records[
        (records.territory_name == "Брянская область") & (records.year == 2019)
    ]
    assert hit.value.tolist() == [1200187.0] and hit.period.tolist() == ["year"]
    indicator = result.indicators[hit.indicator_key.iloc[0]]
    assert indicator.name_ru == "Численность постоянного населения"
    assert (indicator.unit, indicator.code) == ("Человек", "31548")
    assert len(records) == 6
    assert any("Установленные разрезы" in n for n in result.notes)


def test_plain_sheet_without_title(tmp_path):
    path = _book(
        tmp_path / "plain.xlsx",
        {"Лист1": [["Регион", 2017, 2018], ["Белгородская область", "1,5", "-"]]},
    )
    result, records = _records(path)
    assert records[["territory_name", "year", "value"]].values.tolist() == [
        ["Белгородская область", 2017, 1.5]
    ]
    # «-» is kept as missing with its meaning, not as zero
    assert [r["reason"] for r in result.rejects] == ["«-» — явление отсутствует"]


def test_multi_indicator_region_year_keeps_parents_and_units(tmp_path):
    path = _book(
        tmp_path / "labour.xlsx",
        {
            "T1": [
                ["РАБОЧАЯ СИЛА ПО СУБЪЕКТАМ"],
                [None, "Численность рабочей силы5", None, "Уровень занятости"],
                [None, "всего, тыс.человек", "в том числе занятые", "в %"],
                [None, 2022, 2022, 2022],
                ["Белгородская область", 790.1, 768.3, 62.4],
            ]
        },
    )
    result, records = _records(path)
    names = {
        i.name_ru: i.unit
        for i in result.indicators.values()
        if i.key in set(records.indicator_key)
    }
    assert len(records) == 3
    assert all("5" not in n for n in names)
    assert any("Численность рабочей силы" in n and "занятые" in n for n in names), names
    assert all(unit for unit in names.values()), names
