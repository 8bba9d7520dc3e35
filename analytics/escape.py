"""Text from data made safe for each kind of output: one helper per kind.

File names, sheet names, cell texts and territory names come from files
anyone can upload. Whatever prints them escapes them here, so that a name
cannot forge a console line, drive the terminal, become a live spreadsheet
formula or render as Markdown/HTML:

* :func:`console` — control characters (newlines, ANSI escapes, bidi
  overrides) shown as ``\\n``, ``\\x1b``, ``\\u202e``;
* :func:`markdown` — Markdown, Streamlit's ``:color[…]``/``:icon:`` and
  ``$…$`` syntax and HTML shown as typed, on one line;
* :func:`html` — HTML text and attribute values;
* :func:`xlsx` and :func:`guard_cell` — a text cell that spreadsheet
  software never reads as a formula (``=``, ``+``, ``-``, ``@``, tab, CR).
"""

from __future__ import annotations

import html as _html
import re
import unicodedata
from typing import Any

#: Unicode categories printed escaped on a console: controls (C0, C1, DEL),
#: format characters (bidi overrides, zero-width), line and paragraph
#: separators.
_UNSAFE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped_char(ch: str) -> str:
    if ch in _SHORT:
        return _SHORT[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def console(text: object) -> str:
    r"""``text`` with every control or format character written as an escape
    (a backslash stays a backslash; only the characters that move the cursor,
    colour the terminal or reorder text are replaced).

    >>> print(console("a\nОТКЛОНЁН b.csv"))
    a\nОТКЛОНЁН b.csv
    >>> print(console("\x1b[31mred\x1b[0m"))
    \x1b[31mred\x1b[0m
    >>> console("Данные 2023.xlsx")
    'Данные 2023.xlsx'
    """
    value = str(text)
    if value.isprintable():
        return value
    return "".join(
        _escaped_char(ch) if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch
        for ch in value
    )


# Markdown, Streamlit's directives (``:red[…]``, ``:material/x:``), LaTeX
# ``$``, autolinks (``http:``) and the HTML characters: each is shown as
# typed. Dots, dashes and pluses only start lists at the start of a line:
# :data:`_LIST_START` escapes them there (a file name keeps its dots).
MARKDOWN_SPECIAL = "\\`*_{}[]()<>#|~:$&"
_MARKDOWN_SPECIAL = re.compile("([" + re.escape(MARKDOWN_SPECIAL) + "])")
_LIST_START = re.compile(r"\s*(\d+[.)]|[-+=])")


def markdown(text: object) -> str:
    r"""``text`` safe inside Markdown: every special character escaped with a
    backslash and control characters shown escaped (a line break would start
    a new block).

    >>> print(markdown("[x](javascript:alert(1)) **b**"))
    \[x\]\(javascript\:alert\(1\)\) \*\*b\*\*
    >>> print(markdown("# title\nline"))
    \# title\\nline
    """
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", console(text))
    start = _LIST_START.match(escaped)  # «1.», «-», «+» would start a list
    if start is None:
        return escaped
    at = start.end(1) - 1
    return escaped[:at] + "\\" + escaped[at:]


def html(text: object) -> str:
    """``text`` safe as HTML text or a quoted attribute value.

    >>> html('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    return _html.escape(console(text), quote=True)


#: First characters that make spreadsheet software read a cell as a formula
#: (OWASP's list: ``=``, ``+``, ``-``, ``@``, tab, carriage return; the
#: full-width forms too, which some locales accept).
FORMULA_STARTS = tuple("=+-@\t\r\uff1d\uff0b\uff0d\uff20")


def looks_like_formula(value: object) -> bool:
    """Whether a text cell would be read as a formula.

    >>> looks_like_formula('=HYPERLINK("http://x")'), looks_like_formula("-5 %")
    (True, True)
    >>> looks_like_formula("Казань"), looks_like_formula(-5.0)
    (False, False)
    """
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


#: Characters XML 1.0 (and so XLSX) cannot hold; openpyxl refuses them.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx(value: Any) -> Any:
    r"""A value for a spreadsheet cell: text with the control characters XLSX
    cannot hold shown escaped; other values as they are. Mark the cell with
    :func:`guard_cell` once written.

    >>> print(xlsx("name\x1b[31m.csv"))
    name\x1b[31m.csv
    >>> xlsx(2.5)
    2.5
    """
    if isinstance(value, str) and _XML_ILLEGAL.search(value):
        return _XML_ILLEGAL.sub(lambda m: _escaped_char(m.group()), value)
    return value


def guard_cell(cell: Any) -> Any:
    """Make an openpyxl cell holding formula-like text a plain text cell with
    Excel's quote prefix (shown as typed, never evaluated, not even after an
    edit). Numbers and ordinary text are left as they are."""
    if looks_like_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def guard_sheet(sheet: Any) -> None:
    """:func:`guard_cell` on every cell of an openpyxl worksheet."""
    for row in sheet.iter_rows():
        for cell in row:
            guard_cell(cell)
