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


def _emiss(path, periods, bases):
    book = Workbook()
    data = book.active
    data.title = "Данные"
    data.append(["Численность безработных (тысяча человек)"])
    data.append([])
    data.append([None, None, "2021", "2021", "2022"])
    data.append([None, None, *periods])
    data.append([None, None, *bases])
    data.append(["Российская Федерация", "Всего", 3.5, 3.4, 3.1])
    data.append(["    Белгородская область", "Всего", 21.0, 20.5, "…"])
    passport = book.create_sheet("Паспорт")
    passport.append(["Численность безработных"])
    passport.append(["Единицы измерения: ", "* тысяча человек"])
    book.save(path)
    return path


def test_emiss_export_by_month_loads_months(tmp_path):
    path = _emiss(tmp_path / "emiss.xlsx", ["январь", "февраль", "январь"], [])
    result, records = _records(path)
    assert list(zip(records.year, records.period, records.value, strict=True)) == [
        (2021, "M01", 3.5),
        (2021, "M02", 3.4),
        (2022, "M01", 3.1),
        (2021, "M01", 21.0),
        (2021, "M02", 20.5),
    ]
    assert records.territory_name.iloc[-1] == "Белгородская область"
    (indicator,) = result.indicators.values()
    assert indicator.unit == "тысяча человек"


def test_emiss_december_alone_is_a_month(tmp_path):
    path = _emiss(tmp_path / "dec.xlsx", ["декабрь"] * 3, [])
    _, records = _records(path)
    assert set(records.period) == {"M12"} and len(records) == 5
