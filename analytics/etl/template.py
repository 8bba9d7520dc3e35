"""The tidy CSV template and a small example file, as the data page offers them.

The tidy layout (:mod:`analytics.etl.readers.tables`) is the way to add
figures that come in no Rosstat layout: one value a row, ``территория; год;
показатель; значение; единица``. The template is its header with two rows that
show what goes where; the example is a handful of real rows of the current
store (two territories, two indicators, two years), written so that the ETL
reads them back to the same values.

Russian files use ``;`` and a decimal comma (what Excel in a Russian locale
opens and writes); English ones ``,`` and a point. Both are UTF-8 with a BOM.
"""

from __future__ import annotations

import csv
import io

import pandas as pd

from analytics.formatting import series_decimals
from analytics.store import INDICATOR_ID, TERRITORY_ID, UNIT, VALUE, YEAR, Store

HEADERS = {
    "ru": ["территория", "год", "показатель", "значение", "единица"],
    "en": ["territory", "year", "indicator", "value", "unit"],
}
_DIALECT = {"ru": (";", ","), "en": (",", ".")}
#: What the template's two rows show: an OKTMO code with a catalog indicator,
#: and a name with a free indicator name.
_TEMPLATE_ROWS = {
    "ru": [
        ["36701000", "2023", "budget_revenue_per_capita", "51266,4", "руб. на жителя"],
        ["городской округ Тольятти", "2023", "Число музеев", "3", "ед."],
    ],
    "en": [
        ["36701000", "2023", "budget_revenue_per_capita", "51266.4", "руб. на жителя"],
        ["городской округ Тольятти", "2023", "Number of museums", "3", "ед."],
    ],
}


def _write(rows: list[list[str]], lang: str) -> bytes:
    sep, _ = _DIALECT.get(lang, _DIALECT["ru"])
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    writer.writerow(HEADERS.get(lang, HEADERS["ru"]))
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def tidy_template(lang: str = "ru") -> bytes:
    """The tidy CSV header with two illustrative rows.

    >>> tidy_template("ru").decode("utf-8-sig").splitlines()[0]
    'территория;год;показатель;значение;единица'
    """
    return _write(_TEMPLATE_ROWS.get(lang, _TEMPLATE_ROWS["ru"]), lang)


def tidy_example(
    store: Store,
    territory_ids: list[str],
    *,
    lang: str = "ru",
    indicators: int = 2,
    years: int = 2,
) -> bytes:
    """A few real rows of ``store`` in the tidy layout: the first two of
    ``territory_ids`` with values, the ``indicators`` catalog indicators they
    share most years of, their last ``years`` common years. Values are written
    with the decimals their size needs, so that the file reads back to the
    store's figures at that precision.
    """
    ids = [str(i) for i in territory_ids]
    obs = store.observations
    obs = obs[obs[TERRITORY_ID].astype(str).isin(ids)]
    catalog = store.indicators.set_index(INDICATOR_ID)
    obs = obs[obs[INDICATOR_ID].isin(catalog.index)]
    chosen_ids = [i for i in ids if i in set(obs[TERRITORY_ID].astype(str))][:2]
    obs = obs[obs[TERRITORY_ID].astype(str).isin(chosen_ids)]
    # indicators every chosen territory has, with the most years
    per = obs.groupby([INDICATOR_ID, YEAR], observed=True)[TERRITORY_ID].nunique()
    full = per[per == len(chosen_ids)].reset_index()
    ranked = full.groupby(INDICATOR_ID, observed=True)[YEAR].agg(["size", "max"])
    ranked = ranked.sort_values(["size", "max"], ascending=False)
    chosen_ind = [str(i) for i in ranked.index[:indicators]]
    rows: list[list[str]] = []
    _, point = _DIALECT.get(lang, _DIALECT["ru"])
    for indicator in chosen_ind:
        last = sorted(full.loc[full[INDICATOR_ID] == indicator, YEAR])[-years:]
        part = obs[(obs[INDICATOR_ID] == indicator) & obs[YEAR].isin(last)]
        part = part.sort_values([TERRITORY_ID, YEAR])
        whole = bool((part[VALUE] == part[VALUE].round()).all())
        digits = 0 if whole else series_decimals(part[VALUE].to_numpy()) + 2
        unit = str(catalog.loc[indicator, UNIT])
        for row in part.itertuples(index=False):
            value = f"{getattr(row, VALUE):.{digits}f}".replace(".", point)
            territory, year = str(getattr(row, TERRITORY_ID)), getattr(row, YEAR)
            rows.append([territory, str(int(year)), indicator, value, unit])
    return _write(rows, lang)


def read_back(data: bytes, lang: str = "ru") -> pd.DataFrame:
    """A template or example file as a DataFrame (what the tests compare)."""
    sep, decimal = _DIALECT.get(lang, _DIALECT["ru"])
    return pd.read_csv(
        io.BytesIO(data), sep=sep, decimal=decimal, encoding="utf-8-sig", dtype=str
    )
