"""The embedded real dataset (datasets/raw/real): values against published
figures and the source files, reforms re-aggregated, coverage."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.etl.pipeline import run_etl
from analytics.etl.reforms import load_crosswalk, read_reforms
from analytics.store import open_store

from .conftest import ROOT

REAL_RAW = ROOT / "datasets" / "raw" / "real"


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    store = tmp_path_factory.mktemp("real") / "store"
    run_etl([REAL_RAW], store)
    return open_store(store)


def value(store, territory, indicator, year):
    o = store.observations
    found = o[
        (o.territory_id == territory) & (o.indicator_id == indicator) & (o.year == year)
    ].value.tolist()
    assert len(found) == 1, (territory, indicator, year, found)
    return found[0]


def test_published_values(real):
    # Rosstat's published 1 January 2024 estimates
    assert value(real, "92701000", "population", 2024) == 1_318_604  # Kazan
    assert value(real, "50701000", "population", 2024) == 1_633_851  # Novosibirsk
    # Ufa: average monthly wage 2024, staff cost of local government 2023
    assert value(real, "80701000", "average_wage", 2024) == 87_313.0
    assert value(real, "80701000", "self_government_cost_per_capita", 2023) == 1543.6


def test_values_against_the_source_files(real, shared_data):
    folder = shared_data / "sberindex-municipal-2025"
    population = pd.read_parquet(folder / "2_bdmo_population.parquet")
    population = population.drop_duplicates()
    versions = load_crosswalk().versions
    kazan_id = int(versions[versions.oktmo == "92701000"].territory_key.iloc[0])
    kazan = population[
        (population.territory_id == kazan_id)
        & (population.year == 2024)
        & (population.age == "Всего")
    ]
    assert kazan.value.sum() == value(real, "92701000", "population", 2024)
    section = pd.read_csv(
        shared_data
        / "bdmo-bashkortostan-2023-2025"
        / "bdmo_bashkortostan_2023_2025_long.csv",
        sep=";",
        dtype=str,
    )
    ufa = section[
        (section.oktmo == "80701000") & (section.indicator_code == "Y48313004")
    ]
    assert float(ufa[ufa.year == "2023"].value.iloc[0]) == value(
        real, "80701000", "self_government_cost_per_capita", 2023
    )


def test_derived_indicators_from_their_components(real):
    kazan = "92701000"
    p23 = value(real, kazan, "population", 2023)
    p24 = value(real, kazan, "population", 2024)
    assert value(real, kazan, "population_change", 2024) == pytest.approx(
        (p24 / p23 - 1) * 100
    )
    assert value(real, kazan, "elderly_share", 2024) == pytest.approx(
        value(real, kazan, "population_65plus", 2024) / p24 * 100
    )
    assert value(real, kazan, "working_age_share", 2024) == pytest.approx(
        value(real, kazan, "population_15_64", 2024) / p24 * 100
    )
    assert value(real, kazan, "net_migration_per_1000", 2023) == pytest.approx(
        value(real, kazan, "net_migration", 2023) / p23 * 1000
    )
    wage = value(real, kazan, "average_wage", 2024)
    assert value(real, kazan, "wage_education_relative", 2024) == pytest.approx(
        value(real, kazan, "wage_education", 2024) / wage * 100
    )


def test_union_re_aggregated_to_todays_borders(real):
    # union_22 (2024): ГО Павловский Посад (46759000) and ГО Электрогорск
    # (46791000) became ГО Павлово-Посадский (46759000). Their 1 January 2023
    # populations, 91 858 and 29 930 in the source, are summed.
    assert value(real, "46759000", "population", 2023) == 91_858 + 29_930
    # union_23 (2024): г. Сасово and Сасовский район → Сасовский МО 61542000
    assert value(real, "61542000", "population", 2023) == 21_220 + 15_524
    # a wage cannot be summed: left out, with the reason kept
    o = real.observations
    wage = o[(o.territory_id == "61542000") & (o.indicator_id == "average_wage")]
    assert wage.year.tolist() == [2024]  # published for the okrug; 2023 left out
    reforms = read_reforms(real.path / "versions" / real.version)
    sasovo = reforms[(reforms.from_oktmo == "61710000") & (reforms.year == 2023)]
    assert set(sasovo.action) == {"summed", "left_out"}
    assert set(sasovo.to_oktmo) == {"61542000"}
    # the old codes are not territories of the store any more
    assert not {"46791000", "61710000", "61642000"} & set(real.territories.territory_id)


def test_crosswalk_recode_and_transfer():
    crosswalk = load_crosswalk()
    # Бабаевский район (19605000) became Бабаевский муниципальный округ in 2023
    target = crosswalk.target("19605000", 2022)
    assert (target.oktmo, target.change) == ("19505000", "recode")
    # Saratov: a part of the district transferred in 2022, the district merged
    # in 2023: the 2019 code of the city is a part of a union today
    target = crosswalk.target("63701000", 2019)
    assert (target.oktmo, target.change) == ("63701000", "union")
    assert crosswalk.target("63701000", 2024).change == ""


def test_coverage(real):
    agglomerations = real.agglomerations
    assert len(agglomerations) == 52
    members = pd.read_csv(
        ROOT / "datasets" / "reference" / "agglomeration_members.csv", dtype=str
    )
    official = members[(members.role != "periphery") & (members.status == "active")]
    o = real.observations
    have = set(o[(o.indicator_id == "population") & (o.year == 2024)].territory_id)
    complete = official.groupby("agglomeration_id").territory_id.apply(
        lambda ids: set(ids) <= have
    )
    # 38 of 52 with population 2024 for every active official member. The
    # rest miss only members the source has no figures for: ZATOs (Железногорск,
    # Северск, Заречный, Звёздный, Свободный, Светлый, Трёхгорный, Уральский …),
    # the federal cities Moscow and St Petersburg (region rows), Каспийск,
    # Улан-Удэ and 4 Buryat districts, Южно-Сахалинск, Тольятти.
    assert complete.sum() == 38
    assert not complete[["kazan", "novosibirsk", "ufa", "krasnodar"]].eq(False).any()
    municipal = real.territories[
        real.territories.level.isin(
            ["urban_okrug", "municipal_district", "municipal_okrug"]
        )
    ]
    assert len(municipal) > 2_250


def test_reform_summary_for_the_data_page(real):
    from analytics.quality import reform_summary

    table = reform_summary(real)
    sasovo = table[table.from_oktmo == "61710000"]
    assert set(sasovo.action) == {
        "сложено с другими частями",
        "не пересчитано, не загружено",
    }
    assert set(sasovo.to_name) == {"Сасовский муниципальный округ"}
    recode = table[table.change == "новый код той же территории"]
    assert len(recode) > 50
    assert (recode.from_oktmo != recode.to_oktmo).all()


def test_pages_open_on_the_real_store_without_the_demo_banner(real, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from analytics import selection

    assert not selection.is_demo(real)
    monkeypatch.setenv("AGGLO_STORE", str(real.path))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300)
    at.query_params.update(lang="ru", agg="ufa")
    at.switch_page("app_pages/staffing.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("синтетическ" in w.value.lower() for w in at.warning)
    assert at.get("plotly_chart")
