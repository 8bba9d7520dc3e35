"""Cell values and labels as Rosstat publishes them, made clean.

Rosstat tables mix numbers with conventional signs, footnote markers and
typographic spaces. :func:`parse_value` turns one cell into a float or into a
reason why there is no number. The policy:

* ``…``/``...`` (no data), ``-``/``–``/``—`` (no such phenomenon), ``x``/``х``
  (suppressed for confidentiality), ``н/д``, ``NA`` and empty cells are
  *missing*, never zero; the reason is kept so the ETL can list it.
* Decimal commas, NBSP, thin and ordinary spaces used as thousands separators
  are accepted: ``'1 234,5'`` → 1234.5.
* A footnote marker glued to a number is dropped: ``'99,72)'`` → 99.7 (the
  marker is ``2)``), ``'12,5¹'`` → 12.5.
* A comma followed by exactly three digits («1,234») is a decimal comma (the
  Russian convention) unless the file shows it groups thousands: numbers like
  «1,234.5», «1,234,567» or decimal points («12.5») and no decimal comma
  (see :func:`comma_role`). Where the file shows both, such a cell is
  rejected as ambiguous instead of guessed.
* Float artefacts of Excel (``1474882.0000000002``) stay numbers as they are.
* Digits mixed with letters, Cyrillic look-alikes included (``' 2397О'`` with a
  Cyrillic ``О``), are *invalid*: the value is rejected with a reason, never
  guessed.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Kind = Literal["ok", "missing", "invalid"]

#: Conventional signs of Rosstat and their meaning (Russian, shown to users).
MISSING_MARKERS: dict[str, str] = {
    "…": "«…» — данных нет",
    "...": "«…» — данных нет",
    "..": "«…» — данных нет",
    "-": "«-» — явление отсутствует",
    "–": "«-» — явление отсутствует",
    "—": "«-» — явление отсутствует",
    "x": "«x» — данные не публикуются (конфиденциальность)",
    "х": "«x» — данные не публикуются (конфиденциальность)",
    "н/д": "«н/д» — нет данных",
    "нд": "«н/д» — нет данных",
    "нет данных": "«нет данных»",
    "na": "«NA» — нет данных",
    "n/a": "«NA» — нет данных",
    "nan": "«NA» — нет данных",
    "null": "«NA» — нет данных",
}
EMPTY_REASON = "пустая ячейка"

_SPACES = re.compile(r"[\s\u00a0\u2007\u2009\u202f]+")
_SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹⁰"
# A footnote marker like "2)" or "1)" glued to the end of a number.
_GLUED_FOOTNOTE = re.compile(r"^(?P<num>.*\d)\s*\d{1,2}\)$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_CYRILLIC_LOOKALIKES = set("АВЕКМНОРСТХаеорсухЗзбОо")


#: Cells that show a comma groups thousands: «1,234.5», «1,234,567», or a
#: decimal point («12.5», not «1.234», which could group thousands itself).
#: RE2 syntax, so that Arrow can match whole columns.
COMMA_THOUSANDS = (
    r"^\s*[+-]?\d{1,3}(,\d{3})+\.\d*\s*$"
    r"|^\s*[+-]?\d{1,3}(,\d{3}){2,}\s*$"
    r"|^\s*[+-]?\d*\.(\d{1,2}|\d{4,})\s*$"
)
#: Cells that show a comma is decimal: not three digits after it («12,5»),
#: more than three before it or a zero («12345,678», «0,123»), or grouped
#: thousands before it («1 234,567», «1.234,5»).
COMMA_DECIMAL = (
    r"^\s*[+-]?\d*,(\d{1,2}|\d{4,})\s*$"
    r"|^\s*[+-]?(\d{4,}|0),\d+\s*$"
    "|\\d[ .\u00a0\u202f\u2009]\\d{3},\\d"  # literal: RE2 has no \\u escapes
)
#: A cell whose comma could be either («1,234»).
COMMA_AMBIGUOUS = r"^\s*[+-]?[1-9]\d{0,2},\d{3}\s*$"
#: Cells whose value depends on :func:`comma_role` («1,234», «1,234,567»): a
#: file without any needs no role (its other cells are not searched).
COMMA_GROUPS = re.compile(r"^\s*[+-]?[1-9]\d{0,2}(,\d{3})+\s*$")
AMBIGUOUS_REASON = (
    "запятая может отделять и тысячи, и дробную часть: в файле есть числа "
    "обоих видов («1,234.5» и «12,5»), значение не угадывается"
)
Comma = Literal["decimal", "thousands", "conflict"]


def comma_role(texts) -> Comma:
    """What a comma followed by three digits means in a file, from its cells:
    ``'thousands'`` when some cell shows commas grouping thousands or a
    decimal point and none a decimal comma, ``'conflict'`` when cells show
    both, else ``'decimal'`` (the Russian convention).

    >>> comma_role(["1,234.5", "1,234"]), comma_role(["12,5", "1,234"])
    ('thousands', 'decimal')
    >>> comma_role(["1,234.5", "12,5", "1,234"]), comma_role(["1,234"])
    ('conflict', 'decimal')
    """
    thousands = decimal = False
    for text in texts:
        if not isinstance(text, str) or ("," not in text and "." not in text):
            continue
        thousands = thousands or bool(_THOUSANDS.search(text))
        decimal = decimal or bool(_DECIMAL.search(text))
        if thousands and decimal:
            return "conflict"
    return role_of(thousands=thousands, decimal=decimal)


def role_of(*, thousands: bool, decimal: bool) -> Comma:
    """:func:`comma_role` from whether any cell shows each reading."""
    if thousands and decimal:
        return "conflict"
    return "thousands" if thousands else "decimal"


_THOUSANDS = re.compile(COMMA_THOUSANDS)
_DECIMAL = re.compile(COMMA_DECIMAL)
_AMBIGUOUS = re.compile(COMMA_AMBIGUOUS)


@dataclass(frozen=True, slots=True)
class Parsed:
    """Result of :func:`parse_value`: a number, or a reason why there is none."""

    value: float | None
    kind: Kind
    reason: str = ""


def _describe_letters(text: str) -> str:
    letters = [ch for ch in text if ch.isalpha()]
    parts = []
    for ch in dict.fromkeys(letters):
        script = unicodedata.name(ch, "?").split(" ")[0].capitalize()
        parts.append(f"'{ch}' (U+{ord(ch):04X}, {script})")
    return ", ".join(parts)


def parse_value(raw: object, *, comma: Comma = "decimal") -> Parsed:
    """Parse one published cell into a float.

    Parameters
    ----------
    raw
        The cell as a reader returns it: ``float``, ``int``, ``str``, ``None``.
    comma
        What a comma before three digits means in this file
        (:func:`comma_role`); ``'conflict'`` rejects such a cell.

    Returns
    -------
    Parsed
        ``kind='ok'`` with the value; ``'missing'`` for empty cells and
        Rosstat's conventional signs; ``'invalid'`` for anything else, with a
        reason in Russian.

    Examples
    --------
    >>> parse_value("1\\u00a0234,5").value
    1234.5
    >>> parse_value("99,72)").value
    99.7
    >>> parse_value("…").kind
    'missing'
    >>> parse_value(" 2397О").kind
    'invalid'
    >>> parse_value("1,234").value, parse_value("1,234", comma="thousands").value
    (1.234, 1234.0)
    """
    if raw is None:
        return Parsed(None, "missing", EMPTY_REASON)
    if isinstance(raw, bool):
        return Parsed(None, "invalid", f"логическое значение {raw!r} вместо числа")
    if isinstance(raw, int | float):
        value = float(raw)
        if math.isnan(value):
            return Parsed(None, "missing", EMPTY_REASON)
        if math.isinf(value):
            return Parsed(None, "invalid", "бесконечность вместо числа")
        return Parsed(value, "ok")
    text = str(raw)
    stripped = _SPACES.sub(" ", text).strip()
    if not stripped:
        return Parsed(None, "missing", EMPTY_REASON)
    marker = MISSING_MARKERS.get(stripped.lower())
    if marker is not None:
        return Parsed(None, "missing", marker)
    candidate = stripped.rstrip(_SUPERSCRIPTS).strip()
    marker = MISSING_MARKERS.get(re.sub(r"\s*\d\)$", "", candidate).lower())
    if marker is not None:
        return Parsed(None, "missing", marker)
    glued = _GLUED_FOOTNOTE.match(candidate)
    if glued and not _looks_numeric(candidate):
        candidate = glued.group("num")
    marker = MISSING_MARKERS.get(candidate.strip().lower())
    if marker is not None:
        return Parsed(None, "missing", marker)
    candidate = candidate.replace(" ", "").replace("\u2212", "-")
    if comma != "decimal" and _AMBIGUOUS.match(candidate):
        if comma == "conflict":
            return Parsed(None, "invalid", AMBIGUOUS_REASON)
        candidate = candidate.replace(",", "")
    elif comma == "thousands" and _THOUSANDS.match(candidate):
        candidate = candidate.replace(",", "")
    number = _to_float(candidate)
    if number is not None:
        return Parsed(number, "ok")
    if _infinite(candidate):
        return Parsed(None, "invalid", f"бесконечность вместо числа: {stripped[:60]!r}")
    if any(ch.isalpha() for ch in stripped) and any(ch.isdigit() for ch in stripped):
        return Parsed(
            None,
            "invalid",
            f"цифры вперемешку с буквами: {_describe_letters(stripped)}",
        )
    return Parsed(None, "invalid", f"не число: {stripped[:60]!r}")


def _infinite(text: str) -> bool:
    """«inf», «Infinity», «1e309»: what float() reads as an infinity."""
    try:
        return math.isinf(float(text.replace(",", ".")))
    except ValueError:
        return False


def _looks_numeric(text: str) -> bool:
    return _to_float(text.replace(" ", "")) is not None


def _to_float(text: str) -> float | None:
    if not text:
        return None
    if "," in text and "." in text:
        # The last separator is the decimal one; the other groups thousands.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif "," in text:
        if text.count(",") > 1:
            return None
        text = text.replace(",", ".")
    if not _PLAIN_NUMBER.match(text):
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


_FOOTNOTE_TAIL = re.compile(r"((?<!\d)\d\)|\s+\d{1,2}\)|\s*\*+|\s*[¹²³⁴⁵⁶⁷⁸⁹⁰]+)+$")
_FOOTNOTE_SPACE_DIGIT = re.compile(r"(?<=[^\d\s])\s+\d$")
_DASHES = re.compile(r"\s*[‐‑‒–—―-]\s*")


def clean_label(text: object) -> str:
    """Strip a label of footnote markers, soft hyphens and stray spaces.

    Keeps the case; see :func:`normalize_name` for matching.

    >>> clean_label("ЧИСЛО БОЛЬНИЧНЫХ КОЕК1)")
    'ЧИСЛО БОЛЬНИЧНЫХ КОЕК'
    >>> clean_label("Российская Федерация 2")
    'Российская Федерация'
    >>> clean_label("Кабардино-Балкарская Республика")
    'Кабардино-Балкарская Республика'
    >>> clean_label("9.6. ВАЛОВОЕ НАКОПЛЕНИЕ в 2000-2015 гг. 1);2)")
    '9.6. ВАЛОВОЕ НАКОПЛЕНИЕ в 2000-2015 гг.'
    """
    if text is None:
        return ""
    value = str(text).replace("\u00ad", "")
    value = _SPACES.sub(" ", value).strip()
    value = re.sub(r"(\d\))\s*;\s*(?=\d\))", r"\1", value)
    value = _FOOTNOTE_TAIL.sub("", value).strip()
    value = _FOOTNOTE_SPACE_DIGIT.sub("", value).strip()
    return value


# Latin letters that look like Cyrillic ones, found in real Rosstat tables
# («Алтайский кpай» with a Latin «p»).
_HOMOGLYPHS = str.maketrans("aceopxyABCEHKMOPTXk", "асеорхуАВСЕНКМОРТХк")


def _fix_homoglyphs(word: str) -> str:
    if re.search(r"[а-яё]", word, re.I) and re.search(r"[a-z]", word, re.I):
        return word.translate(_HOMOGLYPHS)
    return word


def dehyphenate(text: str) -> str:
    """Undo word breaks of narrow header cells: «помеще-ния» → «помещения».

    Only for column headers of rosstat.gov.ru tables, where compound words are
    rare; names of territories keep their hyphens.

    >>> dehyphenate("оплата жилого помеще-ния и комму-нальных услуг")
    'оплата жилого помещения и коммунальных услуг'
    """
    return re.sub(r"(?<=[а-яё])-\s*(?=[а-яё])", "", text)


def normalize_name(text: object) -> str:
    """A matching key for names: lower case, ё→е, one kind of dash and space,
    Latin look-alike letters inside Cyrillic words made Cyrillic.

    >>> normalize_name("Алтайский кpай") == normalize_name("Алтайский край")
    True

    >>> normalize_name("  Центральный       федеральный округ ")
    'центральный федеральный округ'
    >>> normalize_name("Республика Северная Осетия – Алания")
    'республика северная осетия - алания'
    >>> normalize_name("Кемеровская область—Кузбасс")
    'кемеровская область - кузбасс'
    """
    value = " ".join(_fix_homoglyphs(w) for w in clean_label(text).split(" "))
    value = value.lower().replace("ё", "е")
    value = _DASHES.sub(" - ", value)
    value = value.replace("«", '"').replace("»", '"')
    return _SPACES.sub(" ", value).strip(" .,:;")


_YEAR = re.compile(r"^(?:на\s+1\s+января\s+)?((?:19|20)\d\d)(?:\s*г\.?|\s*год)?$")


def parse_year(cell: object) -> int | None:
    """Read a year header cell: ``2019``, ``2019.0``, ``'2019 г.'``, ``'20191)'``.

    A date-stamped header («на 1 января 2023») belongs to the year it opens.

    >>> parse_year(2018.0), parse_year("2019 г."), parse_year("20191)")
    (2018, 2019, 2019)
    >>> parse_year("на 1 января 2023"), parse_year("декабрь"), parse_year(12.5)
    (2023, None, None)
    """
    if isinstance(cell, bool) or cell is None:
        return None
    if isinstance(cell, int | float):
        if isinstance(cell, float) and not cell.is_integer():
            return None
        year = int(cell)
        return year if 1900 <= year <= 2100 else None
    text = str(cell).strip()
    glued = re.match(r"^((?:19|20)\d\d)\d\)$", text)
    if glued:
        return int(glued.group(1))
    text = clean_label(text).lower()
    match = _YEAR.match(text)
    return int(match.group(1)) if match else None


def column_letter(index: int) -> str:
    """Excel column letter of a 0-based column index.

    >>> column_letter(0), column_letter(25), column_letter(26), column_letter(702)
    ('A', 'Z', 'AA', 'AAA')
    """
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_ref(row: int, col: int) -> str:
    """A1 reference of a 0-based (row, col). ``cell_ref(0, 0) == 'A1'``."""
    return f"{column_letter(col)}{row + 1}"
