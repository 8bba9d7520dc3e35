"""Delimited text files: БД ПМО code-keyed panels, their code dictionaries,
and the project's tidy CSV template.

БД ПМО panel (``bdmo_panel``)
    One row per municipality and year, an OKTMO column, a year column and one
    column per indicator code (``t8013001_1``: local budget revenue, thousand
    roubles), as the municipal database exports them or as researchers keep
    them. The long variant (``oktmo, year, code, value``) is read too.
БД ПМО dictionary (``bdmo_dictionary``)
    ``id, name`` pairs naming the codes; it loads no values, it names them.
Tidy template (``tidy``)
    ``territory, year, indicator, value, unit`` (Russian headers accepted:
    ``территория, год, показатель, значение, единица``); territory is an OKTMO
    code, a store id or a name; indicator is a catalog id or a free name.

Encoding (UTF-8 with or without BOM, or cp1251), delimiter (``,`` ``;`` tab)
and decimal comma are detected.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.etl.clean import parse_value
from analytics.etl.readers.base import (
    CELL_COLUMN,
    CELL_ROW,
    LayoutError,
    RawIndicator,
    ReadResult,
    _thousands,
    csv_cell,
    max_rows,
)

LAYOUT_PANEL = "bdmo_panel"
LAYOUT_DICTIONARY = "bdmo_dictionary"
LAYOUT_TIDY = "tidy"

BDMO_CODE = re.compile(r"^t\d{7}(_[0-9a-z_]+)?$", re.I)
_SYNONYMS = {
    "territory": [
        "territory",
        "territory_id",
        "территория",
        "код территории",
        "municipality",
        "регион",
        "region_name",
    ],
    "oktmo": ["oktmo", "октмо", "oktmo_code", "код октмо"],
    "year": ["year", "год", "период"],
    "indicator": ["indicator", "indicator_id", "показатель", "code", "код показателя"],
    "value": ["value", "значение"],
    "unit": ["unit", "единица", "единица измерения", "ед. изм."],
    "name": ["settlement", "name", "название", "наименование"],
}


def decode(data: bytes, path: Path) -> str:
    """Bytes of a text file as str: UTF-8 (BOM or not), else cp1251."""
    return _decode(data, path)[0]


def _decode(data: bytes, path: Path) -> tuple[str, str]:
    """The text and the encoding it was decoded with."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251"), "cp1251"
    except UnicodeDecodeError as error:
        raise LayoutError(
            f"{path.name}: кодировка не распознана (ни UTF-8, ни cp1251)"
        ) from error


def sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        return max(",;\t", key=first.count)


def _find(columns: list[str], role: str) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    for name in _SYNONYMS[role]:
        if name in lowered:
            return lowered[name]
    return None


def read_frame(path: Path) -> pd.DataFrame:
    data = path.read_bytes()
    text_data, encoding = _decode(data, path)
    if not text_data.strip():
        raise LayoutError(f"{path.name}: файл пуст")
    if "\x00" in text_data:
        raise LayoutError(f"{path.name}: в тексте нулевые байты — это не CSV")
    lines = text_data.count("\n")
    if lines > max_rows():
        raise LayoutError(
            f"{path.name}: {_thousands(lines)} строк — больше предела "
            f"{_thousands(max_rows())}"
        )
    delimiter = sniff_delimiter(text_data[:20000])
    # The parser reads the bytes (a str would be encoded back to UTF-8 first).
    frame = pd.read_csv(
        io.BytesIO(data),
        sep=delimiter,
        dtype=str,
        keep_default_na=False,
        encoding=encoding,
    )
    frame.columns = [str(c).strip() for c in frame.columns]
    unnamed = [c for c in frame.columns if c == "" or c.startswith("Unnamed")]
    return frame.drop(columns=unnamed)


