"""Synthetic demo data in genuine Rosstat layouts, for `make run` on a fresh clone.

    python datasets/make_demo.py [--out datasets/raw/demo] [--seed 20240501]

Writes four files the ETL reads like the real ones:

* ``bdmo_panel_demo.csv`` — a БД ПМО-style wide panel: ``oktmo, year, name`` and
  one column per БД ПМО indicator code (budget in thousand roubles, as БД ПМО
  publishes), 2010–2023, for the members of ten real agglomerations and some
  periphery municipalities (`datasets/reference/agglomeration_members.csv`);
* ``bdmo_dictionary_demo.csv`` — the ``id, name`` dictionary naming those codes;
* ``regiony_rossii_demo.xlsx`` — «Регионы России»-style region × year tables
  (doctors and nurses per 10 000 population): title rows, unit line, footnote
  markers, ``…``, a footnote block after ``¾¾¾``;
* ``emiss_cpi_demo.xlsx`` — an EMISS export (``Данные`` + ``Паспорт``) of the
  consumer price index by region.

The numbers are SYNTHETIC. Territories, codes and names are real; values are
drawn from a seeded model calibrated on summary statistics of the real БД ПМО
panel of 197 big cities (2010–2018; figures below, computed once from
``../shared/data/bdmo-big-cities/big_cities.csv``, which this script never
reads). The run is deterministic: same seed, same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent
MEMBERS_CSV = ROOT / "reference" / "agglomeration_members.csv"
DEFAULT_OUT = ROOT / "raw" / "demo"
SEED = 20240501
YEARS = np.arange(2010, 2024)
FIXED_TIME = datetime(2024, 5, 1, 0, 0, 0)

PANEL = "bdmo_panel_demo.csv"
DICTIONARY = "bdmo_dictionary_demo.csv"
REGIONS_XLSX = "regiony_rossii_demo.xlsx"
EMISS_XLSX = "emiss_cpi_demo.xlsx"

# Ten agglomerations with varied management models and sizes (see
# datasets/reference/agglomerations.csv for the models and their sources).
DEMO_AGGLOMERATIONS = [
    "krasnoyarsk",  # project (2008 agreement)
    "novosibirsk",  # project (2012 agreement)
    "perm",  # project (2016 agreement)
    "vladivostok",  # project (agreement)
    "samara_togliatti",  # council (coordination council, 2013-2014)
    "saratov",  # merged (Saratov district merged into Saratov, 2022)
    "krasnodar",  # unknown; spans two subjects (Adygea)
    "irkutsk",  # unknown
    "rostov",  # unknown
    "barnaul",  # unknown
]

# ----------------------------------------------------------------------------
# Calibration: the real БД ПМО panel of 197 urban okrugs, 2010-2018
# (big_cities.csv; medians over cities, log-sd of the pooled values).
# ----------------------------------------------------------------------------
# Budget revenue per resident, roubles (t8013001_1 / t8112027_11): median by
# year 17 440 (2010) … 25 610 (2018), log-sd 0.56, p10-p90 13 360-48 980.
# 2019-2023 continue at the growth of nominal local budgets (assumption).
REVENUE_PC_MEDIAN = [17440, 19260, 19340, 20220, 21140, 21040, 21390, 22430,
                     25610, 27500, 30500, 32500, 36500, 39500]  # fmt: skip
# Transfers / revenue (t8013001_34 / t8013001_1): median 0.42 (2010) → 0.58
# (2018), log-sd 0.40; p10-p90 0.33-0.68.
TRANSFER_SHARE_MEDIAN = [0.42, 0.42, 0.47, 0.47, 0.54, 0.55, 0.56, 0.56,
                         0.58, 0.59, 0.62, 0.60, 0.60, 0.60]  # fmt: skip
# Subventions / revenue: 0.19 (2010) → 0.36 (2018); own revenue (t8013001_89)
# = revenue − subventions (own share 0.80 → 0.64, as in the real panel).
SUBVENTIONS_OF_TRANSFERS = [0.46, 0.48, 0.58, 0.54, 0.67, 0.68, 0.67, 0.64,
                            0.62, 0.62, 0.58, 0.60, 0.60, 0.61]  # fmt: skip
# Grants / revenue median 0.015 (log-sd 2.0: many cities get none), subsidies
# / revenue 0.126 (log-sd 0.78).
# Expenditure / revenue (t8013002_1 / t8013001_1): median 1.017, p10-p90
# 0.967-1.073.
# Fixed investment per resident, roubles (t8109001): median 46 220, log-sd
# 1.04; by year 31 310 … 50 250; correlation with log revenue per capita 0.56.
INVESTMENT_PC_MEDIAN = [31310, 40100, 34650, 52590, 52090, 46730, 45870, 47650,
                        50250, 54000, 55000, 62000, 72000, 80000]  # fmt: skip
# Fixed investment from the local budget per resident (t8009001): median 885,
# log-sd 1.39.
# Cost of local self-government per resident, roubles (t8013004): median 835,
# by year 597 (2010) … 1 006 (2018), log-sd 0.82.
SELF_GOV_COST_MEDIAN = [597, 704, 758, 836, 885, 924, 896, 906, 1006, 1050,
                        1100, 1160, 1230, 1300]  # fmt: skip
# Municipal administration headcount per 1 000 residents (t8123015_12):
# median 2.28, log-sd 0.41; correlation with log population −0.43.
# Municipal administration wage, roubles (t8123017_12): median 24 430 (2010)
# … 37 090 (2016), log-sd 0.42; correlation with average wage 0.87.
ADMIN_WAGE_MEDIAN = [24430, 27260, 30150, 33510, 35580, 37090, 37010, 38500,
                     41000, 44000, 47000, 50000, 56000, 62000]  # fmt: skip
# Average monthly wage, roubles (t8123007_0 to 2016, t8423007_101 from 2017):
# median 19 650 (2010) … 40 180 (2018), log-sd 0.40; correlation with log
# revenue per capita 0.81.
AVERAGE_WAGE_MEDIAN = [19650, 22220, 25650, 28940, 30820, 32380, 34280, 36520,
                       40180, 43500, 46500, 51500, 58500, 66000]  # fmt: skip
# Doctors per 10 000 (doctors_per10): median 50.3, log-sd 0.45, p10-p90
# 30.5-93.8 — regional hospitals sit in the cores. Nurses per 10 000: median
# 120.5, log-sd 0.33.
# Pupils per school (t8015002 / t8015001): median 547 (2010) → 708 (2017);
# pupils per 1 000 residents 90.6 → 109.1; pre-school places per 1 000
# (t8014002) 35.6 → 54.2 (2018), log-sd 0.33.
PUPILS_PER_1000 = [90.6, 92.5, 93.1, 94.6, 98.3, 101.4, 105.1, 109.1, 111.0,
                   113.0, 114.5, 115.5, 116.0, 116.5]  # fmt: skip
PRESCHOOL_PER_1000 = [35.6, 37.5, 41.6, 44.6, 48.0, 50.7, 52.2, 52.7, 54.2,
                      54.8, 55.0, 55.2, 55.3, 55.5]  # fmt: skip
# Consumer price index, December on December, Russian Federation (Rosstat).
CPI_RF = [108.78, 106.10, 106.57, 106.47, 111.35, 112.91, 105.38, 102.52,
          104.27, 103.05, 104.91, 108.39, 111.94, 107.42]  # fmt: skip

# ----------------------------------------------------------------------------
# Structure of the synthetic Russia.
# ----------------------------------------------------------------------------
# Log revenue per capita relative to the national median, by position.
TYPE_EFFECT = {
    "core": 0.28,
    "ring_urban": -0.05,
    "ring_district": -0.15,
    "periphery_urban": -0.10,
    "periphery_district": -0.18,
    "zato": 0.25,  # closed towns get federal grants: rich and dependent
}
# Logit offset of the transfer share: rings and periphery depend more.
TRANSFER_EFFECT = {
    "core": -0.55,
    "ring_urban": 0.10,
    "ring_district": 0.60,
    "periphery_urban": 0.20,
    "periphery_district": 0.70,
    "zato": 0.90,
}
# Regional level (log, relative) and how the gap between the core and the
# rest of the agglomeration moves per year: > 0 the ring catches up
# (converging), < 0 it falls behind (diverging).
AGGLOMERATION_LEVEL = {
    "krasnoyarsk": 0.10,
    "novosibirsk": 0.00,
    "perm": 0.05,
    "vladivostok": 0.15,
    "samara_togliatti": 0.00,
    "saratov": -0.15,
    "krasnodar": 0.02,
    "irkutsk": 0.05,
    "rostov": -0.05,
    "barnaul": -0.20,
}
GAP_TREND = {
    "krasnoyarsk": 0.012,
    "novosibirsk": 0.015,
    "perm": 0.008,
    "vladivostok": -0.012,
    "samara_togliatti": -0.010,
    "saratov": -0.012,
    "krasnodar": 0.015,
    "irkutsk": 0.006,
    "rostov": -0.008,
    "barnaul": -0.010,
}
# Territories known for their wealth (log revenue per capita, extra).
SPECIAL_WEALTH = {
    "04729000": 0.60,  # Norilsk
    "03726000": 0.30,  # Sochi
    "03720000": 0.15,  # Novorossiysk
    "04653000": 0.50,  # Taimyr
}

# Population on 1 January, thousands: (2010, 2023), approximate. Cores and the
# big cities follow the real order of magnitude (the big-city panel up to 2019,
# rounded); districts are approximate.
POPULATION = {
    # Krasnoyarsk
    "04701000": (980, 1205), "04735000": (95, 84), "04709000": (31, 29),
    "04733000": (36, 41), "04605000": (37, 48), "04614000": (48, 60),
    "04775000": (5, 5), "04631000": (17, 16), "04651000": (22, 21),
    "04703000": (110, 103), "04720000": (95, 88), "04729000": (176, 182),
    "04653000": (35, 31),
    # Novosibirsk
    "50701000": (1475, 1634), "50708000": (98, 105), "50712000": (60, 55),
    "50740000": (13, 17), "50717000": (26, 30), "50615000": (58, 60),
    "50621000": (25, 24), "50623000": (47, 46), "50638000": (37, 38),
    "50640000": (125, 160), "50642000": (38, 34), "50652000": (62, 58),
    # Perm
    "57701000": (992, 1034), "57763000": (11, 10), "57718000": (57, 55),
    "57759000": (19, 17), "57720000": (72, 68), "57727000": (42, 38),
    "57546000": (105, 128), "57708000": (156, 137), "57730000": (97, 91),
    "57735000": (103, 99), "57851000": (31, 29),
    # Vladivostok
    "05701000": (616, 600), "05705000": (112, 114), "05706000": (40, 38),
    "05623000": (36, 42), "05557000": (25, 22), "05714000": (160, 139),
    "05723000": (184, 173),
    # Samara-Togliatti
    "36701000": (1167, 1158), "36740000": (720, 680), "36704000": (57, 50),
    "36708000": (57, 57), "36713000": (111, 100), "36718000": (27, 25),
    "36735000": (180, 165), "36750000": (73, 70), "36604000": (40, 38),
    "36614000": (86, 110), "36618000": (33, 33), "36626000": (19, 16),
    "36628000": (53, 60), "36636000": (24, 22), "36640000": (59, 64),
    "36642000": (28, 25), "36650000": (21, 18),
    # Saratov
    "63701000": (838, 845), "63775000": (13, 12), "63646000": (33, 31),
    "63650000": (265, 250), "63643000": (50, 48), "63607000": (210, 190),
    # Krasnodar (with Adygea)
    "03701000": (834, 1140), "79703000": (15, 15), "03709000": (53, 70),
    "79630000": (60, 95), "79633000": (20, 20), "03614000": (125, 150),
    "03643000": (110, 125), "03705000": (208, 205), "03720000": (299, 345),
    "03726000": (422, 445), "79701000": (166, 140),
    # Irkutsk
    "25701000": (590, 617), "25703000": (233, 220), "25612000": (87, 140),
    "25655000": (66, 66), "25714000": (246, 222), "25736000": (84, 75),
    "25738000": (86, 79),
    # Rostov
    "60701000": (1091, 1140), "60704000": (83, 80), "60707000": (112, 130),
    "60727000": (169, 163), "60737000": (257, 245), "60601000": (98, 95),
    "60602000": (100, 125), "60635000": (40, 43), "60636000": (85, 85),
    "60712000": (171, 167), "60730000": (111, 104), "60740000": (240, 225),
    # Barnaul
    "01701000": (671, 680), "01713000": (72, 75), "01632000": (49, 53),
    "01705000": (219, 195), "01716000": (147, 140),
}  # fmt: skip
# Saratov district (63643000) merged into Saratov on 1 January 2022: no rows
# after 2021, its people counted in Saratov from 2022.
MERGED = {"63643000": ("63701000", 2022)}

# The БД ПМО codes written, in column order, with the names БД ПМО gives them
# (the dictionary file), and the panel's named (non-code) staffing columns.
CODES = {
    "t8112027_11": "Оценка численности населения на 1 января текущего года"
    "|||t8112027|||Все население",
    "t8013001_1": "Доходы местного бюджета, фактически исполненные|||t8013001|||Всего",
    "t8013001_89": "Доходы местного бюджета, фактически исполненные|||t8013001"
    "|||Из общей величины доходов - собственные доходы",
    "t8013001_34": "Доходы местного бюджета, фактически исполненные|||t8013001"
    "|||Безвозмездные поступления",
    "t8013001_293": "Доходы местного бюджета, фактически исполненные|||t8013001"
    "|||Дотации бюджетам бюджетной системы Российской Федерации",
    "t8013001_296": "Доходы местного бюджета, фактически исполненные|||t8013001"
    "|||Субсидии бюджетам бюджетной системы Российской Федерации "
    "(межбюджетные субсидии)",
    "t8013001_294": "Доходы местного бюджета, фактически исполненные|||t8013001"
    "|||Субвенции бюджетам бюджетной системы Российской Федерации",
    "t8013002_1": "Расходы местного бюджета, фактически исполненные|||t8013002|||Всего",
    "t8009001": "Инвестиции в основной капитал за счет средств бюджета "
    "муниципального образования",
    "t8109001": "Инвестиции в основной капитал, осуществляемые организациями, "
    "находящимися на территории муниципального образования (без субъектов "
    "малого предпринимательства)",
    "t8013004": "Расходы бюджета муниципального образования на содержание "
    "работников органов местного самоуправления в расчете на одного жителя "
    "муниципального образования",
    "t8123015_12": "Среднесписочная численность работников организаций "
    "муниципальной формы собственности|||t8123015|||Раздел L Государственное "
    "управление и обеспечение военной безопасности; обязательное социальное "
    "обеспечение",
    "t8123017_12": "Среднемесячная заработная плата работников организаций "
    "муниципальной формы собственности|||t8123017|||Раздел L Государственное "
    "управление и обеспечение военной безопасности; обязательное социальное "
    "обеспечение",
    "t8123007_0": "Среднемесячная заработная плата работников организаций "
    "(по 2016 год)|||t8123007|||Всего",
    "t8423007_101": "Среднемесячная заработная плата работников организаций "
    "(по okved2)|||t8423007|||Всего по обследуемым видам экономической "
    "деятельности",
    "t8015001": "Число общеобразовательных организаций на начало учебного года",
    "t8015002": "Численность обучающихся в общеобразовательных организаций с "
    "учетом обособленных подразделений",
    "t8014002": "Число мест в организациях, осуществляющих образовательную "
    "деятельность по образовательным программам дошкольного образования, "
    "присмотр и уход за детьми",
}
NAMED_COLUMNS = ["doctors_per10", "nurses_per10"]

# Regions of the «Регионы России» and EMISS files: the country, the districts
# of the demo subjects and the subjects, in Rosstat order, as Rosstat spells
# them (with its stray spaces).
REGION_ROWS = [
    ("RF", "Российская Федерация", 0),
    ("FD-SOU", "Южный федеральный округ", 1),
    ("RU-AD", "Республика Адыгея", 2),
    ("RU-KDA", "Краснодарский край", 2),
    ("RU-ROS", "Ростовская область", 2),
    ("FD-VOL", "Приволжский  федеральный округ", 1),
    ("RU-PER", "Пермский край", 2),
    ("RU-SAM", "Самарская область", 2),
    ("RU-SAR", "Саратовская область", 2),
    ("FD-SIB", "Сибирский федеральный округ", 1),
    ("RU-ALT", "Алтайский край", 2),
    ("RU-KYA", "Красноярский край", 2),
    ("RU-IRK", "Иркутская область", 2),
    ("RU-NVS", "Новосибирская область", 2),
    ("FD-FE", "Дальневосточный федеральный округ", 1),
    ("RU-PRI", "Приморский край ", 2),
]
EMISS_NAMES = {
    "RU-AD": "Республика Адыгея (Адыгея)",
    "FD-FE": "Дальневосточный федеральный округ",
}


# ----------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------
def _kind(row) -> str:
    if "ЗАТО" in row.note or "ЗАТО" in row.name_ru:
        return "zato"
    urban = row.level == "urban_okrug"
    if row.role == "core":
        return "core"
    prefix = "ring" if row.role == "ring" else "periphery"
    return f"{prefix}_{'urban' if urban else 'district'}"


def _population(code: str, rng: np.random.Generator) -> np.ndarray:
    start, end = POPULATION[code]
    steps = (YEARS - YEARS[0]) / (YEARS[-1] - YEARS[0])
    path = np.exp(np.log(start) + steps * np.log(end / start))
    wiggle = np.cumsum(rng.normal(0, 0.003, len(YEARS)))
    return np.round(path * np.exp(wiggle - wiggle.mean()) * 1000)


def _logit(p):
    return np.log(p / (1 - p))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def build_panel(
    members: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, int]:
    """The wide panel as strings, and the number of deliberately suppressed or
    missing cells (the ETL lists them as `missing`)."""
    t = YEARS - YEARS[0]
    years = len(YEARS)
    records = []
    merged_pop = {}
    for row in members.itertuples(index=False):
        if row.territory_id in MERGED:
            merged_pop[row.territory_id] = _population(row.territory_id, rng)
    for row in members.itertuples(index=False):
        code, agg, kind = row.territory_id, row.agglomeration_id, _kind(row)
        pop = merged_pop[code] if code in merged_pop else _population(code, rng)
        for child, (parent, year) in MERGED.items():
            if parent == code:
                pop = pop + np.where(
                    np.greater_equal(YEARS, year), merged_pop[child], 0
                )
        # Revenue per capita: national path × agglomeration × position × own
        # level, with the gap to the core moving at the agglomeration's pace.
        # Own level: cores vary less (they are the region's capitals).
        own = rng.normal(0, 0.08 if kind == "core" else 0.22)
        gap_move = 0.0 if kind == "core" else GAP_TREND[agg] * t
        log_rev_pc = (
            np.log(REVENUE_PC_MEDIAN)
            + AGGLOMERATION_LEVEL[agg]
            + TYPE_EFFECT[kind]
            + SPECIAL_WEALTH.get(code, 0.0)
            + own
            + gap_move
            + rng.normal(0, 0.05, years)
        )
        rev_pc = np.exp(log_rev_pc)
        revenue = rev_pc * pop / 1000  # thousand roubles
        share = _sigmoid(
            _logit(np.array(TRANSFER_SHARE_MEDIAN))
            + TRANSFER_EFFECT[kind]
            - 1.2 * own
            - 0.8 * gap_move
            + rng.normal(0, 0.20)
            + rng.normal(0, 0.08, years)
        )
        transfers = revenue * share
        subv_w = np.clip(
            np.array(SUBVENTIONS_OF_TRANSFERS) * np.exp(rng.normal(0, 0.12)), 0.2, 0.8
        )
        if kind == "core":
            grant_w = np.where(
                rng.random(years) < 0.6, 0.0, rng.uniform(0, 0.03, years)
            )
        elif kind == "zato":
            grant_w = np.full(years, 0.35)
        else:
            grant_w = np.clip(
                rng.normal(0.08, 0.04) + rng.normal(0, 0.01, years), 0, 0.3
            )
        subs_w = np.clip(
            0.22 * np.exp(rng.normal(0, 0.3) + rng.normal(0, 0.15, years)), 0.03, 0.5
        )
        total = subv_w + grant_w + subs_w
        scale = np.where(total > 0.97, 0.97 / total, 1.0)
        subventions = transfers * subv_w * scale
        grants = transfers * grant_w * scale
        subsidies = transfers * subs_w * scale
        own_revenue = revenue - subventions
        expenditure = revenue * np.exp(rng.normal(0.017, 0.03, years))
        invest = (
            pop
            / 1000
            * np.array(INVESTMENT_PC_MEDIAN)
            * np.exp(
                0.9 * (log_rev_pc - np.log(REVENUE_PC_MEDIAN)) + rng.normal(0, 0.6)
            )
            * np.exp(rng.normal(0, 0.25, years))
        )
        budget_invest = (
            pop
            / 1000
            * 885
            * np.exp(0.4 + 0.5 * own + rng.normal(0, 0.9) + rng.normal(0, 0.5, years))
            if kind == "core"
            else pop
            / 1000
            * 885
            * np.exp(0.5 * own + rng.normal(-0.2, 1.0) + rng.normal(0, 0.6, years))
        )
        size = pop / 215_000
        self_gov = (
            np.array(SELF_GOV_COST_MEDIAN)
            * size**-0.35
            * np.exp(rng.normal(0, 0.25) + rng.normal(0, 0.06, years))
        )
        staff = (
            pop
            / 1000
            * 2.28
            * size**-0.25
            * np.exp(rng.normal(0, 0.25) - 0.005 * t + rng.normal(0, 0.04, years))
        )
        position = {"core": 0.12, "zato": 0.10}.get(kind, -0.08)
        wealth = log_rev_pc - np.log(REVENUE_PC_MEDIAN)
        avg_wage = np.array(AVERAGE_WAGE_MEDIAN) * np.exp(
            position + 0.45 * wealth + rng.normal(0, 0.08) + rng.normal(0, 0.03, years)
        )
        admin_wage = np.array(ADMIN_WAGE_MEDIAN) * np.exp(
            position + 0.35 * wealth + rng.normal(0, 0.12) + rng.normal(0, 0.04, years)
        )
        doctors_base = {
            "core": 72, "zato": 45, "ring_urban": 30, "ring_district": 22,
            "periphery_urban": 42, "periphery_district": 28,
        }[kind]  # fmt: skip
        nurses_base = {
            "core": 128, "zato": 105, "ring_urban": 80, "ring_district": 72,
            "periphery_urban": 112, "periphery_district": 85,
        }[kind]  # fmt: skip
        doctors = doctors_base * np.exp(
            rng.normal(0, 0.15) + rng.normal(0, 0.03, years) + 0.004 * t
        )
        nurses = nurses_base * np.exp(
            rng.normal(0, 0.12) + rng.normal(0, 0.03, years) - 0.003 * t
        )
        pupils = (
            pop
            / 1000
            * np.array(PUPILS_PER_1000)
            * np.exp(rng.normal(0, 0.08) + rng.normal(0, 0.02, years))
        )
        per_school = {
            "core": 850, "zato": 700, "ring_urban": 620, "ring_district": 230,
            "periphery_urban": 650, "periphery_district": 260,
        }[kind] * np.exp(rng.normal(0, 0.15) + 0.012 * t)  # fmt: skip
        schools = np.maximum(np.round(pupils / per_school), 1)
        preschool = (
            pop
            / 1000
            * np.array(PRESCHOOL_PER_1000)
            * np.exp(
                rng.normal(0, 0.2)
                + (0 if kind in ("core", "ring_urban", "periphery_urban") else -0.2)
                + rng.normal(0, 0.03, years)
            )
        )
        values = {
            "t8112027_11": pop,
            "t8013001_1": revenue,
            "t8013001_89": own_revenue,
            "t8013001_34": transfers,
            "t8013001_293": grants,
            "t8013001_296": subsidies,
            "t8013001_294": subventions,
            "t8013002_1": expenditure,
            "t8009001": budget_invest,
            "t8109001": invest,
            "t8013004": self_gov,
            "t8123015_12": staff,
            "t8123017_12": admin_wage,
            "t8123007_0": np.where(YEARS <= 2016, avg_wage, np.nan),
            "t8423007_101": np.where(YEARS >= 2017, avg_wage, np.nan),
            "t8015001": schools,
            "t8015002": pupils,
            "t8014002": preschool,
            "doctors_per10": doctors,
            "nurses_per10": nurses,
        }
        last = MERGED[code][1] if code in MERGED else YEARS[-1] + 1
        for i, year in enumerate(YEARS):
            if year >= last:
                continue
            record = {"oktmo": code, "year": str(year), "name": row.name_ru}
            for column, series in values.items():
                record[column] = _format(column, series[i])
            # Conventional signs where Rosstat would print them: no grants
            # («-», none received), closed towns' investment («x»).
            if values["t8013001_293"][i] == 0:
                record["t8013001_293"] = "-"
            if kind == "zato":
                record["t8109001"] = "x"
            records.append(record)
    frame = pd.DataFrame(records)
    # A few cells that did not reach the database: «…» and empty cells.
    data_cols = list(CODES) + NAMED_COLUMNS
    cells = frame[data_cols].to_numpy()
    filled = np.argwhere(cells != "")
    pick = filled[rng.choice(len(filled), size=60, replace=False)]
    for n, (r, c) in enumerate(sorted(map(tuple, pick))):
        if data_cols[c] == "t8112027_11":
            continue  # population is never missing
        cells[r, c] = "…" if n % 2 == 0 else ""
    frame[data_cols] = cells
    missing = int((frame[data_cols].isin(["", "…", "-", "x"])).to_numpy().sum())
    return frame, missing


def _format(column: str, value: float) -> str:
    if value is None or not np.isfinite(value):
        return ""
    if column in ("t8112027_11", "t8123015_12", "t8015001", "t8015002", "t8014002"):
        return str(int(round(value)))
    return f"{value:.1f}"


# ----------------------------------------------------------------------------
# Region tables
# ----------------------------------------------------------------------------
def _region_series(rng, base: float, spread: float, drift: float) -> dict[str, list]:
    series = {}
    for region, _, _ in REGION_ROWS:
        level = base * np.exp(0 if region == "RF" else rng.normal(0, spread))
        trend = drift + (0 if region == "RF" else rng.normal(0, 0.004))
        noise = rng.normal(0, 0.01, len(YEARS))
        series[region] = list(
            np.round(level * np.exp(trend * (YEARS - YEARS[0]) + noise), 1)
        )
    return series


def regions_workbook(rng):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    tables = [
        (
            "5.4.2.",
            "ЧИСЛЕННОСТЬ ВРАЧЕЙ ВСЕХ СПЕЦИАЛЬНОСТЕЙ1)",
            "5.4.2. На 10 000 человек населения",
            "(человек)",
            _region_series(rng, 48.0, 0.12, 0.002),
        ),
        (
            "5.6.2.",
            "ЧИСЛЕННОСТЬ СРЕДНЕГО МЕДИЦИНСКОГО ПЕРСОНАЛА1)",
            "5.6.2. На 10 000 человек населения",
            "(на конец года; человек)",
            _region_series(rng, 106.0, 0.08, -0.004),
        ),
    ]
    for sheet, group, title, unit, series in tables:
        ws = wb.create_sheet(sheet)
        ws.append(
            ["Социально-экономические показатели по субъектам Российской Федерации"]
        )
        ws.append(["5. ЗДРАВООХРАНЕНИЕ"])
        ws.append([group])
        ws.append([title])
        ws.append([unit])
        header = [None] + [int(y) for y in YEARS]
        header[YEARS.tolist().index(2015) + 1] = "20152)"  # footnote on a year
        ws.append(header)
        for region, name, _ in REGION_ROWS:
            values = list(series[region])
            ws.append([name, *values])
        ws.append(["¾¾¾¾¾"])
        ws.append(["1) Демонстрационные синтетические данные (datasets/make_demo.py)."])
        ws.append(["2) С 2015 г. — по новой методике учёта (условная сноска примера)."])
    # Conventional signs and markers as the real tables have them.
    ws = wb["5.4.2."]
    first = 7  # first territory row (1-based)
    names = [name for _, name, _ in REGION_ROWS]
    ws.cell(first + names.index("Республика Адыгея"), 2 + 3).value = "…"
    ws.cell(first + names.index("Пермский край"), 2 + 5).value = "48,7 2)"
    return wb


def emiss_workbook(rng):
    import openpyxl

    wb = openpyxl.Workbook()
    data = wb.active
    data.title = "Данные"
    data.append(["Индексы потребительских цен на товары и услуги (процент)"])
    data.append([])
    data.append([None, None, *[str(y) for y in YEARS]])
    data.append([None, None, *["декабрь"] * len(YEARS)])
    data.append([None, None, *["К декабрю предыдущего года"] * len(YEARS)])
    for region, name, depth in REGION_ROWS:
        name = EMISS_NAMES.get(region, name.strip().replace("  ", " "))
        if region == "RF":
            values = CPI_RF
        else:
            values = [round(v + rng.normal(0, 0.6), 2) for v in CPI_RF]
        data.append(["    " * depth + name, "Все товары и услуги", *values])
    passport = wb.create_sheet("Паспорт")
    for key, value in [
        ("Индексы потребительских цен на товары и услуги", None),
        (None, None),
        ("Единицы измерения: ", "* процент"),
        ("Период действия: ", "с 01.01.2010"),
        ("Длина временного ряда: ", f"{YEARS[0]} - {YEARS[-1]}"),
        ("Последнее обновление данных: ", "24.01.2024"),
        (
            "Методологические пояснения: ",
            "Демонстрационные синтетические данные проекта (datasets/make_demo.py): "
            "значения по Российской Федерации — опубликованные Росстатом, по "
            "субъектам — случайные отклонения от них.",
        ),
        (
            "Ведомство (субъект статистического учета): ",
            "Федеральная служба государственной статистики",
        ),
    ]:
        passport.append([key, value])
    return wb


def _save_workbook(wb, path: Path) -> None:
    """Save with fixed metadata and zip timestamps, so the bytes are stable."""
    wb.properties.creator = "make_demo.py"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.lastModifiedBy = "make_demo.py"
    buffer = io.BytesIO()
    wb.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)",
                    lambda m: m.group(1) + stamp.encode() + m.group(3),
                    data,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, data)


def load_members() -> pd.DataFrame:
    members = pd.read_csv(MEMBERS_CSV, dtype=str, keep_default_na=False)
    members = members[members.agglomeration_id.isin(DEMO_AGGLOMERATIONS)]
    members = members.drop_duplicates("territory_id")
    order = {a: i for i, a in enumerate(DEMO_AGGLOMERATIONS)}
    return members.sort_values(
        ["agglomeration_id", "territory_id"],
        key=lambda s: s.map(order) if s.name == "agglomeration_id" else s,
    ).reset_index(drop=True)


def generate(out: Path = DEFAULT_OUT, seed: int = SEED) -> dict:
    """Write the demo files into ``out``; return a summary."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    members = load_members()
    missing_codes = sorted(set(members.territory_id) - set(POPULATION))
    if missing_codes:
        raise SystemExit(f"no population anchor for {missing_codes}")
    panel, missing = build_panel(members, rng)
    panel = panel.sort_values(["oktmo", "year"]).reset_index(drop=True)
    panel.to_csv(out / PANEL, index=False, lineterminator="\n")
    with open(out / DICTIONARY, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "name"])
        for code, name in CODES.items():
            writer.writerow([code, name])
    _save_workbook(regions_workbook(rng), out / REGIONS_XLSX)
    _save_workbook(emiss_workbook(rng), out / EMISS_XLSX)
    return {
        "territories": int(panel.oktmo.nunique()),
        "rows": len(panel),
        "missing_cells": missing,
        "files": [PANEL, DICTIONARY, REGIONS_XLSX, EMISS_XLSX],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    summary = generate(args.out, args.seed)
    print(
        f"{summary['territories']} territories, {summary['rows']} panel rows, "
        f"{summary['missing_cells']} missing cells → {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
