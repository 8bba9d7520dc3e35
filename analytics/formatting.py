r"""Numbers and text as people of each language write them, in one place.

Every figure, table, export and sentence formats its numbers here, so that a
Russian reader sees ``1 164 082`` and ``0,05`` everywhere (decimal comma,
thousands grouped by a narrow no-break space, U+202F) and an English reader
``1,164,082`` and ``0.05``; and every text output (a slide, a sheet, a CSV, a
caption on screen) gets its plain text from :func:`plain_text`, so that no
``<br>`` or ``<b>`` written for plotly reaches it.

Rounding follows the size of the numbers (:func:`decimals_for`): whole units
from 100 up, one decimal from 10, two below 10, three below 0.1 and so on,
so a rouble amount prints as ``49 273`` and a Gini coefficient as ``0,312``;
percentages get one decimal.

>>> fmt_number(1164082, "ru"), fmt_number(0.05, "ru"), fmt_number(49272.88, "en")
('1\u202f164\u202f082', '0,05', '49,273')
>>> plain_text("Разрыв вырос<br>с 2,1 до <b>2,6</b> раза")
'Разрыв вырос с 2,1 до 2,6 раза'
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

#: Thousands separator of Russian numbers: narrow no-break space (U+202F),
#: which never breaks a number across lines and which DejaVu and Liberation
#: fonts draw (the fonts the figures and slides use).
THIN = "\u202f"
#: plotly's ``layout.separators``: the decimal mark, then the thousands mark.
SEPARATORS = {"ru": "," + THIN, "en": ".,"}


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def decimals_for(size: float) -> int:
    """Decimals to show for numbers of magnitude ``size`` (three significant
    digits below 100, whole numbers from 100).

    >>> [decimals_for(v) for v in (49272.88, 65.4, 6.52, 0.312, 0.0451, 0)]
    [0, 1, 2, 3, 4, 0]
    """
    size = abs(float(size))
    if not math.isfinite(size) or size == 0 or size >= 100:
        return 0
    return min(6, 2 - math.floor(math.log10(size)))


def series_decimals(values: Iterable[float]) -> int:
    """One number of decimals for a whole column or axis: what its typical
    (median absolute, non-zero) value needs, so that a column is rounded alike.

    >>> series_decimals([49272.88, 39659.1501, 812.5]), series_decimals([0.31, 0.05])
    (0, 3)
    """
    arr = np.asarray(list(values) if not isinstance(values, np.ndarray) else values)
    arr = pd.to_numeric(pd.Series(arr.ravel()), errors="coerce").to_numpy(float)
    arr = np.abs(arr[np.isfinite(arr) & (arr != 0)])
    if not arr.size:
        return 0
    return decimals_for(float(np.median(arr)))


def group(text: str, lang: str) -> str:
    """Python's ``1,234.5`` written for ``lang``."""
    if lang == "ru":
        return text.replace(",", THIN).replace(".", ",")
    return text


def fmt_number(
    value: float | None, lang: str = "ru", *, digits: int | None = None
) -> str:
    r"""A number as people of ``lang`` write it (ru: ``1 234,5`` with U+202F;
    en: ``1,234.5``). ``digits`` decimals; by default none from 100, one from
    10, two below (a single figure in a sentence; columns and axes use
    :func:`series_decimals`).
    Missing values print as an em dash.

    >>> fmt_number(-1234.5, "ru", digits=1), fmt_number(float("nan"))
    ('-1\u202f234,5', '—')
    """
    if _missing(value):
        return "—"
    number = float(value)
    if digits is None:
        size = abs(number)
        digits = 0 if size >= 100 else 1 if size >= 10 else 2
    text = f"{number:,.{digits}f}"
    if text.startswith("-") and float(text.lstrip("-").replace(",", "")) == 0:
        text = text[1:]  # no «-0,0»
    return group(text, lang)


