"""analytics.partners: complementary pairs against a plain-loop twin and
numbers worked by hand; the agreements template and its Russian errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics import partners, spatial
from analytics.i18n import t

TERRITORIES = pd.DataFrame(
    {
        "territory_id": ["80701000", "80652000", "80628000", "80615000", "80635000"],
        "name_ru": [
            "Уфа",
            "Уфимский муниципальный район",
            "Иглинский муниципальный район",
            "Благовещенский муниципальный район",
            "Уфа",  # a second «Уфа»: names shared by two territories are ambiguous
        ],
        "name_en": ["Ufa", "Ufimsky district", "Iglinsky district", "", ""],
    }
)


def _twin(values, population, pairs, directions, scales):
    """Plain loops over pairs, indicators and both directions."""
    rows = []
    for a, b in pairs:
        for ind in values.columns:
            d = directions.get(ind, 0)
            if not d:
                continue
            bench = values[ind].median()
            s = scales.get(ind, 1.0)
            for r, g in ((a, b), (b, a)):
                xr, xg = values.at[r, ind], values.at[g, ind]
                if np.isnan(xr) or np.isnan(xg):
                    continue
                need = max(d * (bench - xr), 0) * population[r] / s
                have = max(-d * (bench - xg), 0) * population[g] / s
                shared = min(need, have)
                if shared > 0:
                    rows.append(
                        (
                            a,
                            b,
                            r,
                            g,
                            ind,
                            shared,
                            shared / need,
                            shared * s / (abs(bench) * population[r]),
                        )
                    )
    return pd.DataFrame(
        rows,
        columns=[
            "territory_a",
            "territory_b",
            "receiver",
            "giver",
            "indicator_id",
            "shared",
            "deficit_share",
            "closed",
        ],
    )


def test_pairs_equal_a_plain_loop():
    rng = np.random.default_rng(4)
    ids = [f"t{i}" for i in range(12)]
    values = pd.DataFrame(
        {
            "kindergarten": rng.uniform(40, 100, 12),
            "doctors": rng.uniform(20, 60, 12),
            "debt": rng.uniform(0, 30, 12),
            "wage": rng.uniform(30_000, 80_000, 12),
        },
        index=ids,
    )
    values.iloc[3, 1] = np.nan
    population = pd.Series(rng.uniform(5_000, 200_000, 12), index=ids)
    neighbours = spatial.knn(rng.uniform(0, 3, 12), rng.uniform(0, 3, 12), k=3)
    pairs = partners.neighbour_pairs(ids, neighbours)
    directions = {"kindergarten": 1, "doctors": 1, "debt": -1, "wage": 0}
    scales = {"doctors": 10_000.0}
    result = partners.complementary_pairs(
        values, population, pairs, directions=directions, scales=scales
    )
    twin = _twin(values, population, pairs, directions, scales)
    keys = ["territory_a", "territory_b", "receiver", "indicator_id"]
    ours = result.flows.sort_values(keys).reset_index(drop=True)
    twin = twin.sort_values(keys).reset_index(drop=True)
    assert ours[keys + ["giver"]].equals(twin[keys + ["giver"]])
    for column in ("shared", "deficit_share", "closed"):
        np.testing.assert_allclose(ours[column], twin[column], rtol=1e-12)
    assert "wage" not in set(ours["indicator_id"])  # no direction, no gap
    # scores: the sum of `closed` per pair, best first, every pair listed
    score = twin.groupby(["territory_a", "territory_b"])["closed"].sum()
    table = result.pairs.set_index(["territory_a", "territory_b"])
    np.testing.assert_allclose(table.loc[score.index, "score"], score, rtol=1e-12)
    assert len(result.pairs) == len(pairs)
    assert result.pairs["score"].is_monotonic_decreasing


def test_pair_worked_by_hand():
    """Kindergarten coverage (%, more is better) and doctors per 10,000:
    medians 70 % and 30. A: 50 %, 40 doctors, 20,000 residents; B: 90 %, 20
    doctors, 10,000 residents. A lacks 20 points × 20,000 = 400,000
    point-residents, B has 20 × 10,000 = 200,000 over: half A's shortfall,
    lifting A by 200,000 / (70 × 20,000) = 1/7 of the median. B lacks
    10 × 10,000 / 10,000 = 10 doctors, A has 10 × 20,000 / 10,000 = 20 over:
    all of B's shortfall, lifting B by 10 × 10,000 / (30 × 10,000) = 1/3."""
    values = pd.DataFrame(
        {"kindergarten": [50.0, 90.0, 70.0], "doctors": [40.0, 20.0, 30.0]},
        index=["A", "B", "C"],
    )
    population = pd.Series({"A": 20_000.0, "B": 10_000.0, "C": 5_000.0})
    result = partners.complementary_pairs(
        values,
        population,
        [("A", "B"), ("A", "C")],
        directions={"kindergarten": 1, "doctors": 1},
        scales={"doctors": 10_000},
    )
    flows = result.flows.set_index("indicator_id")
    assert flows.loc["kindergarten", "receiver"] == "A"
    assert flows.loc["kindergarten", "deficit_share"] == pytest.approx(0.5)
    assert flows.loc["kindergarten", "closed"] == pytest.approx(1 / 7)
    assert flows.loc["doctors", "receiver"] == "B"
    assert flows.loc["doctors", "shared"] == pytest.approx(10.0)
    assert flows.loc["doctors", "deficit_share"] == pytest.approx(1.0)
    assert flows.loc["doctors", "closed"] == pytest.approx(1 / 3)
    top = result.pairs.iloc[0]
    assert (top.territory_a, top.territory_b) == ("A", "B")
    assert top.score == pytest.approx(1 / 7 + 1 / 3) and top.mutual
    assert top.best_indicator == "doctors"
    # C sits at both medians: nothing to share with A
    assert result.pairs.iloc[1].score == 0 and result.pairs.iloc[1].n_indicators == 0
    text = partners.reason(
        result.flows,
        "ru",
        names={"A": "Уфимский район", "B": "Иглинский район"},
        indicators={"doctors": "Врачи", "kindergarten": "Охват детскими садами"},
        units={"kindergarten": "п. п."},
        total_units={"doctors": "чел."},
    )
    assert text.startswith(
        "«Иглинский район»: не хватает 10 чел. до медианы по показателю «Врачи»; "
        "«Уфимский район»: 20 сверх неё — совместное использование закрыло бы "
        "100 % недостатка."
    )
    assert "не хватает 20,0 п. п." in text and "закрыло бы 50 %" in text


