"""The table-understanding engine: any sheet of a statistics workbook.

A sheet is read as a grid in five steps, each a small function:

1. **Regions** (:func:`_regions`): title lines at the top (one text cell per
   row, wherever it stands), header rows, a row of column numbers (1 2 3 …,
   «код графы»), data rows, and the footnote block at the end (``¾¾¾``,
   ``1) …``, ``* …``, prose).
2. **Columns** (:func:`_columns`): label columns (names, codes: a header
   «код», «наименование» or text in the data rows) and value columns; the
   header path of each value column over all header rows, merged cells
   spread over the columns they cover (parent and child: «Численность
   врачей — всего, человек»); the period of each column when its header
   holds one (years with any footnote marks, «I квартал» under a year,
   «на 9 января», «январь-март»).
3. **Rows** (:func:`_row_axis`): the row labels are territories (names,
   indentation for municipalities under their region, a country row stating
   its own unit), periods (years or months down the rows), or indicators
   (with «в том числе:» / «из них:» parents and section rows such as
   «Всего, человек» or «К предыдущему месяцу»).
4. **Context**: what the whole table shares: the indicator and unit from the
   title lines and unit lines («(миллионов рублей)», «на конец периода, в
   %»), the period from the title («в 2022 г.», «за январь - декабрь 2016
   года») or the sheet name, the territory from the title («по Российской
   Федерации», «Москвы»), a financial body's name or an OKTMO code.
5. **Cells**: each value cell becomes a record (territory, indicator, year,
   period, value, sheet, cell); conventional signs are kept as missing.

What the older readers did are configurations of these steps: the
«Регионы России» table is territories down × years across; a site workbook
table is indicators down × a period in the title; an EMISS export is
territories down × years/months across with the passport as context.

Every step that finds nothing raises :class:`LayoutError` with the real
cause, which the caller records for the sheet.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from analytics.etl.clean import clean_label, dehyphenate, parse_value
from analytics.etl.readers.base import (
    LayoutError,
    RawIndicator,
    ReadResult,
    RecordBuilder,
    text,
)
from analytics.etl.readers.periods import (
    ANNUAL,
    parse_period_label,
    parse_year_label,
    strip_marks,
    title_period,
)

LAYOUT = "table"

_FOOTER = re.compile(
    r"^(¾|_{3,}|-{3,}|—{3,}|\*|\d{1,2}\s*[)\]]\s*\S|\d\s+[А-ЯA-Z]|примечани|"
    r"источник|справочно)",
    re.I,
)
_PARENT = re.compile(r"^(в том числе|из них|из него|из нее|включая)\b[^:]*:?\s*$", re.I)
_LABEL_HEADER = re.compile(
    r"^(код|коды|наименовани|показател|название|территори|регион|№|n\b|годы?$)",
    re.I,
)
_TERRITORY = re.compile(
    r"(федерац|федеральн\w* округ|\bФО\b|област|кра[йя]\b|республик|автономн|"
    r"\bг\.\s*\S|город\b|район|округ\b|поселени|\bпгт\b|\bр\.п\.|\bс\.\s|"
    r"\bпос\.|\bст-ца|улус|кожуун|\bАО\b|^москва|^санкт-петербург|^севастополь)",
    re.I,
)
_NOT_TERRITORY = re.compile(
    r"(население|мужчин|женщин|всего$|итого|прочие|в том числе|из них)", re.I
)
_UNIT_WORDS = re.compile(
    r"(рубл|руб\.|\bруб\b|человек|\bчел\.|процент|%|тонн|\bт\b|единиц|штук|"
    r"\bшт\.|коек|\bлет\b|кв\.\s*м|\bга\b|литр|\bкг\b|метр|долл|\bраз\b|"
    r"пунктов|мест\b|квартир|гектар|\bкм\b|центнер|голов|\bм3|\bм2|куб\.|плотн)",
    re.I,
)
_SCALE_START = re.compile(
    r"^(в\s+)?(тыс|тысяч|млн|миллион|млрд|миллиард|рубл|руб|человек|чел|процент|"
    r"в процентах|в %|%|единиц|штук|тонн|коек|кв\. ?м|на \d[\d\s]* человек|"
    r"на душу|на 1 жителя)",
    re.I,
)


def _is_unit_text(value: str) -> bool:
    """A short text that is a unit («тысяч человек», «в % к предыдущему
    году», «млрд руб.», «на 10 000 человек населения»)."""
    value = value.strip().strip("()").strip()
    return (
        bool(value)
        and len(value) <= 90
        and bool(_SCALE_START.match(value))
        and bool(_UNIT_WORDS.search(value) or value.lower().startswith("на "))
    )


def split_unit(value: str, raw_spaces: str | None = None) -> tuple[str, str]:
    """A label and the unit it carries: «Денежные доходы (тыс.рублей)» →
    («Денежные доходы», «тыс.рублей»); «Российская Федерация, млрд руб.» →
    («Российская Федерация», «млрд руб.»); «всего, человек» → («всего»,
    «человек»). A label without a unit comes back whole with ''."""
    raw_spaces = str(value) if raw_spaces is None else raw_spaces
    value = clean_label(value)
    match = re.match(r"^(.*\S)\s*\(([^()]*)\)$", value)
    if match and _is_unit_text(match.group(2)):
        unit = match.group(2).split(";")[-1].strip()
        return clean_label(match.group(1)), unit
    if "," in value:
        head, tail = value.rsplit(",", 1)
        if _is_unit_text(tail) and head.strip():
            return head.strip(), tail.strip()
    raw = str(value) if raw_spaces is None else raw_spaces
    parts = re.split(r"\s{2,}", raw.replace("\u00a0", " ").strip())
    if len(parts) > 1 and _is_unit_text(parts[-1]):
        # «Российская Федерация  млрд. руб.»: the unit after a wide space
        return clean_label(" ".join(parts[:-1])), parts[-1].strip()
    return value, ""


def unit_line(value: str) -> tuple[str, str] | None:
    """(qualifier, unit) of a title-area line that states the table's unit:
    «(миллионов рублей)», «(в фактически действовавших ценах; миллионов
    рублей)», «на конец периода, в %», «(в % к предыдущему году)»,
    «Единица измерения: руб.», «в % к предыдущей дате регистрации»."""
    line = clean_label(value)
    low = line.lower()
    if low.startswith("единица измерения"):
        return "", line.split(":", 1)[-1].strip()
    bracketed = line.startswith("(") and line.endswith(")")
    if not bracketed and not (
        _SCALE_START.match(line)
        or re.match(r"^(на конец|на начало|в среднем|в сопоставимых|в текущих)", low)
    ):
        return None  # a title that mentions a unit is no unit line
    inner = line[1:-1].strip() if line.startswith("(") and line.endswith(")") else line
    parts = [p.strip() for p in re.split(r";", inner) if p.strip()]
    if not parts:
        return None
    last = parts[-1]
    if _is_unit_text(last):
        return "; ".join(parts[:-1]), last
    if "," in last:
        head, tail = last.rsplit(",", 1)
        if _is_unit_text(tail):
            return "; ".join([*parts[:-1], head.strip()]), tail.strip()
    if line.startswith("(") and _UNIT_WORDS.search(inner) and len(inner) < 90:
        return "", inner
    return None


@dataclass
class Context:
    """What a workbook tells every sheet: its territory and period when only
    one sheet's header states them (the Treasury's report header)."""

    territory: str = ""
    territory_code: str = ""
    year: int | None = None
    period: str = ANNUAL
    unit: str = ""  # «Единица измерения: руб.» of a report header
    name: str = ""  # the indicator when no title names it (passport, file name)
    code: str = ""  # the indicator's code a passport states
    notes: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=65536)
def _text_kind(value: str) -> str:
    return parse_value(value).kind


def _kind(cell: object) -> str:
    """'' for an empty cell, else what :func:`parse_value` makes of it
    ('ok', 'missing', 'invalid'); numbers and repeated texts cost nothing."""
    if cell is None or cell == "":
        return ""
    if isinstance(cell, bool):
        return "invalid"
    if isinstance(cell, int | float):
        return "missing" if cell != cell else "ok"
    value = str(cell)
    if not value.strip():
        return ""
    return _text_kind(value)


def _numbers(row: list) -> list[int]:
    return [c for c, cell in enumerate(row) if _kind(cell) == "ok"]


def _is_number_row(row: list) -> bool:
    """A row of column numbers: 1 2 3 … (a label such as «код графы» or
    «А» allowed)."""
    values = []
    for cell in row:
        value = text(cell)
        if not value:
            continue
        parsed = parse_value(cell)
        if parsed.kind == "ok":
            values.append(parsed.value)
        elif len(value) > 12:
            return False
    if len(values) < 3:
        return False
    # 1 2 3 …, or a page of a form that goes on with its own numbers
    # (1 2 3 18 19 …): whole numbers, rising, from the first few
    return (
        all(v.is_integer() and v < 1000 for v in values)
        and all(b > a for a, b in zip(values, values[1:], strict=False))
        and values[0] in (1.0, 2.0, 3.0, 4.0)
        and sum(b - a == 1 for a, b in zip(values, values[1:], strict=False))
        >= len(values) // 2
    )


def _is_period_header_row(row: list, first_value: int) -> bool:
    """A header row whose cells right of the labels are all periods (and at
    least one): a year row is no data row although its cells are numbers."""
    cells = [c for c in row[first_value:] if text(c)]
    if not cells:
        return False
    periods = [c for c in cells if any(x is not None for x in parse_period_label(c))]
    return len(periods) == len(cells)


def _title_lines(rows: list[list], end: int) -> list[str]:
    lines = []
    for row in rows[:end]:
        cells = [text(c) for c in row if text(c)]
        if len(cells) == 1 and "к содержанию" not in cells[0].lower():
            lines.append(cells[0])
    return lines


_TITLE_TERRITORY = [
    (
        re.compile(r"российск\w+\s+федерац|\bросси[ияй]\b|\bрф\b", re.I),
        "Российская Федерация",
    ),
    (re.compile(r"\bмоскв[аеыу](?![а-я])|\bг\.\s*москв", re.I), "г. Москва"),
    (re.compile(r"санкт-петербург", re.I), "г. Санкт-Петербург"),
    (re.compile(r"севастопол", re.I), "г. Севастополь"),
]


def _fix_latin(value: str) -> str:
    return value.translate(str.maketrans("pPaAcCeEoOxXyK", "рРаАсСеЕоОхХуК"))


def title_territory(lines: list[str]) -> str:
    """The territory a title names for the whole table, '' when none; the
    federal cities before the country (a Moscow table says «России» in
    comparisons less often than «Москвы»)."""
    joined = _fix_latin(" ".join(clean_label(line) for line in lines))
    joined = re.sub(r"субъект\w*\s+российской\s+федерации", "", joined, flags=re.I)
    for pattern, name in _TITLE_TERRITORY[1:]:
        if pattern.search(joined):
            return name
    if _TITLE_TERRITORY[0][0].search(joined):
        return _TITLE_TERRITORY[0][1]
    return ""


_ENDINGS = [
    (re.compile(r"^республики\s+(.+)$", re.I), "Республика {}"),
    (re.compile(r"^(.+)\s+области$", re.I), "{} область"),
    (re.compile(r"^(.+)\s+края$", re.I), "{} край"),
    (re.compile(r"^(.+)\s+автономного\s+округа$", re.I), "{} автономный округ"),
]


def _adjective(word: str) -> str:
    """Genitive of a region's adjective back to the nominative feminine /
    masculine the name takes («БЕЛГОРОДСКОЙ» → «Белгородская»)."""
    word = word.capitalize()
    for old, new in (
        ("ской", "ская"),
        ("цкой", "цкая"),
        ("ного", "ный"),
        ("ого", "ый"),
    ):
        if word.endswith(old):
            return word[: -len(old)] + new
    return word


def body_territory(name: str) -> str:
    """The region of a financial body: «МИНИСТЕРСТВО ФИНАНСОВ РЕСПУБЛИКИ
    БУРЯТИЯ» → «Республика Бурятия»."""
    match = re.search(r"финансов\s+(.+)$", name, re.I)
    if not match:
        return ""
    rest = re.sub(r"\s+", " ", match.group(1)).strip()
    for pattern, template in _ENDINGS:
        found = pattern.match(rest)
        if found:
            words = found.group(1).split(" ")
            if template.startswith("Республика"):
                return template.format(" ".join(w.capitalize() for w in words))
            return template.format(" ".join(_adjective(w) for w in words))
    return ""


#: Sheets that describe the indicator rather than hold its values.
METADATA_SHEETS = re.compile(
    r"^(паспорт|установленные разрезы|методология|метаданные|методика|"
    r"пояснения|описание)",
    re.I,
)
_NAME_KEYS = re.compile(
    r"^(показатель|наименование показателя|название показателя)$", re.I
)
_UNIT_KEYS = re.compile(r"^(единиц[аы] измерения|ед\.\s*изм\.?)$", re.I)


def passport(rows: list[list]) -> tuple[str, str, str]:
    """(indicator name, unit, code) of a metadata sheet: key/value rows
    («Показатель | Численность … (код 31234)», «Единица измерения |
    Человек») or a header row of keys over a row of values (the
    «Методология» sheet of a Rosstat workbook)."""
    name = unit = code = ""
    cells = [[text(c) for c in row] for row in rows[:60]]
    for r, row in enumerate(cells):
        filled = [(c, v) for c, v in enumerate(row) if v]
        for i, (c, value) in enumerate(filled):
            key = value.rstrip(": ").strip()
            after = filled[i + 1][1] if i + 1 < len(filled) else ""
            below = ""
            for following in cells[r + 1 : r + 4]:
                if c < len(following) and following[c]:
                    below = following[c]
                    break
            target = after if i == 0 and after else below
            if _NAME_KEYS.match(key) and not name and target:
                name = target
            elif _UNIT_KEYS.match(key) and not unit and target:
                unit = target.lstrip("* ").strip()
    match = re.search(r"\(\s*код\s*:?\s*([\w.]+)\s*\)\s*$", name, re.I)
    if match:
        code, name = match.group(1), name[: match.start()].strip()
    return clean_label(name), unit, code


def workbook_context(sheets: list[tuple[str, list[list]]]) -> Context:
    """A territory and period stated once in a workbook's report header
    (Treasury forms: «Наименование финансового органа», «на 1 января 2024
    г.», «по ОКТМО»)."""
    context = Context()
    for sheet, rows in sheets:
        if METADATA_SHEETS.match(sheet.strip()):
            name, unit, code = passport(rows)
            context.name = context.name or name
            context.unit = context.unit or unit
            context.code = context.code or code
    for _, rows in sheets:
        for row in rows[:12]:
            cells = [text(c) for c in row]
            line = " ".join(c for c in cells if c)
            low = line.lower()
            if "финансового органа" in low and not context.territory:
                context.territory = next(
                    (body_territory(c) for c in cells if body_territory(c)), ""
                )
            for c in cells:
                if c.lower().startswith("единица измерения") and not context.unit:
                    context.unit = c.split(":", 1)[-1].strip()
            if "по октмо" in low:
                codes = [c for c in cells if re.fullmatch(r"\d{8}|\d{11}", c)]
                if codes:
                    # the body's OKTMO names a municipality of the region
                    # (its capital); the region is its first two digits
                    context.territory_code = codes[0][:2] + "000000"
            found = re.search(r"на\s+1\s+января\s+((?:19|20)\d\d)", line, re.I)
            if (
                found
                and context.year is None
                and "отчет" in " ".join(text(c).lower() for r in rows[:6] for c in r)
            ):
                # an annual report «на 1 января 2024» covers the year 2023
                context.year = int(found.group(1)) - 1
        if context.territory and context.year:
            break
    return context


def _header_paths(rows: list[list], header: list[int], width: int) -> list[list[str]]:
    """The header text of each column, top to bottom; a merged cell's text
    (in its first column) spreads right until the next filled cell of its
    row or of a row above (a group boundary)."""
    paths: list[list[str]] = [[] for _ in range(width)]
    boundaries: set[int] = set()
    for r in header:
        row = rows[r]
        filled = {c for c in range(width) if c < len(row) and text(row[c])}
        current = ""
        for c in range(width):
            if c in filled:
                current = text(row[c])
            elif c in boundaries:
                current = ""
            if current and (not paths[c] or paths[c][-1] != current):
                paths[c].append(current)
        boundaries |= filled
    return paths


_GLUED = re.compile(r"(?<=[а-яё])\d{1,2}(?:,\d)*\)?(?=[\s,;:)]|$)")


def unglue(value: str) -> str:
    """A footnote digit glued to a word inside a name goes: «Промышленное
    производство3 (промышленность)» → «Промышленное производство
    (промышленность)»; digits after digits («201-500») stay."""
    return _GLUED.sub("", value)


def _clean_header(value: str) -> str:
    return unglue(dehyphenate(clean_label(value.replace("\n", " "))))


def _sentence(value: str) -> str:
    from analytics.etl.readers.region_year import _mostly_upper, _sentence_case

    value = clean_label(value)
    value = re.sub(r"^\d+(\.\d+)*\.?\s+", "", value)  # table number
    return _sentence_case(value) if _mostly_upper(value) else value


def _indent(cell: object) -> int:
    raw = "" if cell is None else str(cell).replace("\u00a0", " ")
    return len(raw) - len(raw.lstrip(" "))


@dataclass
class Table:
    """What the engine understood of a sheet (for messages and tests)."""

    title: list[str]
    header: list[int]
    data: list[int]
    labels: list[int]
    values: list[int]
    row_axis: str  # territory / period / indicator


def read_grid(
    rows: list[list],
    sheet: str,
    result: ReadResult,
    *,
    is_territory: Callable[[str], bool] = lambda name: False,
    context: Context | None = None,
) -> int:
    """Read one sheet into ``result``; return the number of values.

    Raises :class:`LayoutError` naming the cause when the sheet gives no
    value (no numbers, no period anywhere, no territory)."""
    context = context or Context()
    width = max((len(r) for r in rows), default=0)
    rows = [list(r) + [""] * (width - len(r)) for r in rows]
    # side by side pages (a form printed on two pages: the label header
    # repeats further right): each page is a table of its own
    pages = _pages(rows)
    if len(pages) > 1:
        total = 0
        for first, last in pages:
            block = [
                r[:first] and [""] * first + r[first:last] or r[first:last]
                for r in rows
            ]
            block = [r[first:last] for r in rows]
            total += _read_block(
                block, sheet, result, is_territory, context, offset=first, rows_all=rows
            )
        if not total:
            raise LayoutError("ни одного числа в страницах формы")
        result.layouts[sheet] = LAYOUT
        return total
    count = _read_block(
        rows, sheet, result, is_territory, context, offset=0, rows_all=rows
    )
    result.layouts[sheet] = LAYOUT
    return count


def _pages(rows: list[list]) -> list[tuple[int, int]]:
    for row in rows[:30]:
        cells = [
            (c, clean_label(text(v)).lower()) for c, v in enumerate(row) if text(v)
        ]
        names = [c for c, v in cells if v.startswith("наименование")]
        if len(names) >= 2 and names[0] <= 1:
            bounds = [*names, len(row)]
            return [(bounds[i], bounds[i + 1]) for i in range(len(names))]
    return [(0, len(rows[0]) if rows else 0)]


def _data_rows(rows: list[list], start: int) -> tuple[int | None, int]:
    """The first data row at or after ``start`` and the column its numbers
    start in: a row with a label and numbers right of it that is no row of
    periods or of column numbers."""
    for r in range(start, len(rows)):
        row = rows[r]
        numbers = _numbers(row)
        if not numbers:
            continue
        if _is_number_row(row):
            continue
        labels = [c for c, v in enumerate(row) if text(v) and c not in numbers]
        first_number = numbers[0]
        if not labels or labels[0] > first_number:
            # numbers without a label before them: a header row of years, or
            # a row whose label is a year (years down the rows)
            if parse_year_label(row[first_number]) is not None and len(numbers) > 1:
                rest = numbers[1:]
                if all(parse_year_label(row[c]) is not None for c in rest):
                    continue  # a year row of the header
                return r, rest[0]
            continue
        if len(numbers) > 1 and _is_period_header_row(row, first_number):
            continue
        return r, first_number
    return None, 0


def _read_block(
    rows: list[list],
    sheet: str,
    result: ReadResult,
    is_territory: Callable[[str], bool],
    context: Context,
    *,
    offset: int,
    rows_all: list[list],
) -> int:
    width = max((len(r) for r in rows), default=0)
    numbered = next(
        (r for r in range(min(len(rows), 60)) if _is_number_row(rows[r])), None
    )
    first_data, first_value = _data_rows(rows, 0 if numbered is None else numbered + 1)
    if first_data is None:
        raise LayoutError("на листе нет чисел под заголовком таблицы")

    # -- regions: title lines, header rows, unit lines ---------------------
    # The header is the rows right above the data (empty rows and a row of
    # column numbers skipped); it ends upwards at a single-text row: a title
    # line, a unit line, or, right above the data, a section row.
    header: list[int] = []
    pre_section = ""
    header_start = first_data
    for r in range(first_data - 1, -1, -1):
        cells = [(c, text(v)) for c, v in enumerate(rows[r]) if text(v)]
        if not cells or _is_number_row(rows[r]):
            continue
        if "к содержанию" in cells[0][1].lower():
            break
        single = len(cells) == 1
        period_cell = single and any(
            x is not None for x in parse_period_label(cells[0][1])
        )
        if single and not period_cell:
            if not header and not pre_section and cells[0][0] < first_value:
                pre_section = clean_label(cells[0][1])
                header_start = r
                continue
            break
        header.insert(0, r)
        header_start = r
    title = _title_lines(rows_all, header_start)
    qualifier, unit = "", ""
    name_lines = []
    for line in title:
        parsed = unit_line(line)
        if parsed is not None and not unit:
            qualifier, unit = parsed
            continue
        if re.match(r"^(форма|коды|периодичность)", line, re.I):
            continue
        if line.startswith("(") and line.endswith(")"):
            continue  # a note on the source («(Данные Департамента …)»)
        # a title cell may end with its unit line: «… экономики1)\n(в
        # текущих ценах, млрд. руб.)»
        parts = [p.strip() for p in line.split("\n") if p.strip()]
        if len(parts) > 1 and unit_line(parts[-1]) is not None and not unit:
            qualifier, unit = unit_line(parts[-1])
            parts = parts[:-1]
        name_lines.append(" ".join(parts))
    # a unit stated in a header cell of its own («(единиц)», «Единица
    # измерения: руб.»)
    for r in range(first_data):
        for v in rows_all[r]:
            value = text(v)
            if (
                not unit
                and value
                and (
                    value.lower().startswith("единица измерения")
                    or (value.startswith("(") and unit_line(value) is not None)
                )
            ):
                qualifier, unit = unit_line(value) or ("", "")

    # -- columns --------------------------------------------------------------
    data_rows = [r for r in range(first_data, len(rows))]
    paths = _header_paths(rows, header, width)
    label_cols = []
    value_cols = []
    for c in range(width):
        head = " ".join(paths[c]).strip()
        kinds_here = [_kind(rows[r][c]) for r in data_rows]
        numbers = kinds_here.count("ok")
        texts = kinds_here.count("invalid")
        signs = kinds_here.count("missing")  # «-», «…», «x»: cells all the same
        if c < first_value or (
            head and any(_LABEL_HEADER.match(_clean_header(p)) for p in paths[c])
        ):
            if numbers or texts or head:
                label_cols.append(c)
            continue
        if (numbers or (signs and head)) and numbers + signs >= texts:
            value_cols.append(c)
        elif texts:
            label_cols.append(c)
    if not value_cols:
        raise LayoutError("нет столбцов с числами")
    unit = unit or context.unit
    col_period: dict[int, tuple[int | None, str | None]] = {}
    col_path: dict[int, list[str]] = {}
    for c in value_cols:
        year, sub, rest = None, None, []
        for part in paths[c]:
            y, s = parse_period_label(part)
            if y is not None or s is not None:
                year = y if y is not None else year
                sub = s if s is not None else sub
            else:
                cleaned = _clean_header(part)
                if cleaned and not _PARENT.match(cleaned):
                    rest.append(cleaned)
        col_period[c] = (year, sub)
        col_path[c] = rest
    period_cols = [c for c in value_cols if any(x is not None for x in col_period[c])]
    columns_are_periods = len(period_cols) >= max(1, len(value_cols) // 2)
    if not columns_are_periods:
        col_period = dict.fromkeys(value_cols, (None, None))
    else:
        for c in value_cols:
            if c in period_cols or paths[c]:
                continue
            r = next(r for r in data_rows if _kind(rows[r][c]) == "ok")
            years_at = ", ".join(str(h + 1) for h in header) or "—"
            raise LayoutError(
                f"лист «{sheet}», ячейка {_letter(c + offset)}{r + 1}: число в "
                f"столбце без периода (периоды в строке {years_at}) — строка "
                "периодов смещена относительно данных"
            )
        value_cols = period_cols

    # -- context: period and territory of the whole table ---------------------
    stated = title_period(" ".join(title)) if title else None
    sheet_year = parse_year_label(sheet.strip())
    table_year = stated[0] if stated else sheet_year if sheet_year else context.year
    table_period = stated[1] if stated else context.period
    # a report header naming the body (the Treasury's) wins over a title
    # that speaks of «субъекта Российской Федерации»
    territory_all = context.territory or title_territory(title)
    code_all = context.territory_code if context.territory else ""

    # -- rows -----------------------------------------------------------------
    label_of: dict[int, str] = {}
    code_of: dict[int, str] = {}
    for r in data_rows:
        texts = [text(rows[r][c]) for c in label_cols if text(rows[r][c])]
        name = max(texts, key=len) if texts else ""
        codes = [
            t
            for t in texts
            if t != name and (len(t) <= 12 or (len(t) <= 24 and " " not in t))
        ]
        label_of[r] = name
        # every code column counts (a Treasury line: line code and budget
        # classification code), so that lines of the same name stay apart
        code_of[r] = ", ".join(codes)
    data_like = [
        r
        for r in data_rows
        if label_of[r] and any(text(rows[r][c]) for c in value_cols)
    ]
    kinds = {"territory": 0, "period": 0, "indicator": 0}
    for r in data_like:
        kinds[row_kind(label_of[r], is_territory)] += 1
    row_axis = max(kinds, key=lambda k: (kinds[k], k == "indicator"))
    if kinds["territory"] >= 0.6 * max(1, len(data_like)):
        row_axis = "territory"
    if row_axis != "territory" and not territory_all:
        territory_all = "Российская Федерация"
        note = (
            f"лист «{sheet}»: территория не названа ни в строках, ни в заголовке — "
            "принята Российская Федерация (так Росстат публикует данные по стране)"
        )
        if note not in result.notes:
            result.notes.append(note)
    if not columns_are_periods and row_axis != "period" and table_year is None:
        raise LayoutError(
            "не найден период: в заголовках столбцов нет годов, кварталов или "
            "месяцев, в строках нет годов, в названии таблицы и листа нет года"
        )
    yearless = [c for c in value_cols if col_period[c][0] is None]
    if (
        columns_are_periods
        and table_year is None
        and row_axis != "period"
        and yearless
        and len(yearless) < len(value_cols)
    ):
        # a column of its own («январь-ноябрь» beside the years' months)
        # whose year the header does not give: that column is left out
        for c in yearless:
            result.reject(
                sheet=sheet,
                cell=f"{_letter(c + offset)}{(header or [first_data])[-1] + 1}",
                raw=" ".join(paths[c])[:120],
                reason="столбец с периодом без года в заголовке — не загружен",
                kind="skipped",
            )
        value_cols = [c for c in value_cols if c not in yearless]
    if (
        columns_are_periods
        and table_year is None
        and any(col_period[c][0] is None for c in value_cols)
        and row_axis != "period"
    ):
        missing = sorted({col_period[c][1] for c in value_cols if col_period[c][1]})
        raise LayoutError(
            f"в заголовках столбцов периоды ({', '.join(missing[:3])}) без года, "
            "а в названии таблицы и листа года нет"
        )

    base = _sentence(" ".join(name_lines[-1:])) if name_lines else ""
    if (
        name_lines
        and len(name_lines) > 1
        and re.match(r"^\d+(\.\d+)*\.?\s*$", clean_label(name_lines[-1]))
    ):
        base = _sentence(name_lines[-2])
    base = _fix_latin(base) if re.search(r"Федеp", base) else base
    for tail in (
        r"\s+(в|за)\s+(?:19|20)\d\d.*$",
        r"\s+за\s+январь.*$",
        r"\s+по\s+(Российской\s+Федерации|г\.\s*Москве|городу\s+Москве)\s*$",
    ):
        base = re.sub(tail, "", base).strip(" ,")
    if not base:
        base = context.name or clean_label(sheet)

    if unit.lower().startswith(("в %", "в процентах")) and " к " in unit:
        # a relative measure names the indicator: «в % к предыдущему месяцу»
        qualifier = f"{qualifier}, {unit}" if qualifier else unit
    col_info = {}
    for c in value_cols:
        path = list(col_path[c])
        col_unit = ""
        if path:
            head, tail = split_unit(path[-1])
            if tail:
                col_unit = tail
                path[-1] = head
            elif _is_unit_text(path[-1]) and path[-1].lower().startswith("на "):
                col_unit = path[-1]
        col_info[c] = (path, col_unit)
    builder = RecordBuilder(result, sheet)
    section, section_unit = _section(pre_section)
    parent = ""
    previous = ""
    region = ""
    last_territory = ""
    seen_data = False
    count = 0
    for r in data_rows:
        row = rows[r]
        label = label_of[r]
        row_kinds = [_kind(row[c]) for c in value_cols]
        has_values = "ok" in row_kinds or "missing" in row_kinds
        numbers = "ok" in row_kinds
        if not label:
            if numbers and seen_data:
                result.reject(
                    sheet=sheet,
                    cell=f"{_letter(value_cols[0] + offset)}{r + 1}",
                    raw="",
                    reason="значения без названия строки",
                    kind="invalid",
                )
            continue
        if _FOOTER.match(label) and not numbers:
            if seen_data:
                break
            continue
        if not has_values:
            cleaned = clean_label(label)
            if _PARENT.match(cleaned):
                parent = previous
                continue
            if row_axis != "territory" and _heading_territory(cleaned, is_territory):
                territory_all = cleaned
                code_all = ""
                continue
            if row_axis == "territory" and (
                row_kind(cleaned, is_territory) == "territory"
                or not any(text(c) for c in row[first_value:])
                and not code_of[r]
                and cleaned[:1].islower()
            ):
                continue  # a group row («Центральный ФО», «городские округа»)
            if row_axis == "territory":
                # a block heading over territories (a product and its code)
                head = unglue(cleaned)
                section = f"{head} ({code_of[r]})" if code_of[r] else head
                section_unit = ""
                continue
            section, section_unit = _section(cleaned)
            parent = ""
            continue
        seen_data = True
        territory, territory_code = territory_all, code_all
        row_name = ""
        row_unit = ""
        year_down = None
        sub_down = None
        measure = ""
        cleaned, row_unit = split_unit(label)
        cleaned = unglue(cleaned)
        if row_axis == "territory":
            cleaned = _INCLUDING.sub("", cleaned)  # «в том числе Ненецкий АО»
            kind = row_kind(cleaned, is_territory)
            indent = _indent(rows[r][label_cols[0]] if label_cols else "")
            if kind == "territory":
                if indent and region and not is_territory(cleaned):
                    territory = f"{cleaned} ({region})"
                else:
                    territory = cleaned
                    if is_territory(cleaned) and not re.search(
                        r"федерац|округ", cleaned, re.I
                    ):
                        region = cleaned
                last_territory = territory
            else:
                territory = last_territory
                row_name = cleaned
            territory_code = (
                code_of[r] if re.fullmatch(r"\d{8}|\d{11}", code_of[r]) else ""
            )
            if not territory:
                continue
        elif row_axis == "period":
            year_down, sub_down = parse_period_label(cleaned)
            if year_down is None and sub_down is None:
                measure = cleaned
        else:
            row_name = cleaned
            if (
                code_of[r]
                and not re.fullmatch(r"[\d.]*", code_of[r] or "x")
                or code_of[r]
                and len(label_cols) > 1
            ):
                row_name = f"{row_name} ({code_of[r]})"
            if parent and parent != cleaned:
                row_name = f"{parent}: {row_name}"
            else:
                previous = cleaned
            if not parent:
                previous = cleaned
        for c in value_cols:
            year, sub = col_period[c]
            if year is None:
                year = year_down if year_down is not None else table_year
            if sub is None:
                sub = (
                    sub_down
                    if sub_down is not None
                    else (
                        table_period
                        if not columns_are_periods or year is None
                        else ANNUAL
                    )
                )
                if row_axis == "period" and year_down is None and sub_down is None:
                    sub = ANNUAL
            if year is None:
                continue
            path, col_unit = col_info[c]
            parts = [base]
            if section:
                parts.append(section)
            if row_name:
                parts.append(row_name)
            name = ": ".join(p for p in parts if p)
            if path:
                name = f"{name} — " + ", ".join(p for p in path if p)
            qualifier_here = qualifier
            period = sub or ANNUAL
            if measure:
                qualifier_here = measure
                period = ANNUAL
            elif (
                section
                and "к декабрю предыдущего года" in section.lower()
                and period == "M12"
            ):
                period = ANNUAL
                name = f"{base}: декабрь {section[:1].lower()}{section[1:]}"
            if qualifier_here and not measure:
                name = f"{name} ({qualifier_here})"
            elif measure:
                name = f"{name}: {measure[:1].lower()}{measure[1:]}"
            if (
                section
                and re.search(r"к предыдущему месяцу", section, re.I)
                and period.startswith("M")
            ):
                pass
            this_unit = row_unit or section_unit or col_unit or unit
            key = f"table:{name}|{this_unit}"
            if key not in result.indicators:
                result.indicators[key] = RawIndicator(
                    key=key,
                    name_ru=name,
                    unit=this_unit,
                    code=context.code,
                    source_kind="table",
                )
            parsed = builder.add(
                territory_name=territory,
                territory_code=territory_code,
                indicator_key=key,
                year=year,
                raw=row[c],
                row=r,
                col=c + offset,
                period=period,
            )
            count += parsed.kind == "ok"
    builder.flush()
    if not count:
        raise LayoutError(
            "ни одного числа в ячейках таблицы (строки: "
            + {
                "territory": "территории",
                "period": "периоды",
                "indicator": "показатели",
            }[row_axis]
            + ")"
        )
    return count


_HEADING = re.compile(
    r"^(г\.\s|город\s)|(област[ьи]|кра[йя]|республика\b.*|автономн\w+ округ|"
    r"федеральный округ|район|российская федерация)$",
    re.I,
)


def _heading_territory(label: str, is_territory: Callable[[str], bool]) -> bool:
    """A label-only row that opens a territory's block (census tables: «Белгородская
    область» over its indicators); a heading that only mentions one («… из
    бюджетов субъектов Российской Федерации») does not."""
    return len(label) < 60 and (is_territory(label) or bool(_HEADING.search(label)))


def _section(label: str) -> tuple[str, str]:
    """A section row's name and unit: «Всего, человек» → ('', 'человек');
    «На 1 000 человек населения» → (itself, itself); «К предыдущему месяцу»
    → (itself, '')."""
    if not label:
        return "", ""
    head, unit = split_unit(label)
    if not unit and label.lower().startswith("на ") and _is_unit_text(label):
        return label, label
    section = head if unit else label
    if re.fullmatch(r"(всего|итого)", section, re.I):
        section = ""
    return section, unit


def _title_end(rows: list[list]) -> int:
    for r, row in enumerate(rows):
        if len([v for v in row if text(v)]) > 1 and r > 2:
            return r
    return 0


def row_kind(label: str, is_territory: Callable[[str], bool]) -> str:
    """What a row label is: 'territory', 'period' or 'indicator'."""
    key = (label, id(is_territory))
    found = _ROW_KINDS.get(key)
    if found is None:
        found = _row_kind(label, is_territory)
        if len(_ROW_KINDS) > 100_000:
            _ROW_KINDS.clear()
        _ROW_KINDS[key] = found
    return found


_ROW_KINDS: dict = {}


_INCLUDING = re.compile(r"^(в том числе|из них|включая)\s*:?\s+(?=\S)", re.I)


def _row_kind(label: str, is_territory: Callable[[str], bool]) -> str:
    cleaned = _INCLUDING.sub("", clean_label(label))
    head, _ = split_unit(cleaned)
    year, sub = parse_period_label(cleaned)
    if year is not None or sub is not None:
        return "period"
    if is_territory(head) or (
        _TERRITORY.search(head) and not _NOT_TERRITORY.search(head) and len(head) < 80
    ):
        return "territory"
    return "indicator"


def _letter(col: int) -> str:
    from analytics.etl.clean import column_letter

    return column_letter(col)


def _strip(value: str) -> str:
    return strip_marks(value)
