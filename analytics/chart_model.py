"""The unit every chart travels in: a figure plus what a slide needs to say.

A :class:`Chart` is what the figure builders in :mod:`analytics.charts`
return, what the app draws, and what :mod:`analytics.export` turns into PNG,
SVG, PDF, a PPTX slide or an XLSX sheet. It carries the numbers behind the
figure (``data``, column names already carry their units) and the metadata
every number shown must have: unit, year, source and, for an inequality
index, whether it is population-weighted.

>>> import pandas as pd, plotly.graph_objects as go
>>> chart = Chart(key="demo", figure=go.Figure(), data=pd.DataFrame({"x": [1]}),
...               title="Доходы", caption="", unit="руб. на жителя",
...               year="2023", source="БД ПМО", weighted=True)
>>> chart.footer("ru")
'Единица: руб. на жителя · 2023 · Источник: БД ПМО · взвешено по населению'
>>> chart.footer("en")
'Unit: руб. на жителя · 2023 · Source: БД ПМО · population-weighted'
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go

from analytics.formatting import plain_text
from analytics.i18n import DEFAULT_LANG, LANGS, t


@dataclass
class Chart:
    """A figure with its data and the facts a reader needs to trust it.

    Attributes
    ----------
    key : str
        Stable identifier (``"finance_ranking"``), used for file names and for
        picking charts into a deck.
    figure : plotly.graph_objects.Figure
        The figure as drawn in the app; its title already states indicator and
        year.
    data : pandas.DataFrame
        The numbers behind the figure, one row per plotted element; column
        names include units. Exported to XLSX/CSV and to the slide notes.
    title : str
        Short title for a slide or file (the figure's title without markup).
    caption : str
        One sentence stating the finding, generated from the numbers
        ("Разрыв … вырос с 2,1 до 2,6 раза за 2015–2023"). May be empty.
    unit : str
        Unit of the values plotted (or of the index, e.g. "индекс Тейла").
    year : str
        Year or period the chart shows ("2023", "2010–2023").
    source : str
        Source line (files / publications the values come from).
    weighted : bool or None
        For inequality indices: population-weighted or not; ``None`` when
        the chart shows no index.
    notes : str
        Optional extra text for slide notes (method, caveats).
    """

    key: str
    figure: go.Figure
    data: pd.DataFrame
    title: str
    caption: str
    unit: str
    year: str
    source: str
    weighted: bool | None = None
    notes: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Titles and findings are written once and shown everywhere: on
        # screen, in XLSX, CSV, PPTX and PDF. Markup meant for plotly (a
        # ``<br>`` from wrapping a long name) must reach none of them.
        self.title = plain_text(self.title)
        self.caption = plain_text(self.caption)
        self.notes = plain_text(self.notes, breaks="\n")

    def footer(self, lang: str = "ru") -> str:
        """Unit, year, source and weighting in one line, in ``lang``."""
        return footer_line(self.unit, self.year, self.source, self.weighted, lang)


def footer_line(
    unit: str, year: str, source: str, weighted: bool | None, lang: str = "ru"
) -> str:
    """Unit, year, source and weighting in one line, in ``lang`` (what
    :meth:`Chart.footer` prints; usable before the chart exists).

    >>> footer_line("z", "2023", "", False, "en")
    'Unit: z · 2023 · unweighted'
    """
    lang = lang if lang in LANGS else DEFAULT_LANG
    parts = []
    if unit:
        parts.append(f"{t('footer.unit', lang)}: {unit}")
    if year:
        parts.append(year)
    if source:
        parts.append(f"{t('footer.source', lang)}: {source}")
    if weighted is not None:
        parts.append(t(f"weighted.{str(bool(weighted)).lower()}", lang))
    return " · ".join(parts)