def detect_csv_layout(frame: pd.DataFrame) -> str | None:
    columns = list(frame.columns)
    lowered = [c.lower() for c in columns]
    if lowered[:2] == ["id", "name"] and frame["id"].str.match(BDMO_CODE).mean() > 0.5:
        return LAYOUT_DICTIONARY
    has_year = _find(columns, "year") is not None
    if (
        has_year
        and _find(columns, "oktmo")
        and any(BDMO_CODE.match(c) for c in columns)
    ):
        return LAYOUT_PANEL
    if (
        has_year
        and _find(columns, "indicator")
        and _find(columns, "value")
        and (_find(columns, "territory") or _find(columns, "oktmo"))
    ):
        return LAYOUT_TIDY
    return None


def parse_values(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`parse_value`: (values, ok-mask). The fast path handles
    plain numbers; only the rest goes through the full parser."""
    cleaned = raw.str.strip()
    values = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=float, copy=True)
    slow = np.isnan(values) & (cleaned != "").to_numpy()
    for i in np.flatnonzero(slow):
        parsed = parse_value(raw.iat[i])
        if parsed.kind == "ok":
            values[i] = parsed.value
    return values, ~np.isnan(values)


def _reject_cells(
    result: ReadResult, raw: pd.Series, rows: np.ndarray, column_names: pd.Series | str
) -> None:
    names = (
        column_names.to_numpy()
        if isinstance(column_names, pd.Series)
        else np.full(len(rows), column_names)
    )
    for value, row, column in zip(raw.to_numpy(), rows, names, strict=True):
        parsed = parse_value(value)
        result.reject(
            sheet="",
            cell=csv_cell(row, column),
            raw=value,
            reason=parsed.reason,
            kind=parsed.kind,
        )


def _parse_years(
    frame: pd.DataFrame, year_col: str, result: ReadResult
) -> tuple[pd.Series, np.ndarray]:
    """Years of a column and the mask of rows whose year is not a year
    (1900–2100); each such row is rejected with its cell."""
    # A column repeats a few years: each distinct text is parsed once.
    codes, texts = pd.factorize(frame[year_col], use_na_sentinel=False)
    parsed = pd.to_numeric(pd.Series(texts).str.strip(), errors="coerce")
    years = pd.Series(parsed.to_numpy()[codes], index=frame.index)
    bad = (years.isna() | (years % 1 != 0) | (years < 1900) | (years > 2100)).to_numpy()
    for i in np.flatnonzero(bad):
        result.reject(
            sheet="",
            cell=csv_cell(i, year_col),
            raw=frame[year_col].iat[i],
            reason="год не распознан",
            kind="invalid",
        )
    return years, bad


def read_dictionary(frame: pd.DataFrame, result: ReadResult) -> int:
    result.layouts[""] = LAYOUT_DICTIONARY
    result.code_names.update(
        zip(frame["id"].str.strip(), frame["name"].str.strip(), strict=True)
    )
    return 0


def _oktmo(series: pd.Series) -> pd.Series:
    digits = series.str.strip().str.replace(r"\.0$", "", regex=True)
    return digits.where(~digits.str.fullmatch(r"\d{7}"), "0" + digits)


def _objects(values: np.ndarray) -> pd.Series:
    """Python strings as an object column: a DataFrame would convert them to
    Arrow strings, which costs more than everything else a panel needs."""
    return pd.Series(values, dtype=object, copy=False)


def read_panel(
    frame: pd.DataFrame, result: ReadResult, named_columns: dict[str, str]
) -> int:
    """Wide БД ПМО panel. ``named_columns`` maps extra (non-code) column names
    that the catalog knows to their published unit; other named columns are
    listed as ignored."""
    result.layouts[""] = LAYOUT_PANEL
    columns = list(frame.columns)
    oktmo_col = _find(columns, "oktmo")
    year_col = _find(columns, "year")
    name_col = _find(columns, "name")
    code_cols = [c for c in columns if BDMO_CODE.match(c)]
    extra = [c for c in columns if c in named_columns]
    ignored = [
        c
        for c in columns
        if c not in code_cols + extra and c not in (oktmo_col, year_col, name_col)
    ]
    if ignored:
        result.notes.append(
            "столбцы без кода БД ПМО и не из каталога пропущены: " + ", ".join(ignored)
        )
    codes = _oktmo(frame[oktmo_col])
    years, bad_year = _parse_years(frame, year_col, result)
    names = (
        frame[name_col].str.strip() if name_col else pd.Series("", index=frame.index)
    )
    value_cols = code_cols + extra
    for column in value_cols:
        key = f"bdmo:{column}"
        unit = named_columns.get(column, "")
        result.indicators.setdefault(
            key,
            RawIndicator(
                key=key, name_ru=column, unit=unit, code=column, source_kind="bdmo"
            ),
        )
    if not value_cols:
        return sum(len(r) for r in result.records)
    # All value columns at once, column after column (the order of records
    # and rejects): one parse instead of a pandas round per column.
    rows = np.flatnonzero(~bad_year)
    raw = pd.concat(
        [frame[column].iloc[rows] for column in value_cols], ignore_index=True
    )
    values, ok = parse_values(raw)
    column_of = np.repeat(np.arange(len(value_cols)), len(rows))
    row_of = np.tile(rows, len(value_cols))
    columns = np.array(value_cols, dtype=object)
    at = row_of[ok]
    result.add_records(
        pd.DataFrame(
            {
                "territory_name": _objects(names.to_numpy()[at]),
                "territory_code": _objects(codes.to_numpy()[at]),
                "indicator_key": _objects(
                    np.array([f"bdmo:{c}" for c in value_cols], dtype=object)[
                        column_of[ok]
                    ]
                ),
                "year": years.to_numpy()[at].astype(int),
                "value": values[ok],
                "sheet": "",
                "cell": "",
                CELL_ROW: at,
                CELL_COLUMN: _objects(columns[column_of[ok]]),
            }
        )
    )
    _reject_cells(
        result, raw[~ok], row_of[~ok], pd.Series(columns[column_of[~ok]], dtype=object)
    )
    return sum(len(r) for r in result.records)


def read_tidy(frame: pd.DataFrame, result: ReadResult) -> int:
    """The tidy template, and the long БД ПМО variant."""
    result.layouts[""] = LAYOUT_TIDY
    columns = list(frame.columns)
    territory_col = _find(columns, "oktmo") or _find(columns, "territory")
    year_col = _find(columns, "year")
    indicator_col = _find(columns, "indicator")
    value_col = _find(columns, "value")
    unit_col = _find(columns, "unit")
    name_col = _find(columns, "name")
    territory = frame[territory_col].str.strip()
    is_code = territory.str.fullmatch(r"\d{7,8}|[A-Z]{2}(-[A-Z]{2,3}(-X)?)?|FD-[A-Z]+")
    years, bad_year = _parse_years(frame, year_col, result)
    units = (
        frame[unit_col].str.strip() if unit_col else pd.Series("", index=frame.index)
    )
    indicators = frame[indicator_col].str.strip()
    keys = "tidy:" + indicators + "|" + units
    triples = pd.DataFrame({"key": keys, "name": indicators, "unit": units})
    for key, name, unit in triples.drop_duplicates().itertuples(index=False):
        kind = "bdmo" if BDMO_CODE.match(name) else "tidy"
        result.indicators.setdefault(
            key,
            RawIndicator(
                key=key,
                name_ru=name,
                unit=unit,
                code=name if kind == "bdmo" else "",
                source_kind=kind,
            ),
        )
    values, ok = parse_values(frame[value_col])
    ok &= ~bad_year
    rows = np.arange(len(frame))
    names = frame[name_col].str.strip() if name_col else territory.where(~is_code, "")
    codes = territory.where(is_code, "")
    codes = codes.where(~codes.str.fullmatch(r"\d{7}"), "0" + codes)
    result.add_records(
        pd.DataFrame(
            {
                # filtered as they are (Arrow strings, no Python objects)
                "territory_name": names[ok].reset_index(drop=True),
                "territory_code": codes[ok].reset_index(drop=True),
                "indicator_key": keys[ok].reset_index(drop=True),
                "year": years.to_numpy()[ok].astype(int),
                "value": values[ok],
                "sheet": "",
                "cell": "",
                CELL_ROW: rows[ok],
                CELL_COLUMN: value_col,
            }
        )
    )
    failed = ~ok & ~bad_year
    _reject_cells(result, frame[value_col][failed], rows[failed], value_col)
    return int(ok.sum())
