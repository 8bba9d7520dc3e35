"""Readers on the genuine Rosstat files: values read off the files by eye."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.etl.readers import LayoutError, read_file


def _value(records: pd.DataFrame, territory: str, key_part: str, year: int) -> float:
    hit = records[
        (records.territory_name == territory)
        & records.indicator_key.str.contains(key_part, regex=False)
        & (records.year == year)
    ]
    assert len(hit) == 1, (territory, key_part, year, len(hit))
    return float(hit.value.iloc[0])


@pytest.fixture(scope="module")
def health(shared_data):
    path = (
        shared_data / "rosstat-regiony-rossii-2019" / "Раздел 5- Здравоохранение.xlsx"
    )
    return read_file(path)


def test_regions_of_russia_values_titles_and_units(health):
    records = health.all_records()
    # 5.4.2 doctors per 10 000, Белгородская область, 2018: 40.5 (cell T8)
    assert (
        _value(
            records,
            "Белгородская область",
            "врачей всех специальностей: на 10 000",
            2018,
        )
        == 40.5
    )
    # 5.1.1 hospital beds, thousands: Российская Федерация 2000 = 1671.6
    assert _value(records, "Российская Федерация", "коек: всего", 2000) == 1671.6
    names = {i.name_ru: i for i in health.indicators.values()}
    beds = names["Число больничных коек: всего (на конец года)"]  # «КОЕК1)» cleaned
    assert beds.unit == "тысяч коек" and beds.code == "5.1.1"
    # Stray spaces and footnote digits in names are cleaned.
    assert "Хабаровский край" in set(records.territory_name)
    assert not records.territory_name.str.contains(r"\d\)|  ").any()
    # The footnote block after «¾¾¾» is not read as territories.
    assert not records.territory_name.str.startswith(("¾", "1)")).any()
    # 30 sheets: a contents sheet and 29 tables, each a region × year layout.
    assert sum(v == "regions_year" for v in health.layouts.values()) == 29
    # 85 subjects + 8 districts + RF + 2 «без АО» rows per table at most.
    per_table = records.groupby("indicator_key").territory_name.nunique()
    assert per_table.max() <= 97 and per_table.min() >= 90


def test_regions_of_russia_missing_markers_and_footnotes(shared_data):
    folder = shared_data / "rosstat-regiony-rossii-2019"
    grp = read_file(folder / "Раздел 9- Валовой региональный продукт.xlsx")
    records = grp.all_records()
    # Chechnya's GRP 2000-2004 is «…»: missing, with a reason, never zero.
    missing = [r for r in grp.rejects if r["sheet"] == "9.1." and r["cell"] == "B55"]
    assert missing and missing[0]["kind"] == "missing" and "…" in missing[0]["reason"]
    assert (
        _value(
            records,
            "Чеченская Республика",
            "regions:Валовой региональный продукт|",
            2005,
        )
        == 22898.9
    )
    crimea = records[
        (records.territory_name == "Республика Крым")
        & (
            records.indicator_key == "regions:Валовой региональный "
            "продукт|миллионов рублей"
        )
    ]
    assert sorted(crimea.year) == [2014, 2015, 2016, 2017]
    assert crimea.set_index("year").value[2014] == 189439.2
    # The first row is the country total under its long name.
    assert (
        "Валовой региональный продукт по субъектам Российской Федерации "
        "(валовая добавленная стоимость в текущих основных ценах) – всего"
        in set(records.territory_name)
    )
    prices = read_file(folder / "Раздел 21- Цены и тарифы.xlsx").all_records()
    # '99,72)' in 21.6: 99.7 with footnote 2) glued to it.
    assert (
        _value(
            prices, "Российская Федерация", "Индексы цен на первичном рынке жилья", 2015
        )
        == 99.7
    )


def test_emiss_export(shared_data):
    path = next((shared_data / "emiss").glob("Индексы потребительских цен*.xls"))
    result = read_file(path)
    records = result.all_records()
    assert result.layouts["Данные"] == "emiss"
    assert result.published == "24.01.2022"
    (indicator,) = result.indicators.values()
    assert indicator.unit == "процент"
    assert indicator.name_ru == (
        "Индексы потребительских цен на товары и услуги: все "
        "товары и услуги (декабрь к декабрю предыдущего года)"
    )
    # Indented names are stripped; December-on-December is the annual measure.
    assert _value(records, "Белгородская область", "emiss:", 2021) == 109.13
    assert _value(records, "Российская Федерация", "emiss:", 2002) == 115.06
    assert records.year.min() == 2002 and records.year.max() == 2021
    # The third-party sheet is reported and skipped.
    assert any("readable_data" in note for note in result.notes)


def test_site_workbook_sheet_per_territory(shared_data):
    path = shared_data / "rosstat-site-workbooks" / "socpod_2021.xlsx"
    result = read_file(path, is_territory=lambda name: name != "Содержание")
    records = result.all_records()
    assert set(records.year) == {2021}
    assert records.territory_name.nunique() == 96  # every sheet but «Содержание»
    cfo = records[
        (records.territory_name == "Центральный федеральный округ")
        & records.indicator_key.str.contains(
            "в натуральной и денежной формах: Всего — Всего|", regex=False
        )
    ]
    assert cfo.value.tolist() == [645935423.0]
    units = {i.unit for i in result.indicators.values()}
    assert units == {"тысяча рублей"}
    # Hierarchy: «в том числе:» children carry their parent's label.
    assert any(
        "Категории населения, отнесенные к компетенции Российской Федерации - "
        "всего: инвалиды войны" in k
        for k in result.indicators
    )
    # Soft hyphenation in headers is undone.
    assert any(
        "оплата жилого помещения и коммунальных услуг" in k for k in result.indicators
    )


def test_site_workbook_numbered_sheet_uses_title_territory(shared_data):
    path = shared_data / "rosstat-site-workbooks" / "gos_fin_byudget.xlsx"
    result = read_file(path)
    records = result.all_records()
    assert set(records.territory_name) == {"Российская Федерация"}
    assert set(records.year) == {2023}
    revenue = records[
        records.indicator_key.str.contains(
            "Доходы - всего — Консолидированный бюджет", regex=False
        )
    ]
    assert revenue.value.round(4).tolist() == [59073.4355]
    assert {i.unit for i in result.indicators.values()} == {"млрд рублей"}


def test_bdmo_panel_and_dictionary(shared_data):
    folder = shared_data / "bdmo-big-cities"
    dictionary = read_file(folder / "BDMO_id_name.csv")
    assert dictionary.code_names["t8013001_1"].startswith("Доходы местного бюджета")
    panel = read_file(folder / "big_cities.csv", named_columns={"doctors_per10": ""})
    records = panel.all_records()
    chelny = records[records.territory_code == "92730000"]
    assert _value(chelny, "Набережные Челны", "bdmo:t8123017_12", 2016) == 33133.7
    assert _value(chelny, "Набережные Челны", "bdmo:doctors_per10", 2019) == 39.4
    # 7-digit OKTMO codes lost their leading zero: padded back.
    assert (records.territory_code.str.len() == 8).all()
    assert "01701000" in set(records.territory_code)
    assert records.territory_code.nunique() == 197
    assert any("wage" in note for note in panel.notes)  # ignored columns are listed


def test_unknown_files_are_rejected_with_the_file_name(tmp_path):
    garbage = tmp_path / "report.xlsx"
    garbage.write_bytes(b"\x00\x01not a workbook")
    with pytest.raises(LayoutError, match="report.xlsx"):
        read_file(garbage)
    other = tmp_path / "list.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(LayoutError, match="list.csv"):
        read_file(other)