def fmt_percent(value: float | None, lang: str = "ru", *, digits: int = 1) -> str:
    """A share (0.065) as a percentage: ``6,5 %`` (ru) / ``6.5%`` (en)."""
    if _missing(value):
        return "—"
    number = fmt_number(float(value) * 100, lang, digits=digits)
    return f"{number}\u00a0%" if lang == "ru" else f"{number}%"


def fmt_ratio(value: float | None, lang: str = "ru") -> str:
    """A ratio as «в 2,1 раза» / «2.1×»."""
    if _missing(value):
        return "—"
    if lang == "ru":
        return f"в {fmt_number(value, lang, digits=1)} раза"
    return f"{fmt_number(value, lang, digits=1)}×"


_SCALES = {
    "ru": ((1e9, "млрд"), (1e6, "млн"), (1e3, "тыс.")),
    "en": ((1e9, "bn"), (1e6, "mn"), (1e3, "thousand")),
}


def fmt_amount(value: float | None, unit: str, lang: str = "ru") -> str:
    """A large amount with its scale word: ``2,47 млрд руб.``.

    >>> fmt_amount(2_473_566_675, "руб.", "ru")
    '2,47 млрд руб.'
    >>> fmt_amount(2_473_566_675, "RUB", "en")
    '2.47 bn RUB'
    >>> fmt_amount(950, "руб.", "ru")
    '950 руб.'
    """
    if _missing(value):
        return "—"
    for size, word in _SCALES.get(lang, _SCALES["ru"]):
        if abs(value) >= size:
            return f"{fmt_number(value / size, lang, digits=2)} {word} {unit}".strip()
    return f"{fmt_number(value, lang)} {unit}".strip()


# ------------------------------------------------------------------ plotly


def d3_format(
    values: Iterable[float] | None = None, *, digits: int | None = None
) -> str:
    """A d3 format for hover labels and ticks of ``values``: grouped thousands,
    fixed decimals (``",.0f"``), never d3's ``~g``, which prints 49272.88 as
    ``4.927e+4``. The marks themselves come from ``layout.separators``.

    >>> d3_format([49272.88, 39659.15]), d3_format([0.31, 0.05]), d3_format(digits=1)
    (',.0f', ',.3f', ',.1f')
    """
    if digits is None:
        digits = series_decimals(values if values is not None else [])
    return f",.{digits}f"


def localize_figure(fig, lang: str = "ru") -> None:
    """Make ``fig`` write numbers as ``lang`` does: decimal and thousands
    marks (plotly's ``separators``), and no SI suffixes on axes (plotly's
    default writes 10000 as «10k»). Changes ``fig`` in place (used by the
    figure builders on figures they have just made)."""
    layout = fig.layout
    layout.separators = SEPARATORS.get(lang, SEPARATORS["ru"])
    for name in layout:
        if name.startswith(("xaxis", "yaxis")):
            axis = layout[name]
            # plotly groups numbers of five digits and more by itself;
            # separatethousands would write the year 2010 as «2 010»
            if axis.exponentformat is None:
                axis.exponentformat = "none"
    for trace in fig.data:
        colorbar = getattr(trace, "colorbar", None)
        if colorbar is not None and colorbar.exponentformat is None:
            colorbar.exponentformat = "none"


# ------------------------------------------------------------- plain text

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_SPACES = re.compile(r"[ \t]+")


