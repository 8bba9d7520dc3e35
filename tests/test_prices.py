"""Constant prices: deflation by the regional CPI, the national one where the
region has none, never a made-up rate."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest

from analytics.prices import deflators, price_label, price_levels, to_constant_prices

# Rosstat, «Индексы потребительских цен», декабрь к декабрю, % (Россия)
RU = {2021: 108.39, 2022: 111.94, 2023: 107.42}


def _store(region_cpi: dict[int, float]) -> SimpleNamespace:
    rows = [("RU", y, "cpi_dec", v) for y, v in RU.items()]
    rows += [("RU-ALT", y, "cpi_dec", v) for y, v in region_cpi.items()]
    obs = pd.DataFrame(rows, columns=["territory_id", "year", "indicator_id", "value"])
    territories = pd.DataFrame(
        {
            "territory_id": ["01701000", "45000000", "RU-ALT", "RU"],
            "region_id": ["RU-ALT", "RU-MOW", None, None],
        }
    )
    return SimpleNamespace(observations=obs, territories=territories)


def test_one_year_of_national_inflation_is_the_geometric_mean_of_two_decembers():
    # a flow of 2022 in 2023 prices: average level of 2023 over that of 2022
    levels = price_levels(pd.DataFrame(
        {"territory_id": "RU", "year": list(RU), "value": list(RU.values())}
    ))
    levels = levels["level"]
    ratio = levels[("RU", 2023)] / levels[("RU", 2022)]
    assert ratio == pytest.approx(math.sqrt(1.1194 * 1.0742), rel=1e-12)
    assert levels[("RU", 2023)] / levels[("RU", 2021)] == pytest.approx(
        math.sqrt(1.0839) * 1.1194 * math.sqrt(1.0742), rel=1e-12
    )


def test_region_index_first_country_index_where_the_region_has_none():
    store = _store({2022: 112.0, 2023: 108.0})  # the region has no 2021
    df = pd.DataFrame(
        {
            "territory_id": ["01701000", "01701000", "01701000", "45000000"],
            "year": [2021, 2022, 2023, 2022],
            "value": [1000.0, 1000.0, 1000.0, 1000.0],
        }
    )
    out = to_constant_prices(df, store, base_year=2023)
    assert out["value"].tolist() == pytest.approx(
        [
            1000 * math.sqrt(1.0839) * 1.1194 * math.sqrt(1.0742),  # country
            1000 * math.sqrt(1.12 * 1.08),  # region
            1000.0,
            1000 * math.sqrt(1.1194 * 1.0742),  # Moscow: no regional index here
        ]
    )
    assert out["deflator"].tolist() == ["country", "region", "region", "country"]
    assert df["value"].tolist() == [1000.0] * 4  # the argument is not changed


def test_a_gap_in_the_index_leaves_values_missing_not_invented():
    store = _store({})
    store.observations = store.observations[store.observations.year != 2022]
    table = deflators(store, ["01701000"], [2021, 2023], 2023)
    assert table["factor"].isna().tolist() == [True, False]
    assert table["deflator"].tolist() == [None, "country"]


def test_a_base_year_without_any_index_is_refused_in_russian():
    with pytest.raises(ValueError, match="нет индекса потребительских цен.*2030"):
        to_constant_prices(
            pd.DataFrame({"territory_id": ["RU"], "year": [2022], "value": [1.0]}),
            _store({}),
            base_year=2030,
        )


def test_labels():
    assert price_label(2023, "ru") == "в ценах 2023 г."
    assert price_label(2015, "en") == "in 2015 prices"
