"""The ETL run: raw folder → store, one file at a time, with a report.

Rules (see DESIGN.md):

* The store mirrors the raw inputs: a file removed from them leaves the store.
* A file whose content (SHA-256) is unchanged keeps its partition untouched;
  a rerun on the same inputs writes nothing and reports «без изменений».
* A file that cannot be read is reported and skipped as a whole; what it had
  loaded before stays in the store. A run whose only news is a rejected file
  writes no new version: the store stays byte for byte as it was. A file
  that loads no value at all (every row invalid or unmatched) is rejected.
* The same territory, indicator and year from two files: the file with the
  later publication date wins (EMISS passports state it); between files
  without dates, the one later in path order wins. A file listed in
  ``pins.yaml`` at the top of a raw folder wins over all others. Every such
  conflict with different values is listed in the report, with the value
  kept and the values set aside.
* Derived indicators (per capita, shares) are computed for every
  territory-year that has the catalog formula's inputs and does not publish
  the indicator itself, from the inputs' winning values (the store is a
  function of the raw folders and ``pins.yaml`` alone, whatever the order of
  earlier runs).
* A value that is not finite (``inf``, ``1e309``) or lies outside the
  catalog's plausible range of its indicator is rejected with its cell.
* Symbolic links are not followed: a linked file or folder is skipped, and
  every skipped path (links, hidden files, other types) is listed with the
  reason in the report and the console summary.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import yaml

from analytics.escape import console
from analytics.etl import indicators as indicator_catalog
from analytics.etl.annual import annualize
from analytics.etl.formulas import mark_formulas
from analytics.etl.readers import SUPPORTED_SUFFIXES, LayoutError, read_file
from analytics.etl.readers.base import ReadResult, cell_texts, codes_of, plain
from analytics.etl.territories import REFERENCE_DIR, load_resolver
from analytics.etl.writer import PartitionWriter, store_lock, write_version
from analytics.store import (
    AGGLOMERATION_COLUMNS,
    ANNUAL,
    DERIVED_SOURCE,
    INDICATOR_COLUMNS,
    INDICATOR_ID,
    OBSERVATION_SCHEMA,
    PERIOD,
    REJECT_COLUMNS,
    SOURCE_COLUMNS,
    SOURCE_ID,
    TERRITORY_COLUMNS,
    TERRITORY_ID,
    VALUE,
    YEAR,
    current_version_dir,
    has_duplicate_keys,
    is_annual,
    read_observations,
)

PINS_FILE = "pins.yaml"
IGNORED_NAMES = {"readme.md", "provenance.txt", "license", "license.txt"}


@dataclass
class FileReport:
    path: str
    status: str  # loaded / unchanged / rejected
    layouts: str = ""
    observations: int = 0
    rejected: int = 0  # values that could not be read (invalid, unit errors)
    missing: int = 0  # conventional signs and empty cells
    skipped: int = 0  # periodic (non-annual) values
    unmatched: list[str] = field(default_factory=list)
    error: str = ""
    # the first values that could not be read, with sheet and cell
    reject_examples: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class EtlReport:
    store: str
    version: str = ""
    changed: bool = False
    files: list[FileReport] = field(default_factory=list)
    #: paths not read, each {"path": …, "reason": …} (see :func:`discover`)
    skipped: list[dict] = field(default_factory=list)
    conflicts: int = 0
    conflict_examples: list[dict] = field(default_factory=list)
    derived: int = 0
    pinned: list[str] = field(default_factory=list)  # from pins.yaml

    @property
    def exit_code(self) -> int:
        return 1 if any(f.status == "rejected" for f in self.files) else 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, default=str)

    def summary_table(self) -> str:
        rows = [
            (
                "Файл",
                "Макет",
                "Загружено",
                "Отклонено",
                "Пропуски",
                "Не сопоставлено",
                "Статус",
            )
        ]
        for f in self.files:
            path = console(f.path)
            name = path if len(path) <= 48 else "…" + path[-47:]
            rows.append(
                (
                    name,
                    console(f.layouts) or "—",
                    f"{f.observations:,}".replace(",", " "),
                    str(f.rejected),
                    str(f.missing + f.skipped),
                    str(len(f.unmatched)),
                    _STATUS_RU.get(f.status, f.status),
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        total = sum(f.observations for f in self.files)
        lines.append("")
        lines.append(
            f"Всего наблюдений в загруженных файлах: {total:,}".replace(",", " ")
            + f"; производных значений: {self.derived:,}".replace(",", " ")
            + f"; конфликтов между файлами: {self.conflicts}"
        )
        if self.skipped:
            lines.append(f"Пропущено путей: {len(self.skipped)}")
        lines.append(
            f"Хранилище: {self.store} (версия {self.version}"
            + (", без изменений)" if not self.changed else ")")
        )
        for c in self.conflict_examples[:5]:
            others = "; ".join(f"{o['value']:g} ({o['file']})" for o in c["other"])
            lines.append(
                f"Конфликт {c['territory_id']} · {c['indicator_id']} · {c['year']}: "
                f"оставлено {c['kept_value']:g} из {c['kept_file']}, отложено {others}"
            )
        for f in self.files:
            if f.error:
                lines.append(f"ОТКЛОНЁН {f.path}: {f.error}")
            if f.reject_examples:
                lines.append(
                    f"Отклонены значения в {f.path} ({f.rejected}): "
                    + "; ".join(f.reject_examples)
                    + (" …" if f.rejected > len(f.reject_examples) else "")
                )
            if f.unmatched:
                lines.append(
                    f"Не сопоставлены территории в {f.path}: "
                    + "; ".join(f.unmatched[:10])
                    + (" …" if len(f.unmatched) > 10 else "")
                )
        for skipped in self.skipped:
            lines.append(f"ПРОПУЩЕН {skipped['path']}: {skipped['reason']}")
        # Names, cells and messages come from the files: a control character
        # in them must not start a line of its own or drive the terminal.
        return "\n".join(console(line) for line in lines)


_STATUS_RU = {
    "loaded": "загружен",
    "unchanged": "без изменений",
    "rejected": "отклонён",
}


#: Why a path under a raw folder is not read (shown in the report).
SKIP_LINK = "символическая ссылка: ссылки не читаются"
SKIP_HIDDEN = "скрытый файл или папка (имя с точки)"
SKIP_LOCK = "временный файл Excel (~$)"
SKIP_TYPE = "тип файла не поддерживается (нужны xlsx, xls, xlsm, ods, csv, tsv, txt)"
SKIP_DOC = "описание набора данных, не таблица"
SKIP_SPECIAL = "не обычный файл (канал, устройство или сокет)"


def discover(
    raw: Iterable[Path],
) -> tuple[list[tuple[Path, Path]], list[tuple[Path, str]]]:
    """(file, root) pairs of readable files under the raw paths, and the
    paths skipped with the reason: symbolic links (files and folders; links
    are not followed, so nothing outside a raw folder is read), hidden files
    and folders, Excel's lock files, other types, README/PROVENANCE. A raw
    path given itself (even as a link) is read."""
    found: list[tuple[Path, Path]] = []
    skipped: list[tuple[Path, str]] = []
    for root in raw:
        root = Path(root)
        if root.is_file():
            if root.suffix.lower() in SUPPORTED_SUFFIXES:
                found.append((root, root.parent))
            else:
                skipped.append((root, SKIP_TYPE))
            continue
        here_found: list[tuple[Path, Path]] = []
        for folder, dirs, names in os.walk(root, followlinks=False):
            here = Path(folder)
            keep = []
            for name in sorted(dirs):
                path = here / name
                if path.is_symlink():
                    skipped.append((path, SKIP_LINK))
                elif name.startswith("."):
                    skipped.append((path, SKIP_HIDDEN))
                else:
                    keep.append(name)
            dirs[:] = keep
            for name in sorted(names):
                path = here / name
                reason = _skip_reason(path, here == root)
                if reason is None:
                    here_found.append((path, root))
                elif reason:
                    skipped.append((path, reason))
        found += sorted(here_found)
    return found, skipped


def _skip_reason(path: Path, top: bool) -> str | None:
    """Why a file is not read (None: it is read; '' for ``pins.yaml``, which
    is read as the pins)."""
    name = path.name
    if top and name == PINS_FILE:
        return ""
    if path.is_symlink():
        return SKIP_LINK
    if name.startswith("."):
        return SKIP_HIDDEN
    if name.startswith("~$"):
        return SKIP_LOCK
    if not path.is_file():
        return SKIP_SPECIAL
    if name.lower() in IGNORED_NAMES:
        return SKIP_DOC
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return SKIP_TYPE
    return None


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:20]


#: File hashes of a version's inputs, by file identity (see :func:`file_hashes`).
HASH_CACHE = "file_hashes.json"
#: A file changed less than this many seconds before it is hashed may change
#: again within the same timestamp tick: its hash is not remembered.
_SETTLED_SECONDS = 2.0


def _identity(stat) -> str:
    parts = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    return ":".join(map(str, parts))


def file_hashes(paths: list[Path], known: Path | None) -> tuple[list[str], dict]:
    """:func:`file_hash` of each path, and the hashes to remember for the
    next run. A file whose device, inode, size, modification and
    status-change times are those remembered in ``known`` (the live
    version's :data:`HASH_CACHE`) keeps its hash: any write changes the
    status-change time, which no tool sets back. The others are hashed on
    all cores (hashlib releases the GIL)."""
    try:
        cache = json.loads(known.read_text(encoding="utf-8")) if known else {}
    except (OSError, ValueError):
        cache = {}
    cache = cache if isinstance(cache, dict) else {}
    stats = [path.stat() for path in paths]
    keys = [_identity(stat) for stat in stats]
    todo = [i for i, key in enumerate(keys) if not isinstance(cache.get(key), str)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        digests = pool.map(file_hash, [paths[i] for i in todo])
        for i, digest in zip(todo, digests, strict=True):
            cache[keys[i]] = digest
    digests = [cache[key] for key in keys]
    settled = time.time() - _SETTLED_SECONDS
    remember = {
        key: digest
        for key, digest, stat in zip(keys, digests, stats, strict=True)
        if max(stat.st_mtime, stat.st_ctime) < settled
    }
    return digests, remember


def _reference_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(REFERENCE_DIR.glob("*")):
        if path.is_file() and path.suffix in {".csv", ".yaml", ".yml"}:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def _published_key(text: str) -> str:
    """'24.01.2022' → '2022-01-24' so dates sort; '' stays ''."""
    parts = text.strip().split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return f"{parts[2]}-{parts[1]}-{parts[0]}"
    return text.strip()


def _map_records(
    result: ReadResult,
    report: FileReport,
    source_id: str,
    resolver,
    catalog,
    code_names: dict[str, str],
    indicator_rows: dict,
    cached: dict | None = None,
) -> tuple[pd.DataFrame, list[dict]]:
    """A file's records as observations (territory and indicator ids
    categorical, values in the catalog unit) and its rejects. Every lookup
    runs once per distinct name, code or key and is spread by integer codes;
    only the records a message names become Python strings."""
    cached = {} if cached is None else cached
    records = result.all_records(cells=False)
    rejects = [dict(r) for r in result.rejects]
    if records.empty:
        return (
            pd.DataFrame(columns=[TERRITORY_ID, YEAR, PERIOD, INDICATOR_ID, VALUE]),
            rejects,
        )
    pairs, pair_ids = resolver.resolve_codes(records)
    unresolved = (np.asarray(pair_ids, dtype=object) == "")[pairs]
    name_codes, names = codes_of(records.territory_name)
    grouping = (
        np.array([resolver.is_grouping(n) for n in names], dtype=bool)[name_codes]
        & unresolved
    )
    grouped = (
        plain(records[grouping]).groupby("territory_name", sort=True)
        if grouping.any()
        else ()
    )
    for label, group in grouped:
        rejects.append(
            {
                "sheet": group.iloc[0].sheet,
                "cell": cell_texts(group.iloc[:1])[0],
                "raw_value": label,
                "kind": "skipped",
                "reason": f"«{label}» — экономический район, не субъект; "
                f"пропущено {len(group)} знач.",
            }
        )
    if (unresolved & ~grouping).any():
        unmatched = plain(records[unresolved & ~grouping])
        names = unmatched.assign(
            label=unmatched.territory_name.where(
                unmatched.territory_name != "", unmatched.territory_code
            )
        )
        for label, group in names.groupby("label", sort=True):
            report.unmatched.append(label)
            first = group.iloc[0]
            rejects.append(
                {
                    "sheet": first.sheet,
                    "cell": cell_texts(group.iloc[:1])[0],
                    "raw_value": label,
                    "reason": f"территория «{label}» не найдена в справочнике "
                    f"({len(group)} знач.)",
                    "kind": "unmatched",
                }
            )
    if unresolved.any():
        records, pairs = records[~unresolved], pairs[~unresolved]
    territory_codes, territory_ids = pd.factorize(np.asarray(pair_ids, dtype=object))
    territory = territory_codes[pairs]

    mappings = {}
    for key, raw in result.indicators.items():
        # once per run for each raw indicator and the name its code has in
        # the dictionaries (82 panels repeat the same 300 columns)
        cache_key = (raw, code_names.get(raw.code))
        mapping = cached.get(cache_key)
        if mapping is None:
            mapping = indicator_catalog.map_indicator(raw, catalog, code_names)
            cached[cache_key] = mapping
        mappings[key] = mapping
        if mapping.error:
            continue
        row = indicator_rows.setdefault(
            mapping.indicator_id,
            {
                INDICATOR_ID: mapping.indicator_id,
                "name_ru": mapping.name_ru,
                "unit": mapping.unit,
                "theme": mapping.theme,
                "direction": mapping.direction,
                "in_catalog": mapping.in_catalog,
                "source_codes": set(),
            },
        )
        if raw.code:
            row["source_codes"].add(raw.code)
    # One mapping per distinct key, then spread over the records by its code.
    key_codes, keys = codes_of(records.indicator_key)
    key_mappings = [mappings[k] for k in keys]
    bad = np.array([bool(m.error) for m in key_mappings], dtype=bool)[key_codes]
    for key, group in plain(records[bad]).groupby("indicator_key") if bad.any() else ():
        for rec, cell in zip(
            group.itertuples(index=False), cell_texts(group), strict=True
        ):
            rejects.append(
                {
                    "sheet": rec.sheet,
                    "cell": cell,
                    "raw_value": str(rec.value),
                    "reason": mappings[key].error,
                    "kind": "invalid",
                }
            )
    if bad.any():
        records, key_codes, territory = records[~bad], key_codes[~bad], territory[~bad]
    id_codes, ids = pd.factorize(
        np.array([m.indicator_id or "" for m in key_mappings], dtype=object)
    )
    scale = np.array([m.scale for m in key_mappings], dtype=float)[key_codes]
    frame = pd.DataFrame(
        {
            TERRITORY_ID: pd.Categorical.from_codes(
                territory, territory_ids, validate=False
            ),
            YEAR: records.year.astype("int16").to_numpy(),
            PERIOD: records.period.astype("category").array,
            INDICATOR_ID: pd.Categorical.from_codes(
                id_codes[key_codes], ids, validate=False
            ),
            VALUE: records.value.astype(float).to_numpy() * scale,
        },
        copy=False,
    )
    # each value's record, to name the cell of a value rejected below
    position = np.arange(len(records))
    values = frame[VALUE].to_numpy()
    infinite = ~np.isfinite(values)
    if infinite.any():
        _reject_values(
            rejects,
            frame[infinite].assign(_record=position[infinite]),
            records,
            lambda rec: (
                "не конечное число (бесконечность или NaN): "
                f"{rec.value!r} — значение не загружено"
            ),
            "invalid",
        )
        frame = frame[~infinite].reset_index(drop=True)
        position, key_codes = position[~infinite], key_codes[~infinite]
    counts = np.array(
        [m.in_catalog and m.unit in COUNT_UNITS for m in key_mappings], dtype=bool
    )[key_codes]
    negative = counts & (frame[VALUE].to_numpy() < 0)
    if negative.any():
        _reject_values(
            rejects,
            frame[negative].assign(_record=position[negative]),
            records,
            lambda rec: (
                f"отрицательное значение {rec.value:g} для показателя-"
                f"численности {rec.indicator_id}"
            ),
            "invalid",
        )
        frame = frame[~negative].reset_index(drop=True)
        position, key_codes = position[~negative], key_codes[~negative]
    # the catalog's plausible range of each value's indicator
    ranges = [
        catalog.entries[m.indicator_id].range
        if m.in_catalog and m.indicator_id in catalog.entries
        else (None, None)
        for m in key_mappings
    ]
    low = np.array([-np.inf if r[0] is None else r[0] for r in ranges])[key_codes]
    high = np.array([np.inf if r[1] is None else r[1] for r in ranges])[key_codes]
    values = frame[VALUE].to_numpy()
    outside = (values < low) | (values > high)
    if outside.any():
        bounds = dict(zip(ids, _range_texts(ids, catalog), strict=True))
        _reject_values(
            rejects,
            frame[outside].assign(_record=position[outside]),
            records,
            lambda rec: (
                f"{rec.value:g} вне правдоподобного диапазона показателя "
                f"{rec.indicator_id} ({bounds[rec.indicator_id]})"
            ),
            "invalid",
        )
        frame = frame[~outside].reset_index(drop=True)
        position, key_codes = position[~outside], key_codes[~outside]
    # packed integer keys say at once that a file repeats no key (the rule)
    repeats = len(frame) > 1 and has_duplicate_keys(frame)
    key = [TERRITORY_ID, INDICATOR_ID, YEAR, PERIOD]
    dup = frame.duplicated(key) if repeats else None
    if repeats and dup.any():
        first = plain(frame[~dup]).set_index(key)[VALUE]

        def repeated(rec) -> str:
            kept = first.get((rec.territory_id, rec.indicator_id, rec.year, rec.period))
            same = kept is not None and np.isclose(kept, rec.value)
            return "повтор значения в том же файле" + (
                "" if same else f" с другим значением (оставлено {kept})"
            )

        duplicates = frame[dup].assign(_record=position[dup])
        _reject_values(rejects, duplicates, records, repeated, "duplicate")
        frame = frame[~dup].reset_index(drop=True)
    frame, annual = annualize(frame, catalog.annual_rules)
    if annual:
        result.notes.append(
            f"{annual} годовых значений выведено из помесячных, поквартальных или "
            "на дату по правилу каталога (период year:<правило>)"
        )
    frame[SOURCE_ID] = pd.Categorical.from_codes(
        np.zeros(len(frame), np.int8), [source_id], validate=False
    )
    return frame, rejects


def _range_texts(ids, catalog) -> list[str]:
    """The plausible range of each catalog indicator as text («от 0 до 100 %»)."""
    texts = []
    for indicator_id in ids:
        entry = catalog.entries.get(indicator_id)
        low, high = entry.range if entry is not None else (None, None)
        parts = ([f"от {low:g}"] if low is not None else []) + (
            [f"до {high:g}"] if high is not None else []
        )
        texts.append(" ".join(parts) + (f" {entry.unit}" if entry else ""))
    return texts


def _reject_values(
    rejects: list[dict], values: pd.DataFrame, records: pd.DataFrame, reason, kind
) -> None:
    """Reject mapped values (rows of the frame :func:`_map_records` builds),
    naming the sheet and cell of the record each came from."""
    if values.empty:
        return
    source = records.iloc[values["_record"].to_numpy()]
    for rec, sheet, cell in zip(
        values.itertuples(index=False),
        source["sheet"].tolist(),
        cell_texts(source),
        strict=True,
    ):
        rejects.append(
            {
                "sheet": sheet,
                "cell": cell,
                "raw_value": str(rec.value),
                "reason": reason(rec),
                "kind": kind,
            }
        )


def _where(reject: dict) -> str:
    sheet, cell = reject.get("sheet") or "", reject.get("cell") or ""
    parts = ([f"лист «{sheet}»"] if sheet else []) + ([cell] if cell else [])
    return ", ".join(parts)


def _reject_examples(rejects: list[dict], limit: int = 5) -> list[str]:
    examples = []
    for reject in rejects:
        if reject["kind"] not in ("invalid", "duplicate", "sheet"):
            continue
        where = _where(reject)
        examples.append(f"{where}: {reject['reason']}" if where else reject["reason"])
        if len(examples) == limit:
            break
    return examples


def _nothing_loaded(rejects: list[dict]) -> str:
    """Why a file that loaded no value is rejected ('' when it only had
    missing values, which is no error)."""
    bad = [r for r in rejects if r["kind"] in ("invalid", "unmatched", "duplicate")]
    if not bad:
        return ""
    first = bad[0]
    where = _where(first)
    return (
        f"{len(bad)} знач. не прочитано; первое: "
        + (f"{where}: " if where else "")
        + first["reason"]
    )


#: Catalog units of counts (persons, beds, units): a negative value is an error.
COUNT_UNITS = {"чел.", "коек", "ед."}


def _formula_indicators(catalog) -> set[str]:
    """The indicators catalog formulas compute or take as inputs."""
    formulas = [e for e in catalog.entries.values() if e.formula]
    return {e.id for e in formulas} | {
        e.formula[part] for e in formulas for part in ("numerator", "denominator")
    }


def derive(
    observations: pd.DataFrame, catalog, priority: dict[str, int] | None = None
) -> pd.DataFrame:
    """Indicators with a catalog formula, where the inputs exist. Where two
    sources publish an input for the same territory and year, the value of
    the higher ``priority`` (source id → rank, as in the sources table) is
    used: the one :func:`analytics.store.open_store` keeps."""
    out = []
    key = [TERRITORY_ID, YEAR]
    published = {str(i) for i in observations[INDICATOR_ID].unique()}
    # Only the formulas' inputs and outputs are looked at (not all indicators).
    needed = _formula_indicators(catalog)
    inputs = observations[observations[INDICATOR_ID].isin(needed)]
    if PERIOD in inputs.columns:  # formulas combine annual values only
        inputs = inputs[is_annual(inputs[PERIOD])]
    inputs = plain(inputs)
    if priority is not None and len(inputs):
        # the winner of a conflict last, so that keep="last" keeps it
        rank = inputs[SOURCE_ID].map(priority).fillna(-1).to_numpy()
        inputs = inputs.iloc[np.argsort(rank, kind="stable")]
    by_indicator = {
        name: group.drop_duplicates(key, keep="last").set_index(key)[VALUE]
        for name, group in inputs.groupby(INDICATOR_ID, observed=True)
    }
    for entry in catalog.entries.values():
        if not entry.formula:
            continue
        num = by_indicator.get(entry.formula["numerator"])
        den = by_indicator.get(entry.formula["denominator"])
        if num is None or den is None:
            continue
        joined = pd.concat([num.rename("n"), den.rename("d")], axis=1, join="inner")
        joined = joined[(joined.d > 0) & joined.n.notna()]
        if entry.id in published:
            joined = joined[~joined.index.isin(by_indicator[entry.id].index)]
        if joined.empty:
            continue
        values = joined.n / joined.d * float(entry.formula.get("scale", 1))
        out.append(
            pd.DataFrame(
                {
                    TERRITORY_ID: joined.index.get_level_values(0),
                    YEAR: joined.index.get_level_values(1).astype("int16"),
                    PERIOD: ANNUAL,
                    INDICATOR_ID: entry.id,
                    VALUE: values.to_numpy(),
                    SOURCE_ID: DERIVED_SOURCE,
                }
            )
        )
    if not out:
        return pd.DataFrame(
            columns=[TERRITORY_ID, YEAR, PERIOD, INDICATOR_ID, VALUE, SOURCE_ID]
        )
    return pd.concat(out, ignore_index=True)


def run_etl(
    raw: Iterable[Path],
    store: Path,
    *,
    on_progress: Callable[[int, int, str], None] | None = None,
    now: datetime | None = None,
) -> EtlReport:
    """Load the raw files into the store; see the module docstring for rules.

    ``on_progress(done, total, file_name)`` is called before each file and once
    at the end, for progress bars in the CLI and in the app.
    """
    store = Path(store)
    report = EtlReport(store=str(store))
    raw = [Path(r) for r in raw]
    files, skipped = discover(raw)
    pins = read_pins(raw)
    report.pinned = sorted(pins)
    report.skipped = [
        {"path": _display_path(path, raw), "reason": reason} for path, reason in skipped
    ]
    with store_lock(store), PartitionWriter(store) as partitions:
        return _run_locked(files, store, report, on_progress, now, pins, partitions)


def _display_path(path: Path, raw: list[Path]) -> str:
    """A path as the report names files: relative to its raw folder."""
    for root in raw:
        if root.is_dir() and path.is_relative_to(root):
            return str(path.relative_to(root))
    return str(path)


def read_pins(raw: Iterable[Path]) -> set[str]:
    """Files pinned by ``pins.yaml`` at the top of a raw folder: their values
    win every conflict, whatever the publication dates. The file lists paths
    relative to that folder (or bare file names)::

        pinned:
          - uploads/исправленные_данные.xlsx
    """
    pins: set[str] = set()
    for root in raw:
        path = Path(root) / PINS_FILE
        if not path.is_file():
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            raise LayoutError(f"{path}: не читается как YAML ({error})") from error
        entries = data.get("pinned", []) if isinstance(data, dict) else []
        if not isinstance(entries, list):
            raise LayoutError(f"{path}: «pinned» должен быть списком путей")
        pins |= {str(e).strip().replace("\\", "/") for e in entries if str(e).strip()}
    return pins


def _is_pinned(path: str, pins: set[str]) -> bool:
    return bool(path) and (path in pins or Path(path).name in pins)


def _run_locked(
    files, store, report, on_progress, now, pins, partitions: PartitionWriter
) -> EtlReport:
    live = current_version_dir(store)
    previous_sources = pd.DataFrame(columns=SOURCE_COLUMNS)
    previous_rejects = pd.DataFrame(columns=REJECT_COLUMNS)
    previous_indicators = pd.DataFrame(columns=INDICATOR_COLUMNS)
    previous_territories = pd.DataFrame(columns=TERRITORY_COLUMNS)
    fingerprint_file = None
    if live is not None:
        previous_sources = pd.read_parquet(live / "sources.parquet")
        previous_rejects = pd.read_parquet(live / "rejects.parquet")
        previous_indicators = pd.read_parquet(live / "indicators.parquet")
        previous_territories = pd.read_parquet(live / "territories.parquet")
        fingerprint_file = live / "reference.fingerprint"
    reference_fp = _reference_fingerprint()
    reference_same = (
        fingerprint_file is not None
        and fingerprint_file.exists()
        and fingerprint_file.read_text() == reference_fp
    )
    resolver = load_resolver()
    catalog = indicator_catalog.load_catalog()
    mappings: dict = {}  # raw indicator → mapping, for the whole run
    known = {
        row.source_id: row
        for row in previous_sources.itertuples(index=False)
        if row.source_id != DERIVED_SOURCE
    }
    known_by_path = {row.path: row for row in known.values()}

    digests, remember = file_hashes(
        [path for path, _ in files], live / HASH_CACHE if live else None
    )
    hashes = [
        (path, root, digest)
        for (path, root), digest in zip(files, digests, strict=True)
    ]
    code_names: dict[str, str] = {}
    # Dictionaries name codes for every panel, so they are read first.
    results: dict[str, ReadResult | LayoutError] = {}
    order = sorted(hashes, key=lambda item: 0 if _looks_like_dictionary(item[0]) else 1)
    new_partitions: dict[str, pd.DataFrame] = {}
    reused: list[str] = []
    source_rows: list[dict] = []
    reject_frames: list[pd.DataFrame] = []
    indicator_rows: dict[str, dict] = {}
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    for index, (path, root, digest) in enumerate(order):
        rel = str(path.relative_to(root)) if root != path else path.name
        if on_progress:
            on_progress(index, len(order), rel)
        file_report = FileReport(path=rel, status="loaded")
        report.files.append(file_report)
        old = known.get(digest)
        if old is not None and reference_same and not _looks_like_dictionary(path):
            file_report.status = "unchanged"
            file_report.layouts = old.layouts
            file_report.observations = int(old.observations)
            file_report.rejected = int(old.rejected)
            file_report.missing = int(old.missing)
            file_report.skipped = int(old.skipped)
            reused.append(digest)
            source_rows.append({**old._asdict(), "path": rel})
            reject_frames.append(previous_rejects[previous_rejects.source_id == digest])
            continue
        file_indicators: dict[str, dict] = {}
        try:
            result = read_file(
                path,
                is_territory=resolver.is_territory,
                named_columns=catalog.column_units,
            )
            mark_formulas(path, result.rejects)
            frame, rejects = _map_records(
                result,
                file_report,
                digest,
                resolver,
                catalog,
                {**code_names, **result.code_names},
                file_indicators,
                mappings,
            )
            if frame.empty and not result.code_names:
                reason = _nothing_loaded(rejects)
                if reason:
                    raise LayoutError(
                        f"{path.name}: ни одно значение не загружено — {reason}"
                    )
                if not rejects:  # not even an empty cell: a header alone
                    raise LayoutError(
                        f"{path.name}: в файле нет ни одной строки данных: "
                        "только заголовок или строки, не похожие на данные"
                    )
        except (
            LayoutError,
            OSError,
            ValueError,
            TypeError,
            IndexError,
            KeyError,
        ) as error:
            # A file no reader can take is rejected as a whole, whatever
            # failed inside (a reader's defect included); the run goes on.
            if not isinstance(error, LayoutError):
                error = LayoutError(
                    f"{path.name}: файл не прочитан "
                    f"({type(error).__name__}: {str(error)[:200]})"
                )
            file_report.status = "rejected"
            file_report.error = str(error)
            results[digest] = error
            reject_frames.append(
                pd.DataFrame(
                    [
                        {
                            SOURCE_ID: digest,
                            "file_name": rel,
                            "sheet": "",
                            "cell": "",
                            "raw_value": "",
                            "reason": str(error),
                            "kind": "file",
                        }
                    ]
                )
            )
            old = old or known_by_path.get(rel)
            if old is not None:  # what it loaded before stays
                reused.append(old.source_id)
                source_rows.append({**old._asdict(), "path": rel})
            continue
        code_names.update(result.code_names)
        if result.code_names and old is not None and reference_same:
            file_report.status = "unchanged"
            file_report.layouts = old.layouts
            reused.append(digest)
            source_rows.append({**old._asdict(), "path": rel})
            continue
        for key, row in file_indicators.items():
            if key in indicator_rows:
                indicator_rows[key]["source_codes"] |= row["source_codes"]
            else:
                indicator_rows[key] = row
        file_report.layouts = ", ".join(sorted(set(result.layouts.values())))
        file_report.observations = len(frame)
        file_report.notes = result.notes
        kinds = pd.Series([r["kind"] for r in rejects], dtype=object)
        file_report.rejected = int(kinds.isin(["invalid", "duplicate", "sheet"]).sum())
        file_report.missing = int((kinds == "missing").sum())
        file_report.skipped = int((kinds == "skipped").sum())
        file_report.reject_examples = _reject_examples(rejects)
        if rejects:
            reject_frames.append(
                pd.DataFrame(rejects).assign(**{SOURCE_ID: digest, "file_name": rel})[
                    REJECT_COLUMNS
                ]
            )
        if len(frame):
            new_partitions[digest] = frame
            partitions.write(digest, frame)
        source_rows.append(
            {
                SOURCE_ID: digest,
                "path": rel,
                "file_name": path.name,
                "layouts": file_report.layouts,
                "size_bytes": path.stat().st_size,
                "published": _published_key(result.published),
                "priority": 0,
                "observations": len(frame),
                "rejected": file_report.rejected,
                "missing": file_report.missing,
                "skipped": file_report.skipped,
                "unmatched": len(file_report.unmatched),
                "loaded_at": old.loaded_at if old is not None else stamp,
                "notes": "\n".join(result.notes),
            }
        )
    if on_progress:
        on_progress(len(order), len(order), "")

    sources = pd.DataFrame(source_rows, columns=SOURCE_COLUMNS)
    # Priorities: a pinned file wins, then later publication, then later path.
    sources = sources.assign(
        _pinned=sources["path"].map(lambda p: _is_pinned(str(p), pins))
    ).sort_values(["_pinned", "published", "path"], kind="stable")
    sources["priority"] = np.arange(1, len(sources) + 1)
    sources = (
        sources.drop(columns="_pinned")
        .sort_values("path", kind="stable")
        .reset_index(drop=True)
    )
    previous_priority = dict(
        zip(previous_sources[SOURCE_ID], previous_sources["priority"], strict=True)
    )
    same_priorities = all(
        previous_priority.get(i) == p
        for i, p in zip(sources[SOURCE_ID], sources["priority"], strict=True)
    )
    live_ids = set(new_partitions) | set(reused)
    unchanged = (
        live is not None
        and not new_partitions
        and reference_same
        and set(previous_sources.source_id) - {DERIVED_SOURCE} == set(reused)
        and same_priorities
        # A rejected file alone changes nothing (the report says why): the
        # store stays byte for byte. A file rejected before and now gone
        # takes its reject row away, which needs a new version.
        and set(previous_rejects.loc[previous_rejects.kind == "file", SOURCE_ID])
        <= {d for d, r in results.items() if isinstance(r, LayoutError)}
    )
    if unchanged:
        report.version = live.name
        report.changed = False
        derived_file = live / "observations" / f"{DERIVED_SOURCE}.parquet"
        report.derived = (
            pq.ParquetFile(derived_file).metadata.num_rows
            if derived_file.exists()
            else 0
        )
        return report

    frames = list(new_partitions.values())
    kept = _kept_files(live, reused)
    if _may_share_keys([_file_ranges(f) for f in kept] + [_ranges(f) for f in frames]):
        # Only the partitions kept (a partition holds one source's values).
        if kept:
            frames.insert(0, read_observations(live, set(reused)))
        observations = _concat(frames)
        report.conflicts, report.conflict_examples = _conflicts(observations, sources)
        used_ids = set(observations[INDICATOR_ID].unique())
        used_territories = set(observations[TERRITORY_ID].unique())
    else:
        # No territory-indicator-year can be in two files (their ranges do
        # not meet): no conflict to look for, and of the kept partitions only
        # what `derive` needs and the ids in use are read.
        observations, used_ids, used_territories = _formula_inputs(
            kept, frames, catalog
        )
    derived = derive(
        observations,
        catalog,
        dict(zip(sources[SOURCE_ID], sources["priority"], strict=True)),
    )
    report.derived = len(derived)
    if len(derived):
        new_partitions[DERIVED_SOURCE] = derived
        sources = pd.concat(
            [
                sources,
                pd.DataFrame(
                    [
                        {
                            SOURCE_ID: DERIVED_SOURCE,
                            "path": "",
                            "file_name": "",
                            "layouts": "derived",
                            "size_bytes": 0,
                            "published": "",
                            "priority": 0,
                            "observations": len(derived),
                            "rejected": 0,
                            "missing": 0,
                            "skipped": 0,
                            "unmatched": 0,
                            "loaded_at": stamp,
                            "notes": "производные показатели по формулам каталога",
                        }
                    ]
                ),
            ],
            ignore_index=True,
        )

    used_ids |= set(derived[INDICATOR_ID].unique())
    indicators = _indicator_table(
        catalog, indicator_rows, previous_indicators, used_ids
    )
    territories = _territory_table(resolver, previous_territories, used_territories)
    rejects = (
        pd.concat(reject_frames, ignore_index=True)[REJECT_COLUMNS]
        if reject_frames
        else pd.DataFrame(columns=REJECT_COLUMNS)
    )
    rejects = rejects[
        rejects[SOURCE_ID].isin(
            live_ids | {f for f, r in results.items() if isinstance(r, LayoutError)}
        )
    ]
    tables = {
        "territories": territories,
        "indicators": indicators,
        "agglomerations": _agglomerations(),
        "sources": sources.astype({"priority": "int64"}),
        "rejects": rejects.astype(str).reset_index(drop=True),
    }
    version = write_version(
        store,
        new_partitions=new_partitions,
        written=partitions.finish(),
        reused_partitions=[r for r in reused if r in set(previous_sources.source_id)],
        tables=tables,
    )
    (store / "versions" / version / "reference.fingerprint").write_text(reference_fp)
    (store / "versions" / version / HASH_CACHE).write_text(json.dumps(remember))
    report.version = version
    report.changed = True
    return report


def _kept_files(live: Path | None, reused: list[str]) -> list[Path]:
    """The live version's partitions of the kept sources, in the order
    :func:`analytics.store.read_observations` reads them."""
    if live is None or not reused:
        return []
    wanted = {f"{s}.parquet" for s in reused}
    return [
        f for f in sorted((live / "observations").glob("*.parquet")) if f.name in wanted
    ]


#: (territory min, max, indicator min, max, year min, max) of a partition;
#: None where unknown, () for no rows.
Ranges = tuple | None


def _file_ranges(file: Path) -> Ranges:
    """A written partition's ranges, from its Parquet statistics."""
    metadata = pq.ParquetFile(file).metadata
    if metadata.num_rows == 0:
        return ()
    names = [metadata.schema.column(j).path for j in range(metadata.num_columns)]
    bounds = []
    for column in (TERRITORY_ID, INDICATOR_ID, YEAR):
        if column not in names:
            return None
        low = high = None
        for group in range(metadata.num_row_groups):
            stats = metadata.row_group(group).column(names.index(column)).statistics
            if stats is None or not stats.has_min_max:
                return None
            low = stats.min if low is None else min(low, stats.min)
            high = stats.max if high is None else max(high, stats.max)
        bounds += [low, high]
    return tuple(bounds)


