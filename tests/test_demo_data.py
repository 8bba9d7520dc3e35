"""The embedded demo data: reproducible from the generator, and loaded by the
ETL into a store the dashboard can show (roles, themes, years, disparities)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analytics.etl.pipeline import run_etl
from analytics.store import open_store

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "datasets" / "raw" / "demo"
CATALOG = ROOT / "datasets" / "reference" / "indicators.yaml"


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_demo", ROOT / "datasets" / "make_demo.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    make_demo = _generator()
    summary = make_demo.generate(out)
    return out, summary, make_demo


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    store = tmp_path_factory.mktemp("store")
    report = run_etl([DEMO], store)
    return report, open_store(store)


def test_generator_reproduces_the_committed_files(generated):
    out, summary, _ = generated
    assert sorted(summary["files"]) == sorted(
        p.name for p in DEMO.iterdir() if p.suffix in (".csv", ".xlsx")
    )
    for name in summary["files"]:
        assert (out / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_demo_files_are_small():
    assert sum(p.stat().st_size for p in DEMO.iterdir()) < 5_000_000


def test_etl_loads_the_demo_cleanly(demo_store, generated):
    report, store = demo_store
    _, summary, _ = generated
    assert report.exit_code == 0
    assert all(f.status == "loaded" for f in report.files)
    assert not any(f.unmatched for f in report.files)
    assert sum(f.rejected for f in report.files) == 0
    # Every reject is a deliberately empty or suppressed cell, or a value of
    # a municipality merged since that cannot be re-aggregated to today's
    # borders (analytics.etl.reforms): Саратов with Саратовский район (2023),
    # Березники with Усольский район (2019), Соликамск (2019), ГО Кудымкар.
    assert set(store.rejects.kind) == {"missing", "skipped"}
    skipped = store.rejects[store.rejects.kind == "skipped"]
    assert skipped.reason.str.startswith("реформа МО").all()
    assert set(skipped.cell.str[6:14]) == {
        "63643000",
        "63701000",
        "57708000",
        "57730000",
        "57851000",
    }
    missing = store.rejects[store.rejects.kind == "missing"]
    panel = missing[missing.file_name == "bdmo_panel_demo.csv"]
    assert len(panel) == summary["missing_cells"]
    assert set(missing.raw_value) <= {"", "…", "-", "x"}


def test_agglomerations_have_core_ring_and_periphery(demo_store, generated):
    _, store = demo_store
    make_demo = generated[2]
    territories = store.territories
    municipal = territories[territories.agglomeration_id != ""]
    roles = municipal.groupby("agglomeration_id").role.agg(set)
    complete = roles[roles.map(lambda r: r >= {"core", "ring", "periphery"})]
    assert len(complete) >= 8
    assert set(roles.index) == set(make_demo.DEMO_AGGLOMERATIONS)
    # Every official member of a demo agglomeration is in the store.
    members = pd.read_csv(
        ROOT / "datasets" / "reference" / "agglomeration_members.csv",
        dtype=str,
        keep_default_na=False,
    )
    demo_members = members[members.agglomeration_id.isin(make_demo.DEMO_AGGLOMERATIONS)]
    # but the two merged since, whose values went to today's municipality
    merged = {"63643000", "57851000"}
    assert set(demo_members.territory_id) - merged <= set(territories.territory_id)
    assert not merged & set(territories.territory_id)
    # At least three known management models among them.
    models = store.agglomerations.set_index("agglomeration_id").management_model
    known = set(models[make_demo.DEMO_AGGLOMERATIONS]) - {"unknown"}
    assert len(known) >= 3


def test_every_available_indicator_is_present_every_year(demo_store):
    _, store = demo_store
    catalog = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))["indicators"]
    # the indicators of the БД ПМО panel the demo writes (codes t8…), and
    # those the catalog's formulas compute from them
    wanted = {
        entry["id"]
        for entry in catalog
        if any(
            str(src.get("code", "")).startswith("t8")
            for src in entry.get("sources", [])
        )
        or any("column" in src for src in entry.get("sources", []))
    }
    formulas = [e for e in catalog if e.get("formula")]
    for _ in range(3):
        wanted |= {
            e["id"]
            for e in formulas
            if {e["formula"]["numerator"], e["formula"]["denominator"]} <= wanted
        }
    wanted = {
        entry["id"]
        for entry in catalog
        if entry["id"] in wanted
        and entry["theme"] in ("finance", "staffing", "competencies")
        and entry.get("available", True)
    } | {"population"}
    observations = store.observations
    years = observations.groupby("indicator_id", observed=True).year.agg(set)
    for indicator in sorted(wanted):
        assert indicator in years.index, indicator
        assert set(range(2010, 2024)) <= years[indicator], indicator
    unavailable = {e["id"] for e in catalog if not e.get("available", True)}
    assert not unavailable & set(observations.indicator_id.astype(str))


def test_values_look_like_russia(demo_store):
    _, store = demo_store
    obs = store.observations.merge(
        store.territories[["territory_id", "role", "agglomeration_id"]],
        on="territory_id",
    )
    obs = obs[obs.role != ""]

    def median(indicator):
        sub = obs[obs.indicator_id == indicator]
        return sub.groupby(["year", "role"]).value.median().unstack("role")

    revenue = median("budget_revenue_per_capita")
    assert (revenue.core > revenue.ring).all()
    dependence = median("transfer_dependence")
    assert (dependence.ring > dependence.core).all()
    assert (dependence.periphery > dependence.core).all()
    # Real orders of magnitude: a core of about a million, rings of tens of
    # thousands; revenue per capita in the tens of thousands of roubles.
    population = obs[(obs.indicator_id == "population") & (obs.year == 2020)]
    by_role = population.groupby("role").value.median()
    assert 500_000 < by_role.core < 1_500_000
    assert 10_000 < by_role.ring < 150_000
    assert 10_000 < revenue.core.loc[2010] < 40_000
    # Gaps move: some agglomerations converge, some diverge.
    per = obs[obs.indicator_id == "budget_revenue_per_capita"]
    gap = (
        per[per.role.isin(["core", "ring"])]
        .groupby(["agglomeration_id", "year", "role"])
        .value.median()
        .unstack("role")
    )
    ratio = (gap.ring / gap.core).unstack("year")
    change = ratio[2023] - ratio[2010]
    assert (change > 0.05).sum() >= 2
    assert (change < -0.05).sum() >= 2
