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

import codecs
import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from analytics.etl.clean import (
    COMMA_DECIMAL,
    COMMA_GROUPS,
    COMMA_THOUSANDS,
    Comma,
    comma_role,
    parse_value,
    role_of,
)
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
    mixed = _decode_lines(data)
    if mixed is not None:
        return mixed, "mixed"
    try:
        return data.decode("cp1251"), "cp1251"
    except UnicodeDecodeError as error:
        raise LayoutError(
            f"{path.name}: кодировка не распознана (ни UTF-8, ни cp1251)"
        ) from error


def _decode_lines(data: bytes) -> str | None:
    """A UTF-8 file with some lines in cp1251 (a line pasted from another
    file), decoded line by line; None when no line with letters beyond ASCII
    is UTF-8 (then the whole file is cp1251)."""
    lines = data.split(b"\n")
    utf8 = 0
    texts = []
    for line in lines:
        try:
            texts.append(line.decode("utf-8"))
            utf8 += not line.isascii()
        except UnicodeDecodeError:
            try:
                texts.append(line.decode("cp1251"))
            except UnicodeDecodeError:
                return None
    return "\n".join(texts) if utf8 else None


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


def _checked_text(path: Path, data: bytes | None = None) -> tuple[bytes, str, str, str]:
    """The bytes of a CSV, its text, encoding and delimiter, after the checks
    every CSV passes (encoding, not empty, no NUL bytes, row limit)."""
    data = path.read_bytes() if data is None else data
    text_data, encoding = _decode(data, path)
    if encoding == "mixed":  # the readers take it as the UTF-8 it now is
        data, encoding = text_data.encode("utf-8"), "utf-8"
    if not text_data.strip():
        raise LayoutError(f"{path.name}: файл пуст")
    if "\x00" in text_data:
        raise LayoutError(f"{path.name}: в тексте нулевые байты — это не CSV")
    # data rows: the lines after the header (a last line without "\n" counts)
    lines = text_data.count("\n") + (not text_data.endswith("\n")) - 1
    if lines > max_rows():
        raise LayoutError(
            f"{path.name}: {_thousands(lines)} строк — больше предела "
            f"{_thousands(max_rows())}"
        )
    return data, text_data, encoding, sniff_delimiter(text_data[:20000])


def read_frame(path: Path) -> pd.DataFrame:
    """The CSV as pandas reads it, every cell a string."""
    return _pandas_frame(path, *_checked_text(path))


def _pandas_frame(
    path: Path, data: bytes, text_data: str, encoding: str, delimiter: str
) -> pd.DataFrame:
    # The parser reads the bytes (a str would be encoded back to UTF-8 first).
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            encoding=encoding,
        )
    except pd.errors.ParserError as error:
        frame = _ragged_frame(text_data, delimiter)
        if frame is None:
            raise LayoutError(
                f"{path.name}: CSV не разобран: {str(error).strip()}"
            ) from error
    frame.columns = [str(c).strip() for c in frame.columns]
    unnamed = [c for c in frame.columns if c == "" or c.startswith("Unnamed")]
    return frame.drop(columns=unnamed)