def _ranges(frame: pd.DataFrame) -> Ranges:
    """The ranges of a partition in memory."""
    if frame.empty:
        return ()
    bounds = []
    for column in (TERRITORY_ID, INDICATOR_ID):
        values = _present(frame[column])
        bounds += [min(values), max(values)]
    years = frame[YEAR].to_numpy()
    return (*bounds, int(years.min()), int(years.max()))


def _present(values: pd.Series):
    """The distinct values of a column (of a categorical, the categories its
    codes use, counted rather than sorted)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values.unique()
    codes = values.cat.codes.to_numpy()
    used = np.bincount(codes, minlength=len(values.cat.categories)) > 0
    return values.cat.categories[used]


def _may_share_keys(ranges: list[Ranges]) -> bool:
    """Whether two partitions may hold the same territory-indicator-year:
    their territory, indicator and year ranges all meet (unknown ranges,
    None, meet everything; empty partitions, (), meet nothing)."""
    ranges = [r for r in ranges if r != ()]
    for i, a in enumerate(ranges):
        for b in ranges[i + 1 :]:
            if a is None or b is None:
                return True
            if all(a[k] <= b[k + 1] and b[k] <= a[k + 1] for k in (0, 2, 4)):
                return True
    return False


def _formula_inputs(
    kept: list[Path], frames: list[pd.DataFrame], catalog
) -> tuple[pd.DataFrame, set, set]:
    """The observations of the formulas' indicators (kept partitions first,
    in the order a full read has them), and the indicator and territory ids
    of all observations, without reading the kept partitions whole."""
    needed = _formula_indicators(catalog)
    parts, used_ids, used_territories = [], set(), set()
    if kept:
        # ids as dictionaries: the distinct values of each chunk's codes
        labels = ds.ParquetFileFormat(
            read_options=ds.ParquetReadOptions(dictionary_columns=[TERRITORY_ID])
        )
        table = ds.dataset([str(f) for f in kept], format=labels).to_table(
            columns=[TERRITORY_ID, INDICATOR_ID]
        )
        for name, into in ((INDICATOR_ID, used_ids), (TERRITORY_ID, used_territories)):
            for chunk in table.column(name).chunks:
                into.update(chunk.dictionary.take(pc.unique(chunk.indices)).to_pylist())
        inputs = ds.dataset([str(f) for f in kept], schema=OBSERVATION_SCHEMA).to_table(
            filter=ds.field(INDICATOR_ID).isin(sorted(needed))
        )
        frame = inputs.unify_dictionaries().to_pandas()
        frame[INDICATOR_ID] = frame[INDICATOR_ID].astype("category")
        parts.append(frame)
    for frame in frames:
        used_ids |= set(_present(frame[INDICATOR_ID]))
        used_territories |= set(_present(frame[TERRITORY_ID]))
        parts.append(frame[frame[INDICATOR_ID].isin(needed)])
    return _concat(parts), used_ids, used_territories


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Observations of several partitions in one frame. A column categorical
    in every frame stays categorical (the union of the categories: 12 M ids
    are not made strings); else categorical columns become strings first."""
    if not frames:
        return pd.DataFrame(
            columns=[TERRITORY_ID, YEAR, PERIOD, INDICATOR_ID, VALUE, SOURCE_ID]
        )
    for column in (TERRITORY_ID, PERIOD, INDICATOR_ID, SOURCE_ID):
        if any(column not in f.columns for f in frames):
            continue
        kinds = [isinstance(f[column].dtype, pd.CategoricalDtype) for f in frames]
        if all(kinds):
            categories = pd.Index(
                pd.unique(
                    np.concatenate(
                        [f[column].cat.categories.to_numpy(object) for f in frames]
                    )
                )
            )
            frames = [
                f.assign(**{column: f[column].cat.set_categories(categories)})
                for f in frames
            ]
        elif any(kinds):
            frames = [
                f.assign(**{column: f[column].astype(str)}) if kind else f
                for f, kind in zip(frames, kinds, strict=True)
            ]
    observations = pd.concat(frames, ignore_index=True)
    if not isinstance(observations[INDICATOR_ID].dtype, pd.CategoricalDtype):
        observations[INDICATOR_ID] = observations[INDICATOR_ID].astype(str)
    return observations


