"""The export page in both languages: the ready set is listed, the build
button yields a PPTX and an XLSX download, and without a browser the page
warns and still offers the XLSX. Pictures are stubbed (no Chromium needed)."""

from __future__ import annotations

import io

import pytest
from streamlit.testing.v1 import AppTest

from analytics import export, views
from analytics.selection import Selection
from analytics.store import open_store


@pytest.fixture
def tiny_png(monkeypatch):
    """Every picture is a 4×4 PNG: the deck is built without a browser."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buf, "PNG")
    png = buf.getvalue()
    monkeypatch.setattr(export.images, "_render", lambda spec, opts, timeout: png)
    monkeypatch.setattr(export, "figure_bytes", lambda *a, **k: png)
    on = export.ExportStatus(True, "доступен", "available")
    monkeypatch.setattr(export, "export_status", lambda: on)  # the page asks
    monkeypatch.setattr(export.images, "export_status", lambda: on)  # the deck
    return png


@pytest.fixture
def app(demo_store, monkeypatch):
    monkeypatch.setenv("AGGLO_STORE", str(demo_store))

    def make(lang: str, session: dict | None = None) -> AppTest:
        at = AppTest.from_file("../../dashboard.py", default_timeout=120)
        for key, value in {"lang": lang, "agg": "krasnoyarsk", "year": "2020"}.items():
            at.query_params[key] = value
        for key, value in (session or {}).items():
            at.session_state[key] = value
        at.switch_page("app_pages/export_page.py")
        return at.run()

    return make


def _downloads(at: AppTest) -> dict[str, str]:
    return {b.key: b.label for b in at.get("download_button")}


@pytest.mark.parametrize(
    ("lang", "title", "build", "pptx"),
    [
        ("ru", "Экспорт и презентация", "Собрать презентацию", "Скачать презентацию"),
        ("en", "Export & deck", "Build the deck", "Download the deck"),
    ],
)
def test_ready_set_builds_a_deck(app, tiny_png, lang, title, build, pptx):
    at = app(lang)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == title
    banner = "синтетические" if lang == "ru" else "synthetic"
    assert any(banner in w.value for w in at.warning)
    # nothing drawn in this session yet: the ready set is the default
    assert at.radio(key="export_mode").value == "ready"
    labels = [c.label for c in at.checkbox]
    assert len(labels) >= 8 and all(c.value for c in at.checkbox)
    heat = "Отставание и опережение" if lang == "ru" else "Behind and ahead"
    assert any("2020" in label for label in labels)
    assert any(heat in label for label in labels)
    assert not _downloads(at), "no file before the deck is built"

    button = at.button(key="export_build")
    assert button.label == build
    at = button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    downloads = _downloads(at)
    assert set(downloads) == {"export_dl_pptx", "export_dl_xlsx"}
    assert downloads["export_dl_pptx"].startswith(pptx)
    assert at.success and str(len(labels)) in at.success[0].value
    from pptx import Presentation

    deck = Presentation(io.BytesIO(at.session_state["_export_result"]["pptx"]))
    assert len(deck.slides) == 1 + len(labels)

    # a different choice of charts: the old deck is no longer offered
    at = at.checkbox[0].uncheck().run()
    assert not at.exception
    assert "export_dl_pptx" not in _downloads(at)


def test_session_charts_and_no_browser(app, demo_store, monkeypatch):
    store = open_store(demo_store)
    chart = views.ranking(
        store, Selection("krasnoyarsk", 2020, True, "en"), "budget_revenue_per_capita"
    )
    off = export.ExportStatus(False, "Нет Chromium", "No Chromium on the server")
    monkeypatch.setattr(export, "export_status", lambda: off)
    at = app("en", session={"_charts": {chart.key: lambda: chart}})
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="export_mode").value == "session"
    assert [c.label for c in at.checkbox] == [chart.title]
    assert any("No Chromium on the server" in w.value for w in at.warning)
    assert at.button(key="export_build").disabled
    assert set(_downloads(at)) == {"export_dl_xlsx"}, "the XLSX is still offered"

    at.checkbox[0].uncheck().run()
    assert not at.exception
    assert any("No chart is ticked" in i.value for i in at.info)