def plain_text(text: object, *, breaks: str = " ") -> str:
    """Text written for plotly (``<br>``, ``<b>``, ``<i>``, ``<sup>``, HTML
    entities) as plain text for a slide, a sheet, a CSV or a caption on
    screen: line breaks become ``breaks`` (a space by default; ``"\\n"``
    keeps them as lines), other tags go, entities are decoded.

    >>> plain_text("a<br>b", breaks="\\n"), plain_text(None), plain_text("x &lt; y")
    ('a\\nb', '', 'x < y')
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    out = html.unescape(_TAG.sub("", _BREAK.sub("\n", str(text))))
    lines = [_SPACES.sub(" ", line).strip() for line in out.split("\n")]
    return breaks.join(line for line in lines if line)


def has_markup(text: object) -> bool:
    """Whether ``text`` still carries an HTML tag (what tests look for)."""
    return bool(_TAG.search(str(text))) if text is not None else False


# ------------------------------------------------------------------ tables


def round_frame(df: pd.DataFrame, *, extra: int = 0) -> pd.DataFrame:
    """``df`` with each float column rounded to :func:`series_decimals` of
    its values plus ``extra`` (no ``39659.1501`` or 15-digit floats in a
    table or export; files keep ``extra=2`` more digits than the screen);
    integers and text untouched; a new frame, ``df`` is not changed.
    Text columns lose plotly markup (:func:`plain_text`).

    >>> round_frame(pd.DataFrame({"v": [49272.88, 39659.1501], "n": ["a<br>b", "c"]}))
             v    n
    0  49273.0  a b
    1  39659.0    c
    """
    out = {}
    for column in df.columns:
        values = df[column]
        if pd.api.types.is_float_dtype(values):
            out[column] = values.round(series_decimals(values.to_numpy()) + extra)
        elif pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(
            values
        ):
            out[column] = values.map(
                lambda v: plain_text(v) if isinstance(v, str) else v
            )
        else:
            out[column] = values
    return pd.DataFrame(out, index=df.index)


def excel_format(decimals: int) -> str:
    """An Excel number format with grouped thousands and ``decimals``
    decimals; Excel draws the marks of the reader's locale.

    >>> excel_format(0), excel_format(2)
    ('#,##0', '#,##0.00')
    """
    return "#,##0" + ("." + "0" * decimals if decimals > 0 else "")


def _is_year(column: object, values: pd.Series) -> bool:
    name = str(column).casefold()
    return ("year" in name or "год" in name or "период" in name) and bool(
        values.dropna().between(1800, 2200).all()
    )


def excel_formats(df: pd.DataFrame) -> dict:
    """An Excel number format per numeric column of ``df`` (by position,
    1-based, as openpyxl counts): grouped thousands, the column's decimals;
    years left as they are.

    >>> excel_formats(pd.DataFrame({"Год": [2023], "v": [49272.88], "t": ["a"]}))
    {2: '#,##0'}
    """
    out = {}
    for i, column in enumerate(df.columns, start=1):
        values = df.iloc[:, i - 1]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(
            values
        ):
            continue
        if _is_year(column, values):
            continue
        digits = (
            0
            if pd.api.types.is_integer_dtype(values)
            else series_decimals(values.to_numpy())
        )
        out[i] = excel_format(digits)
    return out


def column_formatters(df: pd.DataFrame, lang: str = "ru") -> dict:
    r"""One formatter per numeric column of ``df`` for a table on screen:
    numbers grouped and rounded alike within a column (:func:`series_decimals`),
    years as written (``2023``, not ``2 023``), missing values as «—».

    >>> f = column_formatters(pd.DataFrame({"год": [2023], "v": [1164082.0]}))
    >>> f["год"](2023), f["v"](1164082.0)
    ('2023', '1\u202f164\u202f082')
    """
    out = {}
    for column in df.columns:
        values = df[column]
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(
            values
        ):
            continue
        if _is_year(column, values):
            out[column] = lambda v: "—" if _missing(v) else str(int(v))
            continue
        digits = (
            0
            if pd.api.types.is_integer_dtype(values)
            else series_decimals(values.to_numpy())
        )
        out[column] = lambda v, d=digits: fmt_number(v, lang, digits=d)
    return out


def styled(df: pd.DataFrame, lang: str = "ru"):
    """``df`` as a pandas Styler showing its numbers as ``lang`` writes them
    (the cells keep their numeric values, so a table still sorts by number);
    text cells lose plotly markup."""
    table = df.map(lambda v: plain_text(v) if isinstance(v, str) else v)
    if not (table.columns.is_unique and table.index.is_unique):
        return round_frame(table)  # a Styler needs unique labels
    return table.style.format(column_formatters(table, lang), na_rep="—")