def _looks_like_dictionary(path: Path) -> bool:
    if path.suffix.lower() not in {".csv", ".txt", ".tsv"}:
        return False
    with open(path, "rb") as handle:
        head = handle.read(200).decode("utf-8", errors="ignore").lower()
    first = head.splitlines()[0] if head else ""
    return first.replace('"', "").replace(" ", "").lstrip("\ufeff") in (
        ",id,name",
        "id,name",
        "id;name",
    )


def _conflicts(observations: pd.DataFrame, sources: pd.DataFrame) -> tuple[int, list]:
    """Territory-indicator-years published by several files with different
    values: their number, and the first 50 with the value kept (the file of
    the highest priority, as :func:`analytics.store.open_store` resolves them)
    and the values set aside."""
    key = [TERRITORY_ID, INDICATOR_ID, YEAR, PERIOD]
    # Most runs have no key in two files: packed integer keys say so in a
    # fraction of the time of ``duplicated`` on three string columns.
    if observations.empty or not has_duplicate_keys(observations):
        return 0, []
    dup = observations[observations.duplicated(key, keep=False)]
    if dup.empty:
        return 0, []
    # Strings, as in a first run: a categorical id would order the examples
    # by its categories.
    dup = plain(dup).astype({INDICATOR_ID: str})
    spread = dup.groupby(key, observed=True)[VALUE].agg(["min", "max"])
    differ = spread[~np.isclose(spread["min"], spread["max"])]
    if differ.empty:
        return 0, []
    priority = dict(zip(sources[SOURCE_ID], sources["priority"], strict=True))
    path = dict(zip(sources[SOURCE_ID], sources["path"], strict=True))
    rows = dup.set_index(key).loc[differ.index[:50]].reset_index()
    rows = rows.assign(_p=rows[SOURCE_ID].map(priority).fillna(-1)).sort_values(
        [*key, "_p"], kind="stable"
    )
    examples = []
    for (t, i, y, _), group in rows.groupby(key, observed=True, sort=True):
        kept = group.iloc[-1]
        examples.append(
            {
                "territory_id": t,
                "indicator_id": i,
                "year": int(y),
                "min": float(group[VALUE].min()),
                "max": float(group[VALUE].max()),
                "kept_value": float(kept[VALUE]),
                "kept_file": path.get(kept[SOURCE_ID], kept[SOURCE_ID]),
                "other": [
                    {"file": path.get(r[SOURCE_ID], r[SOURCE_ID]), "value": r[VALUE]}
                    for r in group.iloc[:-1].to_dict("records")
                ],
            }
        )
    return len(differ), examples


