"""What every view shares: the "nothing to show" state, names, the member
panel of one indicator and year, weights, the footer and the source line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analytics import selection as sel_
from analytics.chart_model import footer_line
from analytics.i18n import name as name_of
from analytics.i18n import t
from analytics.i18n import unit as unit_of
from analytics.selection import Selection
from analytics.store import (
    NAME_EN,
    NAME_RU,
    TERRITORY_ID,
    VALUE,
    Store,
)

if TYPE_CHECKING:  # scikit-learn is imported on first use (0.3 s at start-up)
    pass


MIN_TERRITORIES = 3


CI_INDICES = ("gini", "theil", "mld", "cv", "atkinson_1", "hoover", "ratio_p90_p10")


class NoData(Exception):  # noqa: N818 - not an error, a state to explain
    """Nothing to show for this selection; ``str(error)`` explains why in the
    user's language.

    A computation, which knows no language, raises ``NoData.of(key,
    **values)`` (an :mod:`analytics.i18n` key); :meth:`in_lang` words it.
    """

    def __init__(self, message: str = "", *, key: str = "", values=None) -> None:
        super().__init__(message)
        self.key = key
        self.values = dict(values or {})

    @classmethod
    def of(cls, key: str, **values) -> NoData:
        """The reason as an i18n key (worded in Russian until :meth:`in_lang`)."""
        return cls(t(key, "ru", **values), key=key, values=values)

    def in_lang(self, lang: str) -> NoData:
        """The same reason in ``lang`` (itself when it is not an i18n key)."""
        if not self.key:
            return self
        return NoData(
            t(self.key, lang, **self.values), key=self.key, values=self.values
        )


def _meta(store: Store, indicator_id: str, lang: str) -> dict:
    info = sel_.indicator_info(store, indicator_id)
    return {
        "name": name_of(info, lang),
        "unit": unit_of(info, lang),
        "direction": int(info.get("direction") or 0),
        "theme": info.get("theme", ""),
    }


def _tname(row: pd.Series, lang: str) -> str:
    return name_of({NAME_RU: row.get(NAME_RU), NAME_EN: row.get(NAME_EN)}, lang)


def agglomeration_name(store: Store, agglomeration_id: str, lang: str) -> str:
    row = sel_.agglomeration_rows(store).get(agglomeration_id)
    if row is None:
        return agglomeration_id
    return name_of(row, lang) or agglomeration_id


def _member_ids(store: Store, selection: Selection) -> list[str]:
    ids = sel_.members(store, selection.agglomeration_id)[TERRITORY_ID].tolist()
    if not ids:
        raise NoData(t("empty.no_agglomerations", selection.lang))
    return ids


def _year_panel(store: Store, selection: Selection, indicator_id: str) -> pd.DataFrame:
    ids = _member_ids(store, selection)
    years = [selection.year] if selection.year is not None else None
    data = sel_.panel(store, indicator_id, ids, years).dropna(subset=[VALUE])
    if data.empty:
        meta = _meta(store, indicator_id, selection.lang)
        raise NoData(
            t(
                "empty.indicator",
                selection.lang,
                indicator=meta["name"],
                year=selection.year,
            )
        )
    data["name"] = data.apply(lambda row: _tname(row, selection.lang), axis=1)
    return data


def _weights(
    data: pd.DataFrame, selection: Selection
) -> tuple[pd.DataFrame, np.ndarray | None, int]:
    """Rows usable for an index and their weights; the count left out."""
    if not selection.weighted:
        return data, None, 0
    usable = data.dropna(subset=["population"])
    usable = usable[usable["population"] > 0]
    return usable, usable["population"].to_numpy(float), len(data) - len(usable)


def _footer(
    store: Store,
    selection: Selection,
    meta: dict,
    sources,
    year: str,
    weighted: bool | None,
) -> tuple[str, str]:
    source = sel_.source_line(store, sources, selection.lang)
    return footer_line(meta["unit"], year, source, weighted, selection.lang), source


def _check_enough(n: int, lang: str, need: int = MIN_TERRITORIES) -> None:
    if n < need:
        raise NoData(t("empty.too_few", lang, need=need, have=n))


def _sources_for(store: Store, indicator_ids: list[str], ids: list[str]) -> list[str]:
    return sel_.value_sources(store, indicator_ids, ids)


def _role_word(role: str, lang: str) -> str:
    return (
        t(f"role.{role}", lang) if role in ("core", "ring", "periphery", "") else role
    )


def two_step(compute, render):
    """The one-call view of a view in two steps: ``view(store, selection,
    *args)`` is ``render(compute(store, selection.scope, *args),
    selection.lang)``, with a reason for no data worded in the language."""

    def view(store: Store, selection: Selection, *args, **kwargs):
        try:
            result = compute(store, selection.scope, *args, **kwargs)
        except NoData as reason:
            raise reason.in_lang(selection.lang) from None
        return render(result, selection.lang)

    view.__name__ = compute.__name__.removeprefix("compute_")
    view.__doc__ = compute.__doc__
    view.compute = compute
    view.render = render
    return view
