from streamlit.testing.v1 import AppTest

from analytics.etl.pipeline import run_etl


def test_data_page_shows_sources_and_rejects(tmp_path, shared_data, monkeypatch):
    store = tmp_path / "store"
    run_etl(
        [
            shared_data
            / "rosstat-regiony-rossii-2019"
            / "Раздел 9- Валовой региональный продукт.xlsx"
        ],
        store,
    )
    monkeypatch.setenv("AGGLO_STORE", str(store))
    at = AppTest.from_file("../../dashboard.py", default_timeout=60)
    at.switch_page("app_pages/data_quality.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Данные и качество"]
    sources = at.dataframe[0].value
    assert sources["Файл"].tolist() == ["Раздел 9- Валовой региональный продукт.xlsx"]
    rejects = at.dataframe[2].value
    assert "«…» — данных нет" in set(rejects["Причина"])