def _indicator_table(
    catalog, rows: dict, previous: pd.DataFrame, used: set[str]
) -> pd.DataFrame:
    table = {}
    for entry in catalog.entries.values():
        codes = sorted(
            {
                s.get("code") or s.get("column") or s.get("name", "")
                for s in entry.sources
            }
        )
        table[entry.id] = {
            INDICATOR_ID: entry.id,
            "name_ru": entry.name_ru,
            "name_en": entry.name_en,
            "unit": entry.unit,
            "unit_en": entry.unit_en,
            "theme": entry.theme,
            "direction": entry.direction,
            "formula": json.dumps(entry.formula, ensure_ascii=False)
            if entry.formula
            else "",
            "in_catalog": True,
            "available": entry.available,
            "note_ru": entry.note_ru,
            "note_en": entry.note_en,
            "source_codes": "|".join(c for c in codes if c),
        }
    for prev in previous.to_dict("records"):
        if prev[INDICATOR_ID] not in table and prev[INDICATOR_ID] in used:
            table[prev[INDICATOR_ID]] = prev
    for indicator_id, row in rows.items():
        if indicator_id in table:
            continue
        table[indicator_id] = {
            INDICATOR_ID: indicator_id,
            "name_ru": row["name_ru"],
            "name_en": "",
            "unit": row["unit"],
            "unit_en": "",
            "theme": row["theme"],
            "direction": row["direction"],
            "formula": "",
            "in_catalog": False,
            "available": True,
            "note_ru": "",
            "note_en": "",
            "source_codes": "|".join(sorted(row["source_codes"])),
        }
    frame = pd.DataFrame(list(table.values()), columns=INDICATOR_COLUMNS)
    return (
        frame.sort_values(INDICATOR_ID)
        .reset_index(drop=True)
        .astype({"direction": "int64", "in_catalog": bool, "available": bool})
    )


