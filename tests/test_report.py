"""The deck without the UI: the ready set and ``python -m analytics.report``."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from analytics import export, report, selection, views
from analytics.selection import Selection
from analytics.store import open_store
from analytics.views import registry

ROOT = Path(__file__).resolve().parents[1]
AGG = "krasnoyarsk"


@pytest.fixture(scope="module")
def store(demo_store):
    return open_store(demo_store)


@pytest.fixture(scope="module")
def ready(store):
    return report.ready_set(store, Selection(AGG, None, True, "ru"))


def test_ready_set_has_captioned_charts_in_deck_order(ready):
    assert len(ready) >= 8
    keys = [c.key for c in ready]
    assert len(keys) == len(set(keys)), "a chart appears once"
    for chart in ready:
        assert chart.title, chart.key
        assert chart.caption, chart.key
        assert chart.footer("ru"), chart.key
        assert chart.source, chart.key
    sections = [c.extra["section"] for c in ready]
    order = [report.SECTIONS.index(s) for s in sections]
    assert order == sorted(order), sections
    # overview, the three themes, inequality and dynamics are all there
    assert {"overview", "finance", "staffing", "competencies"} <= set(sections)
    assert {"inequality", "dynamics"} <= set(sections)
    assert "heatmap_staffing" in keys and "heatmap_competencies" in keys


def test_views_without_data_are_left_out_with_their_reason(store, monkeypatch):
    def no_data(*args, **kwargs):
        raise views.NoData("Для расчёта нужно хотя бы 3 территории")

    for name in (
        "INDEX_TABLE",
        "DECOMPOSITION",
        "COMPARE_AGGLOMERATIONS",
        "TYPOLOGY",
        "ALBUM_DEVIANTS",
        "MODELS_COMPARISON",
    ):
        view = getattr(registry, name)
        monkeypatch.setattr(registry, name, dataclasses.replace(view, build=no_data))
    found = report.ready_set_with_reasons(store, Selection(AGG, 2020, True, "ru"))
    assert [section for section, _ in found.skipped] == [
        "inequality",
        "inequality",
        "inequality",
        "typology",
        "practices",
        "practices",
    ]
    assert all(reason.startswith("Для расчёта") for _, reason in found.skipped)
    assert {c.extra["section"] for c in found.charts} == {
        "overview",
        "finance",
        "staffing",
        "competencies",
        "dynamics",
        "scenario",  # the tools' slides do not depend on the views above
        "spatial",
        "partners",
    }


def test_unknown_agglomeration_gives_no_chart_and_a_reason(store):
    found = report.ready_set_with_reasons(
        store, Selection("atlantis", None, True, "en")
    )
    assert found.charts == [] and found.skipped


def test_subtitle_names_year_weighting_and_model(store, ready):
    sel = Selection(AGG, 2020, False, "en")
    text = report.report_subtitle(store, sel, ready)
    assert text.startswith("2020 (trends 2010–")
    assert "unweighted" in text and "agglomeration project" in text
    texts = report.deck_texts(store, Selection(AGG, 2020, True, "ru"), ready)
    assert texts["title"] == "Красноярская агломерация"
    assert "демо-данные" in texts["source"]


@pytest.mark.parametrize(
    ("lang", "words"), [("ru", "нет в хранилище"), ("en", "not in the store")]
)
def test_cli_unknown_agglomeration(demo_store, tmp_path, capsys, lang, words):
    code = report.main(
        ["--store", str(demo_store), "--agglomeration", "atlantis"]
        + ["--out", str(tmp_path / "x.pptx"), "--lang", lang, "--quiet"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "atlantis" in err and words in err
    assert "krasnoyarsk" in err, "the message lists valid ids"
    assert not (tmp_path / "x.pptx").exists()


def test_cli_year_without_data_is_bad_usage(demo_store, tmp_path, capsys):
    code = report.main(
        ["--store", str(demo_store), "--agglomeration", AGG, "--year", "1990"]
        + ["--out", str(tmp_path / "x.pptx"), "--quiet"]
    )
    assert code == 2
    assert "1990" in capsys.readouterr().err


def test_cli_unwritable_output_is_checked_before_anything(capsys, tmp_path):
    # the store does not exist either: the output path is checked first
    code = report.main(
        ["--store", str(tmp_path / "no-store"), "--agglomeration", AGG]
        + ["--out", "/nonexistent-dir/x.pptx", "--quiet"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "/nonexistent-dir" in err and "Traceback" not in err


def test_cli_missing_store_and_unavailable_export_exit_1(
    demo_store, tmp_path, capsys, monkeypatch
):
    args = ["--agglomeration", AGG, "--out", str(tmp_path / "x.pptx"), "--quiet"]
    assert report.main(["--store", str(tmp_path / "no-store"), *args]) == 1
    assert "make etl" in capsys.readouterr().err

    off = export.ExportStatus(False, "Экспорт недоступен: нет Chromium", "No Chromium")
    monkeypatch.setattr(export, "export_status", lambda: off)
    assert report.main(["--store", str(demo_store), *args, "--lang", "en"]) == 1
    assert "Error: No Chromium" in capsys.readouterr().err
    assert not (tmp_path / "x.pptx").exists()


def test_cli_runs_as_module_without_traceback(demo_store, tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "analytics.report", "--store", str(demo_store)]
        + ["--agglomeration", "atlantis", "--out", str(tmp_path / "x.pptx")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert "Ошибка: Агломерации 'atlantis' нет в хранилище" in run.stderr
    assert "Traceback" not in run.stderr


def test_cli_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as stop:
        report.main(
            ["--store", "x", "--agglomeration", AGG, "--out", "x.pptx", "--lang", "de"]
        )
    assert stop.value.code == 2
    assert "--lang" in capsys.readouterr().err


def test_cli_writes_the_deck(demo_store, store, tmp_path, ready, capsys, monkeypatch):
    if not export.export_status().available:
        pytest.skip("image export unavailable here (no Chromium)")
    from pptx import Presentation

    # The views were computed once for the fixture; the CLI reuses them for
    # the same selection (default year, weighted, Russian) to keep the test
    # fast. Everything else runs for real: store, checks, Chromium, PPTX.
    compute = report.ready_set_with_reasons
    ids = selection.members(store, AGG)["territory_id"].tolist()
    year = selection.default_year(store, ids)

    reused = []

    def reuse(store_, sel, progress=None):
        if sel != Selection(AGG, year, True, "ru"):
            return compute(store_, sel, progress)
        reused.append(sel)
        if progress is not None:
            progress(1, 1, "overview")
        return report.ReadySet(charts=list(ready))

    monkeypatch.setattr(report, "ready_set_with_reasons", reuse)

    out = tmp_path / "deck.pptx"
    code = report.main(
        ["--store", str(demo_store), "--agglomeration", AGG, "--out", str(out)]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert reused, "the CLI asked for the fixture's selection"
    assert str(out) in captured.out
    deck = Presentation(str(out))
    assert len(deck.slides) == 1 + len(ready)
    title_slide = " ".join(
        s.text_frame.text for s in deck.slides[0].shapes if s.has_text_frame
    )
    assert "Красноярская агломерация" in title_slide
    assert "демо-данные" in title_slide
    titles = [  # measured lines, one paragraph each
        " ".join(deck.slides[i + 1].shapes.title.text_frame.text.split("\n"))
        for i in range(len(ready))
    ]
    assert titles == [c.title for c in ready]
    assert not list(tmp_path.glob(".deck.pptx.*")), "no temporary file left"
