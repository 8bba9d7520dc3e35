"""The server's warm-up (``serve.py`` → ``app_pages.common.warm_up``) fills the
caches that sessions then use: the default overview and every year's typology
are not computed again when a visitor asks for them."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from analytics import typology


def test_after_the_warm_up_a_change_of_year_on_the_typology_page_refits_nothing(
    demo_store, monkeypatch
):
    monkeypatch.setenv("AGGLO_STORE", str(demo_store))
    from app_pages import common

    common.warm_up()

    def refit(*args, **kwargs):
        raise AssertionError("the typology was fitted again after the warm-up")

    monkeypatch.setattr(typology.Typology, "fit", refit)
    at = AppTest.from_file("../../dashboard.py", default_timeout=120)
    at.switch_page("app_pages/typology.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    years = [int(y) for y in at.selectbox(key="year").options]
    assert len(years) >= 3
    drawn = set()
    for year in years[:3]:
        at.selectbox(key="year").set_value(year).run()
        assert not at.exception, [e.value for e in at.exception]
        titles = [c.proto.spec for c in at.get("plotly_chart")]
        assert any(str(year) in spec for spec in titles)
        drawn.add(year)
    assert len(drawn) == 3