def _ragged_frame(text_data: str, delimiter: str) -> pd.DataFrame | None:
    """The CSV with its rows that have more fields than the header blanked
    (each listed in ``frame.attrs["ragged"]`` as (line, fields, width), for a
    reject per row); rows with fewer fields are padded, as pandas does. None
    when the header itself is unreadable."""
    reader = csv.reader(io.StringIO(text_data), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return None
    good, ragged = [], []
    width = len(header)
    try:
        for row in reader:
            if len(row) > width:
                # kept blank, so that the rows after it keep their line numbers
                ragged.append((reader.line_num, len(row), width))
                good.append([""] * width)
            elif row:
                good.append(row + [""] * (width - len(row)))
    except csv.Error:
        return None
    frame = pd.DataFrame(good, columns=header, dtype=str)
    frame.attrs["ragged"] = ragged
    return frame


def read_table(path: Path) -> pa.Table | pd.DataFrame:
    """The CSV with every cell a string: an Arrow table read on all cores, or
    (for what Arrow's parser does not take the way pandas does: rows shorter
    than the header, blank-looking lines, quotes in the header) the pandas
    frame of :func:`read_frame`. Both hold the same cells under the same
    column names; in the Arrow table, columns that name territories, years,
    indicators and units are dictionaries (see :func:`_distinct`)."""
    data = path.read_bytes()
    table = _utf8_table(data)
    if table is not None:
        return table
    data, text_data, encoding, delimiter = _checked_text(path, data)
    if encoding == "cp1251":
        body = text_data.encode("utf-8")
    else:
        body = data[3:] if encoding == "utf-8-sig" else data
    table = _arrow_table(body, text_data, delimiter)
    if table is None:
        return _pandas_frame(path, data, text_data, encoding, delimiter)
    return table


#: Bytes of a large file decoded for the header and the delimiter sniffer.
_HEAD_BYTES = 1 << 16


def _utf8_table(data: bytes) -> pa.Table | None:
    """A large UTF-8 CSV read without decoding it in Python: the checks of
    :func:`_checked_text` made on the bytes (NUL, row limit) and on the head
    (not empty), and Arrow's own UTF-8 check of every cell standing for the
    decoding. None when any of it does not hold (the file then takes the way
    of :func:`_checked_text`, which says what is wrong)."""
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if len(body) <= _HEAD_BYTES or b"\x00" in data:
        return None
    if data.count(b"\n") + (not data.endswith(b"\n")) - 1 > max_rows():
        return None
    try:
        head = codecs.getincrementaldecoder("utf-8")().decode(body[:_HEAD_BYTES])
    except UnicodeDecodeError:
        return None
    if len(head) < 20000 or not head.strip():
        return None
    return _arrow_table(body, head, sniff_delimiter(head[:20000]), every_cell=True)


def _arrow_table(
    body: bytes, text: str, delimiter: str, *, every_cell: bool = False
) -> pa.Table | None:
    """``body`` (UTF-8 bytes whose text begins with ``text``) read by Arrow,
    or None where pandas would read it otherwise. ``every_cell``: the table
    must hold every column (Arrow checks the UTF-8 of the cells it reads)."""
    end = text.find("\n")
    if end < 0:
        return None
    first_line = text[:end].rstrip("\r")
    if '"' in first_line or "\r" in first_line or not first_line.strip():
        return None
    # Column names as pandas makes them from an unquoted header: stripped,
    # empty ones («Unnamed: N») dropped; a repeated name (pandas numbers it)
    # takes the pandas way.
    names = first_line.split(delimiter)
    if len(set(names)) < len(names):
        return None
    names = [c.strip() for c in names]
    keep = [i for i, c in enumerate(names) if c != "" and not c.startswith("Unnamed")]
    if len({names[i] for i in keep}) < len(keep) or (
        every_cell and len(keep) < len(names)
    ):
        return None
    raw_names = [f"c{i}" for i in range(len(names))]
    labels = {
        name
        for role, synonyms in _SYNONYMS.items()
        if role != "value"
        for name in synonyms
    }
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=raw_names, skip_rows=1),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=b'"' in body
            ),
            convert_options=pacsv.ConvertOptions(
                # labels repeat: read into dictionaries, on all cores
                column_types={
                    raw: _LABELS if name.lower() in labels else pa.string()
                    for raw, name in zip(raw_names, names, strict=True)
                },
                include_columns=[raw_names[i] for i in keep],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    return table.rename_columns([names[i] for i in keep]).unify_dictionaries()


_LABELS = pa.dictionary(pa.int32(), pa.string())


def detect_csv_layout(frame: pa.Table | pd.DataFrame) -> str | None:
    columns = list(frame.column_names if isinstance(frame, pa.Table) else frame.columns)
    lowered = [c.lower() for c in columns]
    if lowered[:2] == ["id", "name"]:
        ids = (
            frame.column("id").to_pandas()
            if isinstance(frame, pa.Table)
            else frame["id"]
        )
        if ids.str.match(BDMO_CODE).mean() > 0.5:
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


def parse_values(
    raw: pd.Series, comma: Comma | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`parse_value`: (values, ok-mask). The fast path handles
    plain numbers; only the rest goes through the full parser, with what a
    comma means decided once for all the cells (``comma``, or
    :func:`~analytics.etl.clean.comma_role` of ``raw``). Values that are not
    finite (``inf``, ``1e309``) are not ok."""
    cleaned = raw.str.strip()
    values = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=float, copy=True)
    values[~np.isfinite(values)] = np.nan
    slow = np.isnan(values) & (cleaned != "").to_numpy()
    if comma is None and _needs_role(raw.iloc[np.flatnonzero(slow)]):
        comma = comma_role(raw[raw.str.contains(",|\\.", regex=True, na=False)])
    for i in np.flatnonzero(slow):
        parsed = parse_value(raw.iat[i], comma=comma or "decimal")
        if parsed.kind == "ok":
            values[i] = parsed.value
    return values, ~np.isnan(values)


def parse_cells(cells: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_values` of Arrow strings, with the same result: Arrow's
    cast (all cores, no Python objects) parses the plain numbers, and the
    cells it does not settle (signs, spaces, decimal commas, «nan», «inf»)
    go through :func:`parse_values` as before."""
    try:
        return _checked_cast(
            cells, pc.cast(cells, pa.float64()).to_numpy(zero_copy_only=False)
        )
    except pa.ArrowInvalid:
        pass
    parts = []
    for chunk in cells.chunks:
        try:
            parts.append(pc.cast(chunk, pa.float64()).to_numpy(zero_copy_only=False))
        except pa.ArrowInvalid:
            plain = pc.match_substring_regex(chunk, _ARROW_NUMBER)
            values = np.full(len(chunk), np.nan)
            values[plain.to_numpy(zero_copy_only=False)] = pc.cast(
                chunk.filter(plain), pa.float64()
            ).to_numpy(zero_copy_only=False)
            parts.append(values)
    return _checked_cast(cells, np.concatenate(parts) if parts else np.empty(0))


def _checked_cast(
    cells: pa.ChunkedArray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Values cast by Arrow (NaN where it could not) made what
    :func:`parse_values` gives."""
    if (np.signbit(values) & (values == 0)).any():
        # «-0»: pandas makes it 0 or -0 depending on the other cells, so the
        # whole column goes the old way.
        return parse_values(pd.Series(cells.to_pylist(), dtype=object))
    slow = np.flatnonzero(~np.isfinite(values))
    if len(slow):
        raw = pd.Series(cells.take(slow).to_pylist(), dtype=object)
        comma = _comma_role(cells) if _needs_role(raw) else "decimal"
        parsed = parse_values(raw, comma)[0]
        zeros = raw[parsed == 0]
        if zeros.str.contains("-|\u2212").any():
            return parse_values(pd.Series(cells.to_pylist(), dtype=object), comma)
        values = values.copy() if not values.flags.writeable else values
        values[slow] = parsed
    return values, ~np.isnan(values)


def _needs_role(raw: pd.Series) -> bool:
    """Whether some of these cells read differently as thousands («1,234»)."""
    return any(
        isinstance(text, str) and "," in text and COMMA_GROUPS.match(text)
        for text in raw
    )


def _comma_role(cells: pa.ChunkedArray) -> Comma:
    """:func:`~analytics.etl.clean.comma_role` of a column, matched by Arrow."""
    return role_of(
        thousands=pc.any(pc.match_substring_regex(cells, COMMA_THOUSANDS)).as_py()
        or False,
        decimal=pc.any(pc.match_substring_regex(cells, COMMA_DECIMAL)).as_py()
        or False,
    )


#: What Arrow's string-to-float cast reads as pandas does (ASCII digits, no
#: spaces); the other cells take the slow way.
_ARROW_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def _reject_cells(
    result: ReadResult,
    raw: pd.Series | list,
    rows: np.ndarray,
    column_names: pd.Series | str,
) -> None:
    names = (
        column_names.to_numpy()
        if isinstance(column_names, pd.Series)
        else np.full(len(rows), column_names)
    )
    cells = raw.to_numpy() if isinstance(raw, pd.Series) else raw
    for value, row, column in zip(cells, rows, names, strict=True):
        parsed = parse_value(value)
        if parsed.kind == "ok":  # a number only if its comma were read one way
            parsed = parse_value(value, comma="conflict")
        if parsed.kind == "ok":  # not finite (Arrow reads «inf», «1e309»)
            parsed = parse_value(float("inf"))
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
    years, bad = _years(codes, pd.Series(texts), year_col, result)
    return pd.Series(years, index=frame.index), bad


def _years(
    codes: np.ndarray, texts: pd.Series, year_col: str, result: ReadResult
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_parse_years` of a column given as codes into distinct texts."""
    parsed = pd.to_numeric(texts.str.strip(), errors="coerce").to_numpy()
    bad_text = np.isnan(parsed) | (parsed % 1 != 0) | (parsed < 1900) | (parsed > 2100)
    years, bad = parsed[codes], bad_text[codes]
    for i in np.flatnonzero(bad):
        result.reject(
            sheet="",
            cell=csv_cell(i, year_col),
            raw=texts.iat[codes[i]],
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


def _panel_columns(
    columns: list[str], result: ReadResult, named_columns: dict[str, str]
) -> tuple[str, str, str | None, list[str]]:
    """The OKTMO, year and name columns of a panel and its value columns (a
    note lists the columns left out)."""
    result.layouts[""] = LAYOUT_PANEL
    oktmo_col = _find(columns, "oktmo")
    year_col = _find(columns, "year")
    name_col = _find(columns, "name")
    code_cols = [c for c in columns if BDMO_CODE.match(c)]
    extra = [c for c in columns if c in named_columns]
    taken = {*code_cols, *extra, oktmo_col, year_col, name_col}
    ignored = [c for c in columns if c not in taken]
    if ignored:
        result.notes.append(
            "столбцы без кода БД ПМО и не из каталога пропущены: " + ", ".join(ignored)
        )
    return oktmo_col, year_col, name_col, code_cols + extra


def _panel_indicators(
    value_cols: list[str], result: ReadResult, named_columns: dict[str, str]
) -> None:
    for column in value_cols:
        key = f"bdmo:{column}"
        unit = named_columns.get(column, "")
        result.indicators.setdefault(
            key,
            RawIndicator(
                key=key, name_ru=column, unit=unit, code=column, source_kind="bdmo"
            ),
        )


def read_panel(
    frame: pd.DataFrame, result: ReadResult, named_columns: dict[str, str]
) -> int:
    """Wide БД ПМО panel. ``named_columns`` maps extra (non-code) column names
    that the catalog knows to their published unit; other named columns are
    listed as ignored."""
    oktmo_col, year_col, name_col, value_cols = _panel_columns(
        list(frame.columns), result, named_columns
    )
    codes = _oktmo(frame[oktmo_col])
    years, bad_year = _parse_years(frame, year_col, result)
    names = (
        frame[name_col].str.strip() if name_col else pd.Series("", index=frame.index)
    )
    _panel_indicators(value_cols, result, named_columns)
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


def _tidy_columns(columns: list[str], result: ReadResult) -> tuple:
    """Territory, year, indicator, value, unit and name columns of a tidy
    file (unit and name may be None)."""
    result.layouts[""] = LAYOUT_TIDY
    return (
        _find(columns, "oktmo") or _find(columns, "territory"),
        _find(columns, "year"),
        _find(columns, "indicator"),
        _find(columns, "value"),
        _find(columns, "unit"),
        _find(columns, "name"),
    )


def _tidy_indicators(result: ReadResult, triples) -> None:
    """Register (key, name, unit) triples of a tidy file, the first of a key."""
    for key, name, unit in triples:
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


#: A territory column's code (OKTMO, store id) as opposed to a name.
_TERRITORY_CODE = r"\d{7,8}|[A-Z]{2}(-[A-Z]{2,3}(-X)?)?|FD-[A-Z]+"


def read_tidy(frame: pd.DataFrame, result: ReadResult) -> int:
    """The tidy template, and the long БД ПМО variant."""
    territory_col, year_col, indicator_col, value_col, unit_col, name_col = (
        _tidy_columns(list(frame.columns), result)
    )
    territory = frame[territory_col].str.strip()
    is_code = territory.str.fullmatch(_TERRITORY_CODE)
    years, bad_year = _parse_years(frame, year_col, result)
    units = (
        frame[unit_col].str.strip() if unit_col else pd.Series("", index=frame.index)
    )
    indicators = frame[indicator_col].str.strip()
    keys = "tidy:" + indicators + "|" + units
    triples = pd.DataFrame({"key": keys, "name": indicators, "unit": units})
    _tidy_indicators(result, triples.drop_duplicates().itertuples(index=False))
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


# Arrow tables (:func:`read_table`): the same records and rejects as
# :func:`read_panel` and :func:`read_tidy`, but names, codes, years and keys
# are cleaned once per distinct text (with the same pandas string methods)
# and records carry them as categoricals, so no Python string is made per
# value.


def _distinct(column: pa.ChunkedArray) -> tuple[np.ndarray, pd.Series]:
    """Codes of a string column into its distinct texts (first appearance)."""
    if not pa.types.is_dictionary(column.type):
        array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
        column = pa.chunked_array([array.dictionary_encode()])
    # a table's dictionaries are unified: every chunk has the same one
    chunks = column.chunks
    if not chunks:
        return np.zeros(0, np.intp), pd.Series([], dtype=str)
    codes = np.concatenate(
        [c.indices.to_numpy(zero_copy_only=False) for c in chunks]
    ).astype(np.intp)
    return codes, pd.Series(chunks[0].dictionary.to_pylist(), dtype=str)


def _strings(table: pa.Table, column: str) -> pa.ChunkedArray:
    """A column as Arrow strings (a label column is read as a dictionary)."""
    values = table.column(column)
    return values.cast(pa.string()) if pa.types.is_dictionary(values.type) else values


def _stripped(table: pa.Table, column: str | None) -> tuple[np.ndarray, pd.Series]:
    """:func:`_distinct` of a column with its texts stripped (all '' when
    the file has no such column)."""
    if column is None:
        return np.zeros(table.num_rows, np.intp), pd.Series([""], dtype=str)
    codes, texts = _distinct(table.column(column))
    return codes, texts.str.strip()


def _categorical(codes: np.ndarray, texts: pd.Series | list) -> pd.Categorical:
    """Texts (one per code value, repeats allowed) spread over ``codes``."""
    inverse, uniques = pd.factorize(np.asarray(texts, dtype=object))
    return pd.Categorical.from_codes(
        inverse[codes] if len(codes) else codes, categories=uniques, validate=False
    )


def _add_csv_records(
    result: ReadResult, name, code, key, years, values, rows, column
) -> None:
    blank = pd.Categorical.from_codes(
        np.zeros(len(rows), np.int8), [""], validate=False
    )
    result.add_records(
        pd.DataFrame(
            {
                "territory_name": name,
                "territory_code": code,
                "indicator_key": key,
                "year": years.astype(int),
                "value": values,
                "sheet": blank,
                "cell": blank,
                CELL_ROW: rows,
                CELL_COLUMN: column,
            },
            copy=False,
        )
    )


def read_panel_table(
    table: pa.Table, result: ReadResult, named_columns: dict[str, str]
) -> int:
    """:func:`read_panel` of an Arrow table."""
    oktmo_col, year_col, name_col, value_cols = _panel_columns(
        table.column_names, result, named_columns
    )
    oktmo_codes, oktmo_texts = _distinct(table.column(oktmo_col))
    years, bad_year = _years(*_distinct(table.column(year_col)), year_col, result)
    name_codes, name_texts = _stripped(table, name_col)
    _panel_indicators(value_cols, result, named_columns)
    if not value_cols:
        return sum(len(r) for r in result.records)
    # All value columns at once, column after column (the order of records
    # and rejects).
    rows = np.flatnonzero(~bad_year)
    whole = len(rows) == table.num_rows
    raw = pa.chunked_array(
        [
            chunk
            for column in value_cols
            for chunk in (
                _strings(table, column) if whole else _strings(table, column).take(rows)
            ).chunks
        ],
        type=pa.string(),
    )
    values, ok = parse_cells(raw)
    column_of = np.repeat(np.arange(len(value_cols)), len(rows))
    row_of = np.tile(rows, len(value_cols))
    at = row_of[ok]
    columns = np.array(value_cols, dtype=object)
    _add_csv_records(
        result,
        _categorical(name_codes[at], name_texts),
        _categorical(oktmo_codes[at], _oktmo(oktmo_texts)),
        pd.Categorical.from_codes(
            column_of[ok], [f"bdmo:{c}" for c in value_cols], validate=False
        ),
        years[at],
        values[ok],
        at,
        pd.Categorical.from_codes(column_of[ok], value_cols, validate=False),
    )
    failed = ~ok
    if failed.any():
        _reject_cells(
            result,
            raw.filter(pa.array(failed)).to_pylist(),
            row_of[failed],
            pd.Series(columns[column_of[failed]], dtype=object),
        )
    return sum(len(r) for r in result.records)


def read_tidy_table(table: pa.Table, result: ReadResult) -> int:
    """:func:`read_tidy` of an Arrow table."""
    territory_col, year_col, indicator_col, value_col, unit_col, name_col = (
        _tidy_columns(table.column_names, result)
    )
    territory_codes, territory = _stripped(table, territory_col)
    is_code = territory.str.fullmatch(_TERRITORY_CODE)
    years, bad_year = _years(*_distinct(table.column(year_col)), year_col, result)
    unit_codes, units = _stripped(table, unit_col)
    indicator_codes, indicators = _stripped(table, indicator_col)
    # distinct (indicator, unit) pairs in order of first appearance
    pair_codes, pairs = pd.factorize(indicator_codes * len(units) + unit_codes)
    pair_names = indicators.to_numpy()[pairs // len(units)]
    pair_units = units.to_numpy()[pairs % len(units)]
    keys = [
        f"tidy:{name}|{unit}" for name, unit in zip(pair_names, pair_units, strict=True)
    ]
    _tidy_indicators(result, zip(keys, pair_names, pair_units, strict=True))
    raw = _strings(table, value_col)
    values, ok = parse_cells(raw)
    ok &= ~bad_year
    at = np.flatnonzero(ok)
    if name_col:
        name_codes, names = _stripped(table, name_col)
    else:
        name_codes, names = territory_codes, territory.where(~is_code, "")
    codes = territory.where(is_code, "")
    codes = codes.where(~codes.str.fullmatch(r"\d{7}"), "0" + codes)
    _add_csv_records(
        result,
        _categorical(name_codes[at], names),
        _categorical(territory_codes[at], codes),
        _categorical(pair_codes[at], keys),
        years[at],
        values[at],
        at,
        pd.Categorical.from_codes(
            np.zeros(len(at), np.int8), [value_col], validate=False
        ),
    )
    failed = np.flatnonzero(~ok & ~bad_year)
    _reject_cells(result, raw.take(failed).to_pylist(), failed, value_col)
    return len(at)
