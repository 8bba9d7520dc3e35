"""Periods as Rosstat writes them, read into (year, period code).

Period codes (the store's ``period`` column):

``year``      the whole year (also «январь-декабрь», «за год»)
``Q1``…``Q4`` a quarter («I квартал», «1 кв.»)
``M01``…``M12`` a month («январь», «Январь »)
``M01-M03``   cumulative months («январь-март», «I полугодие» = ``M01-M06``,
              «9 месяцев» = ``M01-M09``)
``D01-09``    a point in time («на 9 января»); «на 1 января YEAR» alone in a
              year header stays annual (the year it opens, as before)

Footnote marks are stripped everywhere: ``'20222)3)'``, ``'20241,2'``,
``'2014 год 1'``, ``'2022 2'``, ``'на 9 января**'``, «2018 г.».
"""

from __future__ import annotations

import re

ANNUAL = "year"

MONTHS = {
    "январ": 1,
    "феврал": 2,
    "март": 3,
    "апрел": 4,
    "ма": 5,  # май, мая
    "июн": 6,
    "июл": 7,
    "август": 8,
    "сентябр": 9,
    "октябр": 10,
    "ноябр": 11,
    "декабр": 12,
}
_MONTH = (
    r"(январ[ьяе]|феврал[ьяе]|марта?|марте|апрел[ьяе]|ма[йяе]|июн[ьяе]|"
    r"июл[ьяе]|августа?|августе|сентябр[ьяе]|октябр[ьяе]|ноябр[ьяе]|декабр[ьяе])"
)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_MARKS = re.compile(r"(\s*\d\)|\*+|[¹²³⁴⁵⁶⁷⁸⁹⁰]+)+\s*$")
_SPACES = re.compile(r"[\s\u00a0]+")


def month_number(word: str) -> int | None:
    word = word.lower()
    if word.startswith("ма") and not word.startswith("март"):
        return 5 if re.fullmatch(r"ма[йяе]", word) else None
    for stem, number in MONTHS.items():
        if stem != "ма" and word.startswith(stem):
            return number
    return None


def strip_marks(value: object) -> str:
    """Text of a header cell without footnote marks and extra spaces."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _SPACES.sub(" ", str(value)).strip()
    return _MARKS.sub("", text).strip()


_YEAR = re.compile(
    r"^((?:19|20)\d\d)"  # the year
    r"(?:\s*(?:г\.?|гг\.?|год[аы]?))?"  # «г.», «год»
    r"(?:\s*\d(?:\s*[,;]\s*\d)*\)?)*"  # footnote digits: '1', '1,2', '2)3)'
    r"\s*\**$"
)


def parse_year_label(value: object) -> int | None:
    """A year header cell: 2018, 2018.0, '2018 г.', '20221', '20241,2',
    '20222)3)', '2014 год 1', '2022 2'; None for anything else.

    >>> [parse_year_label(v) for v in (2019.0, "2018 г.", "20241,2", "2014 год 1")]
    [2019, 2018, 2024, 2014]
    >>> parse_year_label("20222)3)"), parse_year_label("12,5"), parse_year_label(1)
    (2022, None, None)
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            return None
        year = int(value)
        return year if 1900 <= year <= 2100 else None
    text = _SPACES.sub(" ", str(value)).strip()
    match = _YEAR.match(text)
    if match:
        return int(match.group(1))
    match = re.match(
        r"^на\s+1\s+января\s+((?:19|20)\d\d)\s*(?:г\.?|года?)?$", text, re.I
    )
    return int(match.group(1)) if match else None


def parse_subperiod(value: object) -> str | None:
    """A period within a year, the whole cell being that period.

    >>> [parse_subperiod(v) for v in ("I квартал", "Январь ", "январь-март")]
    ['Q1', 'M01', 'M01-M03']
    >>> parse_subperiod("на 9 января**"), parse_subperiod("январь - декабрь")
    ('D01-09', 'year')
    >>> parse_subperiod("Декабрь в % к декабрю предыдущего года") is None
    True
    """
    text = strip_marks(value).lower().replace("ё", "е").strip(" .,:")
    if not text:
        return None
    if text in ("год", "за год", "в среднем за год", "итого за год"):
        return ANNUAL
    match = re.fullmatch(r"(i{1,3}|iv|[1-4])\s*-?\s*(?:й\s*)?(кв\.?|квартал)", text)
    if match:
        return f"Q{_ROMAN[match.group(1)]}"
    match = re.fullmatch(r"(i|ii|1|2)\s*-?\s*(?:е\s*)?полугодие", text)
    if match:
        return "M01-M06" if _ROMAN[match.group(1)] == 1 else "M07-M12"
    match = re.fullmatch(r"(3|6|9|12)\s+месяц(ев|а)", text)
    if match:
        months = int(match.group(1))
        return ANNUAL if months == 12 else f"M01-M{months:02d}"
    match = re.fullmatch(_MONTH + r"\s*[-–—]\s*" + _MONTH, text)
    if match:
        first, last = month_number(match.group(1)), month_number(match.group(2))
        if first == 1 and last == 12:
            return ANNUAL
        return f"M{first:02d}-M{last:02d}"
    match = re.fullmatch(r"на\s+(\d{1,2})\s+" + _MONTH, text)
    if match:
        return f"D{month_number(match.group(2)):02d}-{int(match.group(1)):02d}"
    match = re.fullmatch(_MONTH, text)
    if match:
        return f"M{month_number(match.group(1)):02d}"
    return None


def parse_period_label(value: object) -> tuple[int | None, str | None]:
    """(year, period) of a header cell that may hold both («январь 2020»,
    «I квартал 2021 г.», «январь-март 2019»), or one of them."""
    year = parse_year_label(value)
    if year is not None:
        return year, None
    sub = parse_subperiod(value)
    if sub is not None:
        return None, sub
    text = strip_marks(value)
    match = re.match(r"^(.*?)\s*((?:19|20)\d\d)\s*(?:г\.?|года?)?$", text)
    if match and match.group(1):
        sub = parse_subperiod(match.group(1))
        if sub is not None:
            return int(match.group(2)), sub
    return None, None


_TITLE_YEAR = re.compile(
    r"(?:(?:за|в)\s+)?(?:(?P<span>" + _MONTH + r"\s*[-–—]\s*" + _MONTH + r")\s+)?"
    r"(?P<year>(?:19|20)\d\d)\s*(?:г\.?|года?|году)?",
    re.I,
)


def title_period(text: str) -> tuple[int, str] | None:
    """The period a title states for the whole table («в 2022 г.», «за
    январь - декабрь 2016 года», «в 2023г.*»); the last one wins. A range of
    years («2000-2020 гг.») states none."""
    text = strip_marks(text)
    found = None
    for match in _TITLE_YEAR.finditer(text):
        before = text[max(0, match.start() - 1) : match.start()]
        after = text[match.end() : match.end() + 2]
        if before in "-–—" and before or after.strip().startswith(("-", "–", "—")):
            continue  # a range of years
        period = ANNUAL
        if match.group("span"):
            period = parse_subperiod(match.group("span")) or ANNUAL
        found = (int(match.group("year")), period)
    return found
