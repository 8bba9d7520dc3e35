"""Streamlit entry point: page config, navigation, the cached store. No maths."""

from __future__ import annotations

import streamlit as st

from analytics.store import StoreError
from app_pages.common import load_store

st.set_page_config(page_title="Неравенство территорий агломераций", layout="wide")


def main() -> None:
    try:
        store = load_store()
    except StoreError as error:
        st.error(str(error))
        st.stop()
    pages = [
        st.Page(
            "app_pages/data_quality.py",
            title="Данные и качество",
            icon="🗂️",
            default=True,
        ),
    ]
    st.sidebar.caption(f"Хранилище: версия {store.version}")
    st.navigation(pages).run()


main()