def _territory_table(resolver, previous: pd.DataFrame, used: set[str]) -> pd.DataFrame:
    table = resolver.territories()
    if len(previous):
        learned = previous[
            ~previous[TERRITORY_ID].isin(table[TERRITORY_ID])
            & previous[TERRITORY_ID].isin(used)
        ]
        table = pd.concat(
            [table, learned[table.columns.intersection(learned.columns)]],
            ignore_index=True,
        )
    reference = table.level.isin(
        ["country", "federal_district", "region", "region_part"]
    )
    table = table[reference | table[TERRITORY_ID].isin(used)]
    agglomerations = REFERENCE_DIR / "agglomeration_members.csv"
    table = table.assign(agglomeration_id="", role="")
    if agglomerations.exists():
        members = pd.read_csv(agglomerations, dtype=str, keep_default_na=False)
        members = members.drop_duplicates(TERRITORY_ID).set_index(TERRITORY_ID)
        table["agglomeration_id"] = (
            table[TERRITORY_ID].map(members["agglomeration_id"]).fillna("")
        )
        table["role"] = table[TERRITORY_ID].map(members["role"]).fillna("")
    return (
        table[TERRITORY_COLUMNS]
        .fillna("")
        .astype(str)
        .sort_values(TERRITORY_ID)
        .reset_index(drop=True)
    )


def _agglomerations() -> pd.DataFrame:
    path = REFERENCE_DIR / "agglomerations.csv"
    if path.exists():
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in AGGLOMERATION_COLUMNS:
            if column not in frame:
                frame[column] = ""
        return frame[AGGLOMERATION_COLUMNS]
    return pd.DataFrame(columns=AGGLOMERATION_COLUMNS).astype(str)