def test_neighbour_pairs_from_real_borders(shared_data):
    layer = spatial.load_layer(
        shared_data
        / "municipal-boundaries-sberindex/mo_boundaries_current_simplified.geojson"
    )
    ufa = ["80701000", "80652000", "80628000", "80615000", "80635000", "80640000"]
    sub = layer.subset(ufa)
    pairs = partners.neighbour_pairs(list(sub.territory_ids), sub.neighbours())
    # Ufa borders Ufimsky, Iglinsky, Blagoveshchensky and Karmaskalinsky
    # districts; Kushnarenkovsky district is 0.09° away from it
    assert {b for a, b in pairs if a == "80701000"} == {
        "80652000",
        "80628000",
        "80615000",
        "80635000",
    }
    assert ("80701000", "80640000") not in pairs


# -------------------------------------------------------------- agreements


def test_template_round_trip():
    data = partners.agreements_template("ru")
    table = partners.read_agreements(data, TERRITORIES)
    assert table.to_dict("records") == [
        {
            "territory_a": "80701000",
            "territory_b": "80652000",
            "subject": t("partners.template_subject", "ru"),
            "year": 2023,
            "line": 2,
        }
    ]


def test_agreements_names_cp1251_and_semicolons():
    text = (
        "territory_a;territory_b;subject;year\n"
        "Уфимский муниципальный район;Iglinsky district;водоснабжение;2021\n"
        "\n"
        "80615000;80701000;дороги;2024\n"
    )
    table = partners.read_agreements(text.encode("cp1251"), TERRITORIES)
    assert table[["territory_a", "territory_b", "year", "line"]].values.tolist() == [
        ["80652000", "80628000", 2021, 2],
        ["80615000", "80701000", 2024, 4],
    ]


def test_agreements_errors_name_line_and_cell():
    text = (
        "territory_a,territory_b,subject,year\n"
        "Уфа,80652000,транспорт,2022\n"
        "80652000,Казань,,2022.5\n"
        ",80652000,школы,2020\n"
        "80652000,80652000,школы,1900\n"
    )
    with pytest.raises(partners.AgreementsError) as caught:
        partners.read_agreements(text.encode(), TERRITORIES, filename="соглашения.csv")
    lines = str(caught.value).splitlines()
    assert lines == [
        "соглашения.csv, строка 2, ячейка A2 (territory_a): название «Уфа» носят "
        "несколько территорий, укажите код ОКТМО",
        "соглашения.csv, строка 3, ячейка B3 (territory_b): территория «Казань» не "
        "найдена",
        "соглашения.csv, строка 3, ячейка C3 (subject): пустой предмет соглашения",
        "соглашения.csv, строка 3, ячейка D3 (year): «2022.5» — не год (ожидается "
        "число от 1991 до 2100)",
        "соглашения.csv, строка 4, ячейка A4 (territory_a): пустая ячейка, нужна "
        "территория",
        "соглашения.csv, строка 5, ячейка B5 (territory_b): территория «80652000» "
        "совпадает с territory_a",
        "соглашения.csv, строка 5, ячейка D5 (year): «1900» — не год (ожидается "
        "число от 1991 до 2100)",
    ]
    assert caught.value.message("en").splitlines()[1] == (
        "соглашения.csv, line 3, cell B3 (territory_b): territory «Казань» not found"
    )


def test_agreements_header_checked():
    with pytest.raises(partners.AgreementsError, match="строка 1: ожидаются столбцы"):
        partners.read_agreements(b"a,b,c\n1,2,3\n", TERRITORIES)
    with pytest.raises(partners.AgreementsError, match="файл пуст"):
        partners.read_agreements(b"  \n", TERRITORIES)
