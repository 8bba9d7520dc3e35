"""What every reader returns, and the helpers readers share.

A reader turns one sheet (or one CSV) into *records*: one row per published
number, still keyed by the names and codes the file uses. Matching names to
territory codes and indicators to the catalog happens later, in one place
(:mod:`analytics.etl.territories`, :mod:`analytics.etl.indicators`).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.etl.clean import Parsed, cell_ref, parse_value

#: Columns of ``ReadResult.records``.
RECORD_COLUMNS = [
    "territory_name",  # as published (cleaned); may be empty when a code is given
    "territory_code",  # OKTMO/OKATO or store id when the file has one, else ""
    "indicator_key",  # key into ReadResult.indicators
    "year",
    "period",  # "year" (annual), "Q1", "M03", "M01-M03", "D01-09": see periods
    "value",  # float, in the published unit
    "sheet",
    "cell",  # A1 reference, or "row N, column X" for CSV
]
#: CSV readers give a record's cell as its data row (0-based; the header is
#: line 1) and column name instead of text, and leave ``cell`` empty: 12 M
#: cell texts would cost more time and memory than the values. Only the cells
#: a message names are formatted (:func:`cell_texts`).
CELL_ROW = "cell_row"
CELL_COLUMN = "cell_column"


def csv_cell(row: int, column: str) -> str:
    """The cell of a CSV file as messages name it (``row`` is 0-based data)."""
    return f"строка {row + 2}, столбец «{column}»"


def cell_texts(records: pd.DataFrame) -> list[str]:
    """The cell of each record as text, from ``cell`` or from the CSV row and
    column."""
    if CELL_ROW not in records.columns:
        return records["cell"].tolist()
    return [
        csv_cell(row, column)
        for row, column in zip(
            records[CELL_ROW].tolist(), records[CELL_COLUMN].tolist(), strict=True
        )
    ]


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its categorical columns as Python strings (object)."""
    categorical = [
        c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)
    ]
    return frame.astype(dict.fromkeys(categorical, object)) if categorical else frame


