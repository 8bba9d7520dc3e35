"""What the views claim follows the evidence (demo store)."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest

from analytics import views
from analytics.selection import Selection
from analytics.store import open_store

AGGLOMERATIONS = ("barnaul", "samara_togliatti", "krasnodar", "perm")
INDICATORS = (
    "budget_revenue_per_capita",
    "budget_expenditure_per_capita",
    "average_wage",
)


@pytest.fixture(scope="module")
def store(demo_store):
    return open_store(demo_store)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_beta_claims_catching_up_only_when_significant(store, lang):
    # what the captions said before (whatever the p-value) and say now
    catch_up = {
        "ru": ("догоняют", "растут быстрее"),
        "en": ("catch up", "grow faster"),
    }[lang]
    closing = {"ru": "значимо сокращается", "en": "closing significantly"}[lang]
    checked = {"significant": 0, "not": 0}
    for agg in AGGLOMERATIONS:
        for indicator in INDICATORS:
            for start, end in ((2012, 2020), (2015, 2023)):
                try:
                    chart = views.beta(
                        store, Selection(agg, end, lang=lang), indicator, start, end
                    )
                except views.NoData:
                    continue
                res = chart.extra["result"]
                if res.pvalue >= 0.05:
                    checked["not"] += 1
                    assert not any(words in chart.caption for words in catch_up)
                    assert closing not in chart.caption
                elif res.beta < 0:
                    checked["significant"] += 1
                    assert closing in chart.caption
    assert checked["not"] >= 5  # the demo has both kinds of evidence


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_sigma_and_beta_use_the_same_words_for_the_same_evidence(store, lang):
    selection = Selection("barnaul", 2020, lang=lang)
    sigma = views.sigma(store, selection, "budget_revenue_per_capita", "cv")
    beta = views.beta(store, selection, "budget_revenue_per_capita", 2012, 2020)
    none = {"ru": "значимого сближения или расхождения нет", "en": "no significant"}
    for chart in (sigma, beta):
        res = chart.extra["result"]
        assert res.trend == "no significant trend"  # read off the demo
        assert none[lang] in chart.caption
    # the panel is said: balanced, how many territories in every year
    balanced = {"ru": "Сбалансированная панель", "en": "Balanced panel"}[lang]
    assert balanced in sigma.caption


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_index_table_calls_only_measured_intervals_confidence_intervals(store, lang):
    chart = views.index_table(
        store, Selection("barnaul", 2020, lang=lang), "budget_revenue_per_capita"
    )
    table = chart.extra["table"]
    loo = {"ru": "не доверительный интервал", "en": "not a confidence interval"}[lang]
    # Barnaul has 4 territories: below every index's measured minimum
    assert not table["reliable"].any()
    assert loo in chart.caption and "95%" not in chart.caption
    for row in table.itertuples():
        assert row.low <= row.estimate <= row.high or math.isclose(
            row.low, row.estimate
        )
    bigger = views.index_table(
        store, Selection("krasnodar", 2020, lang=lang), "budget_revenue_per_capita"
    )
    shown = bigger.extra["table"]
    if shown["reliable"].any():
        meaning = {"ru": "вся совокупность", "en": "the whole population"}[lang]
        assert "95%" in bigger.caption and meaning in bigger.caption


def _with_population(store, year: int, *, kind: str | None):
    """The store with every territory's 1 January population of ``year``
    replaced by the annual average (``kind="population_avg"``) or removed."""
    obs = store.observations
    drop = (obs["indicator_id"] == "population") & (obs["year"] == year)
    moved = obs[drop]
    parts = [obs[~drop]]
    if kind:
        parts.append(moved.assign(indicator_id=kind))
    observations = pd.concat(parts, ignore_index=True)
    for column in ("indicator_id",):
        observations[column] = observations[column].astype(str)
    indicators = store.indicators
    if kind and kind not in set(indicators["indicator_id"]):
        row = indicators[indicators["indicator_id"] == "population"]
        indicators = pd.concat([indicators, row.assign(indicator_id=kind)])
    return dataclasses.replace(
        store, observations=observations, indicators=indicators, territory_codes=None
    )


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_weighted_mean_gap_uses_the_average_population_and_never_blames_rosstat(
    store, lang
):
    indicator, year = "budget_revenue_per_capita", 2020
    selection = Selection("perm", year, lang=lang)
    before = views.gap_to_benchmark(store, selection, indicator, "weighted_mean")
    # only the annual average: the same weights stand in, the same benchmark
    averaged = _with_population(store, year, kind="population_avg")
    after = views.gap_to_benchmark(averaged, selection, indicator, "weighted_mean")
    assert after.caption == before.caption  # benchmark, gaps and totals
    assert after.data.equals(before.data)
    # no population at all: the message names the population, not Rosstat
    bare = _with_population(store, year, kind=None)
    with pytest.raises(views.NoData) as raised:
        views.gap_to_benchmark(bare, selection, indicator, "weighted_mean")
    message = str(raised.value)
    assert ("Росстат" not in message) and ("Rosstat" not in message)
    assert {"ru": "численность населения", "en": "population"}[lang] in message
