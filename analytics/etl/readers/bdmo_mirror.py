"""The БД ПМО mirror as published: per-indicator CSV, plain or zipped.

The mirror of Rosstat's municipal database («Муниципальная статистика России
с 2005 года», tochno.st, CC BY 4.0) publishes one file per indicator: ``;``
separated, UTF-8, one row per municipality, year and breakdown, with columns

    region_id; mun_level; municipality; oktmo; mun_type; year; indicator_value

plus, where the indicator has them, breakdown columns (``okved2`` — industry,
``mest`` — kind of settlement, ``age``, ``sex`` …) and optionally
``indicator_code``, ``indicator_name``, ``indicator_unit`` and ``period``.
Without the name columns the indicator is named after the file.

Breakdowns are never collapsed silently. A row whose breakdown values are all
totals («Всего», «Итого», «Все отрасли», «Total») is the indicator itself; any
other row is kept as an indicator of its own, named «indicator — value»
(«Среднемесячная заработная плата — Образование»). The notes say how many
breakdown indicators a file gave. A ``period`` column other than the year
(«январь-декабрь» or «год» are annual values) keeps only the annual rows; the
sub-annual ones are counted in the notes.

A zip is read as downloaded: every CSV member is streamed through Arrow's
incremental reader in blocks, never unpacked to disk and never read whole,
so memory holds one block plus the values kept (a 1 GB archive stays far
under 2 GB; ``tests/test_bdmo_mirror.py`` checks that memory does not grow
with the file).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from analytics.etl.readers.base import (
    CELL_COLUMN,
    CELL_ROW,
    LayoutError,
    RawIndicator,
    ReadResult,
    _env_int,
    _thousands,
    max_unzipped_bytes,
)

LAYOUT = "bdmo_mirror"

#: Columns that identify a row; everything else but the value is a breakdown.
ID_COLUMNS = {
    "region_id",
    "region",
    "region_name",
    "mun_level",
    "municipality",
    "oktmo",
    "mun_type",
    "mun_district",
    "year",
    "period",
    "indicator_code",
    "indicator_name",
    "indicator_unit",
    "unit",
    "measure",
    "indicator_value",
    "comment",
}
REQUIRED = ("oktmo", "year", "indicator_value")
#: Breakdown values that state the total of their breakdown.
TOTALS = {
    "",
    "всего",
    "итого",
    "все отрасли",
    "всего по всем видам экономической деятельности",
    "все население",
    "всё население",
    "total",
    "оба пола",
}
#: Values of ``period`` that are the annual value.
ANNUAL = {"", "год", "за год", "январь-декабрь", "январь - декабрь", "year"}
#: Bytes Arrow reads at a time. Its streaming reader reads some 30 blocks
#: ahead of the consumer, so this bounds memory (about 30 MB) as well.
BLOCK_BYTES = 1 << 20


def _header(stream: io.BufferedIOBase) -> list[str]:
    first = stream.readline(1 << 16).decode("utf-8-sig", errors="replace")
    return [c.strip().strip('"').lower() for c in first.rstrip("\r\n").split(";")]


def is_mirror_header(columns: list[str]) -> bool:
    """Whether a CSV header is the mirror's (``oktmo``, ``year``,
    ``indicator_value``)."""
    names = {c.strip().lower() for c in columns}
    return all(c in names for c in REQUIRED)


def sniff(path: Path) -> bool:
    """Whether ``path`` (CSV or zip of CSV) is in the mirror layout."""
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                members = _csv_members(archive)
                if not members:
                    return False
                with archive.open(members[0]) as stream:
                    return is_mirror_header(_header(stream))
        with path.open("rb") as stream:
            return is_mirror_header(_header(stream))
    except (OSError, zipfile.BadZipFile, UnicodeError):
        return False


def _csv_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    return [
        m
        for m in archive.infolist()
        if not m.is_dir()
        and m.filename.lower().endswith((".csv", ".txt"))
        and not Path(m.filename).name.startswith((".", "__"))
    ]


def read_mirror(path: Path, result: ReadResult) -> int:
    """Read a mirror CSV or a zip of them into ``result``; the number of
    values kept. Raises :class:`LayoutError` naming the file when it is not
    in the layout."""
    if path.suffix.lower() == ".zip":
        try:
            archive = zipfile.ZipFile(path)
        except zipfile.BadZipFile as error:
            raise LayoutError(f"{path.name}: архив zip повреждён ({error})") from error
        with archive:
            members = _csv_members(archive)
            if not members:
                raise LayoutError(f"{path.name}: в архиве нет файлов CSV")
            limit = max_unzipped_bytes()
            # A streamed member never sits in memory whole, so the limit is
            # on each member's size and its ratio (bombs), not the total.
            for member in members:
                ratio = member.file_size / max(member.compress_size, 1)
                if member.file_size > (1 << 20) and ratio > 500:
                    raise LayoutError(
                        f"{path.name}: «{member.filename}» сжат в "
                        f"{_thousands(round(ratio))} раз — так сжимаются только "
                        "zip-бомбы; файл не открыт"
                    )
                if member.file_size > 4 * limit:
                    raise LayoutError(
                        f"{path.name}: «{member.filename}» распаковывается в "
                        f"{_thousands(member.file_size >> 20)} МБ — больше "
                        f"предела {_thousands(4 * limit >> 20)} МБ"
                    )
            total = 0
            for member in members:
                with archive.open(member) as stream:
                    total += _read_stream(stream, path.name, member.filename, result)
            return total
    with path.open("rb") as stream:
        return _read_stream(stream, path.name, path.name, result)


class _Codes:
    """Distinct texts → stable integer codes across blocks."""

    def __init__(self) -> None:
        self.index: dict[object, int] = {}
        self.values: list = []

    def codes(self, array: pa.Array) -> np.ndarray:
        encoded = pc.dictionary_encode(array)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        local = encoded.dictionary.to_pylist()
        lookup = np.array([self.code(v) for v in local] or [0], dtype=np.int32)
        indices = encoded.indices.fill_null(0).to_numpy(zero_copy_only=False)
        return lookup[indices] if len(local) else np.zeros(len(array), np.int32)

    def code(self, value) -> int:
        found = self.index.get(value)
        if found is None:
            found = self.index[value] = len(self.values)
            self.values.append(value)
        return found


def _oktmo(column: pa.Array) -> pa.Array:
    """8-digit OKTMO: separators removed, a lost leading zero restored, an
    11-digit settlement-level code cut to its municipality."""
    digits = pc.replace_substring_regex(column, r"[^0-9]", "")
    digits = pc.if_else(
        pc.greater(pc.utf8_length(digits), 8),
        pc.utf8_slice_codeunits(digits, 0, 8),
        digits,
    )
    return pc.utf8_lpad(digits, 8, "0")


def _read_stream(
    stream: io.BufferedIOBase, file_name: str, sheet: str, result: ReadResult
) -> int:
    first = stream.readline(1 << 16)
    try:
        first_line, encoding = first.decode("utf-8-sig"), "utf8"
    except UnicodeDecodeError:
        first_line, encoding = first.decode("cp1251"), "cp1251"
    columns = [
        c.strip().strip('"').lower() for c in first_line.rstrip("\r\n").split(";")
    ]
    if not is_mirror_header(columns):
        raise LayoutError(
            f"{file_name}: «{sheet}» — столбцы не похожи на зеркало БД ПМО "
            "(нужны oktmo, year, indicator_value; разделитель «;»): "
            + ", ".join(columns[:8])
        )
    stem = Path(sheet).stem
    breakdowns = [c for c in columns if c not in ID_COLUMNS and c]
    skipped_rows: list[int] = []

    def invalid_row(row) -> str:
        skipped_rows.append((row.number or 0) + 1)  # the header is line 1
        return "skip"

    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(
            block_size=_env_int("AGGLO_MIRROR_BLOCK_KB", BLOCK_BYTES >> 10) << 10,
            column_names=columns,
            encoding=encoding,
            # serial: a threaded reader reads ahead without bound when the
            # consumer is slower, which made memory grow with the file
            use_threads=False,
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=";", invalid_row_handler=invalid_row
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(columns, pa.string()),
            strings_can_be_null=False,
        ),
    )
    territories = _Codes()  # (oktmo, name)
    keys = _Codes()  # (code, name, unit, breakdown values)
    parts: list[tuple] = []
    offset = 0
    sub_annual = 0
    missing = 0
    bad_years = 0
    invalid_examples: list[tuple[int, str]] = []
    invalid = 0
    for batch in reader:
        n = batch.num_rows
        if not n:
            continue
        table = pa.Table.from_batches([batch])
        rows = np.arange(offset, offset + n, dtype=np.int64)
        offset += n
        keep = np.ones(n, dtype=bool)
        if "period" in columns:
            period = pc.utf8_lower(pc.utf8_trim_whitespace(table.column("period")))
            annual = pc.is_in(period, value_set=pa.array(sorted(ANNUAL)))
            annual = annual.to_numpy(zero_copy_only=False)
            sub_annual += int((~annual).sum())
            keep &= annual
        year_text = pc.utf8_trim_whitespace(table.column("year"))
        year_text = pc.replace_substring_regex(year_text, r"\.0+$", "")
        year_ok = pc.match_substring_regex(year_text, r"^(19|20)\d\d$").to_numpy(
            zero_copy_only=False
        )
        bad_years += int((keep & ~year_ok).sum())
        keep &= year_ok
        raw = pc.utf8_trim_whitespace(table.column("indicator_value"))
        raw = pc.replace_substring(raw, ",", ".")
        raw = pc.replace_substring_regex(raw, "[\\s\u00a0]", "")
        empty = pc.is_in(raw, value_set=pa.array(["", "-", "…", "...", "x", "х"]))
        empty = empty.to_numpy(zero_copy_only=False)
        number = pc.match_substring_regex(
            raw, r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
        ).to_numpy(zero_copy_only=False)
        missing += int((keep & empty).sum())
        bad = keep & ~empty & ~number
        if bad.any():
            invalid += int(bad.sum())
            texts = raw.to_pylist() if len(invalid_examples) < 5 else []
            for i in np.flatnonzero(bad)[: 5 - len(invalid_examples)]:
                invalid_examples.append((int(rows[i]), str(texts[i])))
        keep &= number
        if not keep.any():
            continue
        mask = pa.array(keep)
        table = table.filter(mask)
        rows = rows[keep]
        values = pc.cast(raw.filter(mask), pa.float64()).to_numpy(zero_copy_only=False)
        years = pc.cast(year_text.filter(mask), pa.int16()).to_numpy(
            zero_copy_only=False
        )
        code = _oktmo(pc.utf8_trim_whitespace(table.column("oktmo")))
        name = (
            pc.utf8_trim_whitespace(table.column("municipality"))
            if "municipality" in columns
            else pa.array([""] * table.num_rows)
        )
        territory = territories.codes(pc.binary_join_element_wise(code, name, "\x1f"))
        key_parts = [
            pc.utf8_trim_whitespace(table.column(c))
            if c in columns
            else pa.array([""] * table.num_rows)
            for c in ("indicator_code", "indicator_name", "indicator_unit")
        ]
        if "indicator_unit" not in columns:
            for alias in ("unit", "measure"):
                if alias in columns:
                    key_parts[2] = pc.utf8_trim_whitespace(table.column(alias))
                    break
        for column in breakdowns:
            text = pc.utf8_trim_whitespace(table.column(column))
            total = pc.is_in(pc.utf8_lower(text), value_set=pa.array(sorted(TOTALS)))
            key_parts.append(pc.if_else(total, "", text))
        key = keys.codes(pc.binary_join_element_wise(*key_parts, "\x1f"))
        parts.append((territory, key, years, values, rows))
    del reader  # its read-ahead blocks
    if skipped_rows:
        for number in skipped_rows[:5]:
            result.reject(
                sheet=sheet,
                cell=f"строка {number}",
                raw="",
                reason="число полей в строке не совпадает с заголовком; строка "
                "пропущена",
                kind="invalid",
            )
        if len(skipped_rows) > 5:
            result.notes.append(
                f"«{sheet}»: ещё {len(skipped_rows) - 5} строк с неверным числом "
                "полей пропущены"
            )
    for row, text in invalid_examples:
        result.reject(
            sheet=sheet,
            cell=f"строка {row + 2}, столбец «indicator_value»",
            raw=text,
            reason="значение не число",
            kind="invalid",
        )
    if invalid > len(invalid_examples):
        result.notes.append(
            f"«{sheet}»: всего {invalid} значений не числа (показаны первые "
            f"{len(invalid_examples)})"
        )
    if missing:
        result.notes.append(f"«{sheet}»: {missing} пустых значений («-», «…», пусто)")
    if bad_years:
        result.reject(
            sheet=sheet,
            cell="столбец «year»",
            raw="",
            reason=f"{bad_years} строк без года вида ГГГГ пропущены",
            kind="invalid",
        )
    if sub_annual:
        result.notes.append(
            f"«{sheet}»: {sub_annual} значений за части года (столбец period не "
            "«январь-декабрь»/«год») не загружены: в хранилище годовые значения"
        )
    result.layouts[sheet] = LAYOUT
    if not parts:
        return 0
    territory = np.concatenate([p[0] for p in parts])
    key = np.concatenate([p[1] for p in parts])
    frame_years = np.concatenate([p[2] for p in parts])
    frame_values = np.concatenate([p[3] for p in parts])
    frame_rows = np.concatenate([p[4] for p in parts])
    del parts
    pairs = [v.split("\x1f", 1) for v in territories.values]
    key_ids = []
    breakdown_keys = 0
    for value in keys.values:
        code, name, unit, *levels = value.split("\x1f")
        levels = [v for v in levels if v]
        base = name or code or stem
        shown = " — ".join([base, *levels]) if levels else base
        raw_code = code
        if levels and code:
            raw_code = code + ":" + ":".join(levels)
        key_id = f"{sheet}|{value}"
        breakdown_keys += bool(levels)
        result.indicators[key_id] = RawIndicator(
            key=key_id,
            name_ru=shown,
            unit=unit,
            code=raw_code,
            source_kind="bdmo_mirror",
        )
        key_ids.append(key_id)
    if breakdown_keys:
        result.notes.append(
            f"«{sheet}»: разрезы ({', '.join(breakdowns)}) сохранены как "
            f"{breakdown_keys} отдельных показателей «показатель — значение "
            "разреза»; строки с итогом («Всего») — сам показатель"
        )
    blank = pd.Categorical.from_codes(
        np.zeros(len(key), np.int8), [sheet], validate=False
    )
    result.add_records(
        pd.DataFrame(
            {
                "territory_name": _spread([p[1] for p in pairs], territory),
                "territory_code": _spread([p[0] for p in pairs], territory),
                "indicator_key": pd.Categorical.from_codes(
                    key, key_ids, validate=False
                ),
                "year": frame_years.astype(int),
                "period": pd.Categorical.from_codes(
                    np.zeros(len(key), np.int8), ["year"], validate=False
                ),
                "value": frame_values,
                "sheet": blank,
                "cell": blank,
                CELL_ROW: frame_rows,
                CELL_COLUMN: pd.Categorical.from_codes(
                    np.zeros(len(key), np.int8), ["indicator_value"], validate=False
                ),
            },
            copy=False,
        )
    )
    return len(key)


def _spread(texts: list[str], codes: np.ndarray) -> pd.Categorical:
    """Texts (one per code, repeats allowed) spread over ``codes``."""
    inverse, uniques = pd.factorize(np.asarray(texts, dtype=object))
    return pd.Categorical.from_codes(inverse[codes], uniques, validate=False)