def codes_of(series: pd.Series) -> tuple[np.ndarray, list]:
    """Integer codes of a column and the values they stand for: a
    categorical's own codes and categories (unused ones included), else
    :func:`pandas.factorize` (first appearance)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.codes.to_numpy(), list(series.cat.categories)
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    return codes, list(uniques)


class LayoutError(ValueError):
    """The file or sheet is not in the layout the reader expects."""


@dataclass(frozen=True, slots=True)
class RawIndicator:
    """An indicator as a file describes it."""

    key: str
    name_ru: str
    unit: str = ""  # published unit text, e.g. «тысяч рублей»
    code: str = ""  # source code: БД ПМО code, EMISS number, table number
    source_kind: str = ""  # "bdmo", "emiss", "regions", "site", "tidy"


@dataclass
class ReadResult:
    """Everything a reader found in one file."""

    layouts: dict[str, str] = field(default_factory=dict)  # sheet → layout
    records: list[pd.DataFrame] = field(default_factory=list)
    rejects: list[dict] = field(default_factory=list)
    indicators: dict[str, RawIndicator] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    published: str = ""  # publication/update date when the file states one
    code_names: dict[str, str] = field(default_factory=dict)  # dictionaries

    def add_records(self, frame: pd.DataFrame) -> None:
        if len(frame) and "period" not in frame.columns:
            # readers of annual tables give no period: every value is annual
            frame = frame.assign(
                period=pd.Categorical.from_codes(
                    np.zeros(len(frame), np.int8), ["year"], validate=False
                )
            )
        if len(frame):
            lazy = [c for c in (CELL_ROW, CELL_COLUMN) if c in frame.columns]
            columns = RECORD_COLUMNS + lazy
            self.records.append(
                frame if list(frame.columns) == columns else frame[columns]
            )

    def reject(
        self, *, sheet: str, cell: str, raw: object, reason: str, kind: str
    ) -> None:
        self.rejects.append(
            {
                "sheet": sheet,
                "cell": cell,
                "raw_value": "" if raw is None else str(raw)[:200],
                "reason": reason,
                "kind": kind,
            }
        )

    def all_records(self, *, cells: bool = True) -> pd.DataFrame:
        """All records in one frame. With ``cells=False`` the records of a CSV
        keep their cell as :data:`CELL_ROW` and :data:`CELL_COLUMN` (see
        :func:`cell_texts`) instead of text in ``cell``."""
        if not self.records:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in RECORD_COLUMNS})
        frame = (
            self.records[0]
            if len(self.records) == 1
            else pd.concat(self.records, ignore_index=True)
        )
        if cells:
            # CSV readers keep repeated texts as categoricals; callers that
            # ask for cell texts get plain columns.
            frame = plain(frame)
            if CELL_ROW in frame.columns:
                frame = frame.assign(cell=cell_texts(frame))[RECORD_COLUMNS]
        return frame


class RecordBuilder:
    """Collects cells of one sheet, parsing values and noting rejects."""

    def __init__(self, result: ReadResult, sheet: str) -> None:
        self.result = result
        self.sheet = sheet
        self.rows: list[tuple] = []

    def add(
        self,
        *,
        territory_name: str,
        territory_code: str = "",
        indicator_key: str,
        year: int,
        raw: object,
        row: int,
        col: int,
        period: str = "year",
    ) -> Parsed:
        parsed = parse_value(raw)
        ref = cell_ref(row, col)
        if parsed.kind == "ok":
            self.rows.append(
                (
                    territory_name,
                    territory_code,
                    indicator_key,
                    year,
                    period,
                    parsed.value,
                    self.sheet,
                    ref,
                )
            )
        else:
            self.result.reject(
                sheet=self.sheet,
                cell=ref,
                raw=raw,
                reason=parsed.reason,
                kind=parsed.kind,
            )
        return parsed

    def flush(self) -> int:
        frame = pd.DataFrame(self.rows, columns=RECORD_COLUMNS)
        self.result.add_records(frame)
        count = len(self.rows)
        self.rows = []
        return count


def _env_int(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def max_rows() -> int:
    """Rows a sheet or CSV may have (``$AGGLO_MAX_ROWS``, default 1 000 000)."""
    return _env_int("AGGLO_MAX_ROWS", 1_000_000)


def max_unzipped_bytes() -> int:
    """What an xlsx/ods archive may inflate to (``$AGGLO_MAX_UNZIPPED_MB``,
    default 1024 MB)."""
    return _env_int("AGGLO_MAX_UNZIPPED_MB", 1024) << 20


#: A member inflating more than this many times its compressed size is a bomb
#: (real sheets compress 5–50 times).
MAX_COMPRESSION_RATIO = 500


def check_archive(path: Path) -> None:
    """Refuse a zip-based workbook (xlsx, xlsm, ods) that would inflate beyond
    :func:`max_unzipped_bytes`, judged from its directory before anything is
    inflated. Non-zip files pass (calamine reports them)."""
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return  # calamine says what is wrong
    limit = max_unzipped_bytes()
    total = sum(m.file_size for m in members)
    if total > limit:
        raise LayoutError(
            f"{path.name}: архив распаковывается в {_thousands(total >> 20)} МБ — "
            f"больше предела {_thousands(limit >> 20)} МБ; файл не открыт "
            "(защита от zip-бомб)"
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > (1 << 20) and ratio > MAX_COMPRESSION_RATIO:
            raise LayoutError(
                f"{path.name}: часть архива «{member.filename[:80]}» сжата в "
                f"{_thousands(round(ratio))} раз — так сжимаются только zip-бомбы; "
                "файл не открыт"
            )


def read_workbook(path: Path) -> list[tuple[str, list[list]]]:
    """All sheets of an xls/xlsx/xlsm/ods file as lists of rows.

    Uses python-calamine (Rust), which reads both BIFF8 ``.xls`` and OOXML.
    Rows are padded to the sheet's width. Raises :class:`LayoutError` for an
    archive that would inflate too much and for a sheet over :func:`max_rows`
    rows (both checked before the sheet is read).
    """
    from python_calamine import CalamineWorkbook

    check_archive(path)
    workbook = CalamineWorkbook.from_path(str(path))
    sheets = []
    limit = max_rows()
    for name in workbook.sheet_names:
        sheet = workbook.get_sheet_by_name(name)
        height = sheet.end[0] + 1 if sheet.end else 0  # from row 1, as to_python
        if height > limit:
            raise LayoutError(
                f"{path.name}: лист «{name}» — {_thousands(height)} строк, "
                f"больше предела {_thousands(limit)}"
            )
        rows = sheet.to_python(skip_empty_area=False)
        width = max((len(r) for r in rows), default=0)
        sheets.append((name, [list(r) + [""] * (width - len(r)) for r in rows]))
    return sheets


def text(cell: object) -> str:
    """A cell as stripped text ('' for empty and None)."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).replace("\u00a0", " ").strip()
