"""What every page shares: the store, read once per process and cached."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from analytics.store import Store, open_store

STORE_PATH = Path(os.environ.get("AGGLO_STORE", "datasets/warehouse"))


@st.cache_resource(show_spinner="Загружаю хранилище…")
def load_store(path: str = str(STORE_PATH)) -> Store:
    return open_store(path)
