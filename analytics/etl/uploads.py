"""Files uploaded from the app: checked, loaded into a staging copy, compared
with the live store, and only then put into the raw folder and loaded.

No Streamlit here: the Data & quality page calls these functions.

Safety rules:

* a file's type is judged by its content, never by its name: xlsx is a zip
  with ``[Content_Types].xml`` and ``xl/workbook.xml``; xls an OLE2 compound
  file (``D0 CF 11 E0``); CSV text decodable as UTF-8 or cp1251, without NUL
  bytes or other control characters;
* size (``$AGGLO_MAX_UPLOAD_MB``, 50 by default) and number (:data:`MAX_FILES`)
  are limited;
* a name is reduced to a safe base name (no folders, no ``..``, no control
  characters, no leading dot, limited length), and the final path is checked
  to lie inside the uploads folder;
* nothing from a file is executed or unpickled: the files go through the
  ETL's readers (calamine, the CSV parser), nothing else.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.etl.pipeline import EtlReport, file_hash, run_etl
from analytics.etl.readers.base import _env_int
from analytics.etl.writer import previous_version, store_lock
from analytics.filenames import base_name, path_inside, safe_file_name
from analytics.store import (
    CURRENT,
    INDICATOR_ID,
    TERRITORY_ID,
    VALUE,
    VERSIONS,
    YEAR,
    Store,
    current_version_dir,
)

MAX_FILES = 20
MAX_NAME_BYTES = 180  # of the UTF-8 name; file systems allow 255
ALLOWED_SUFFIXES = (".xlsx", ".xls", ".csv")
UPLOADS = "uploads"
STAGING = ".staging"  # hidden: the ETL never reads it as raw data

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class UploadError(ValueError):
    """An upload refused; the message (Russian) names the file."""


def max_upload_bytes() -> int:
    """``$AGGLO_MAX_UPLOAD_MB`` (default 50) in bytes."""
    return _env_int("AGGLO_MAX_UPLOAD_MB", 50) << 20


def raw_root() -> Path:
    """The raw folder the app's store is built from: ``$AGGLO_RAW`` or
    ``datasets/raw``."""
    return Path(os.environ.get("AGGLO_RAW", "datasets/raw"))


def safe_name(name: str) -> str:
    """A base name that is safe to create in the uploads folder.

    >>> safe_name("../../etc/passwd.csv")
    'passwd.csv'
    >>> safe_name("C:\\\\Users\\\\x\\\\Данные 2023.XLSX")
    'Данные 2023.xlsx'
    >>> safe_name(".hidden\\x00.csv")
    'hidden.csv'
    """
    base = base_name(name).strip()
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in ALLOWED_SUFFIXES:
        raise UploadError(
            f"«{base[:80]}»: допустимы только файлы xlsx, xls и csv"
            if base
            else "файл без имени"
        )
    return safe_file_name(
        stem,
        suffix,
        keep_spaces=True,
        collapse=False,
        strip=". ",
        max_chars=None,
        max_bytes=MAX_NAME_BYTES,
        fallback="upload",
    )


def target_path(directory: Path, name: str) -> Path:
    """``directory / safe_name(name)``, resolved, refused unless inside
    ``directory`` (symbolic links included)."""
    path = path_inside(directory, safe_name(name))
    if path is None:
        raise UploadError(f"«{name[:80]}»: путь выходит за папку загрузок")
    return path


def sniff_type(data: bytes) -> str | None:
    """ "xlsx", "xls" or "csv" by content; None for anything else."""
    if data.startswith(_OLE2):
        return "xls"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(BytesIO(data)) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if {"[Content_Types].xml", "xl/workbook.xml"} <= names:
            return "xlsx"
        return None
    if b"\x00" in data:
        return None
    text = None
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None or not text.strip():
        return None
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
    return "csv" if controls == 0 else None


@dataclass(frozen=True)
class Upload:
    """An upload that passed the checks."""

    name: str  # safe name, suffix matching the content
    kind: str  # xlsx / xls / csv
    data: bytes = field(repr=False)
    original: str = ""
    note: str = ""


def check_upload(name: str, data: bytes, *, max_bytes: int | None = None) -> Upload:
    """Check one upload; raise :class:`UploadError` with the reason."""
    limit = max_upload_bytes() if max_bytes is None else max_bytes
    safe = safe_name(name)
    if len(data) > limit:
        raise UploadError(
            f"{safe}: {len(data) / 2**20:.1f} МБ — больше предела "
            f"{limit / 2**20:.0f} МБ"
        )
    if not data:
        raise UploadError(f"{safe}: файл пуст")
    kind = sniff_type(data)
    if kind is None:
        raise UploadError(
            f"{safe}: содержимое не похоже ни на книгу Excel (xlsx, xls), ни на "
            "текст CSV в UTF-8 или cp1251"
        )
    stem, suffix = safe.rsplit(".", 1)
    note = ""
    if suffix != kind:
        if "csv" in (suffix, kind):
            raise UploadError(
                f"{safe}: расширение .{suffix}, а по содержимому это {kind}"
            )
        note = f"по содержимому это .{kind}, файл переименован"
        safe = f"{stem}.{kind}"
    return Upload(name=safe, kind=kind, data=data, original=str(name), note=note)


def check_uploads(
    files: Iterable[tuple[str, bytes]], *, max_bytes: int | None = None
) -> tuple[list[Upload], list[tuple[str, str]]]:
    """Check several uploads: (accepted, [(name, reason), …] refused)."""
    accepted: list[Upload] = []
    refused: list[tuple[str, str]] = []
    for index, (name, data) in enumerate(files):
        if index >= MAX_FILES:
            refused.append((name, f"больше {MAX_FILES} файлов за раз"))
            continue
        try:
            upload = check_upload(name, data, max_bytes=max_bytes)
        except UploadError as error:
            refused.append((name, str(error)))
            continue
        if any(u.name == upload.name for u in accepted):
            refused.append((name, f"{upload.name}: файл с таким именем уже выбран"))
            continue
        accepted.append(upload)
    return accepted, refused


# ------------------------------------------------------------------ staging


@dataclass
class Staging:
    """A candidate store built from the raw folder plus the uploads."""

    root: Path
    raw: Path
    store: Path
    uploads: list[Upload]
    report: EtlReport
    replaces: list[str]  # uploads that overwrite a file already in uploads/

    def loaded(self) -> list[Upload]:
        """The uploads the ETL did not reject (only these are committed)."""
        status = {f.path: f.status for f in self.report.files}
        return [
            u
            for u in self.uploads
            if status.get(f"{UPLOADS}/{u.name}") not in (None, "rejected")
        ]


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _mirror(raw: Path, target: Path) -> None:
    """Hard-link every visible file of ``raw`` into ``target`` (the ETL only
    reads them; replacing a link never touches the original)."""
    for folder, dirs, names in os.walk(raw):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if name.startswith("."):
                continue
            source = Path(folder) / name
            _link_or_copy(source, target / source.relative_to(raw))


def _seed_store(store: Path, target: Path) -> None:
    """A copy of the live version (hard links), so that the staging run
    reuses unchanged partitions instead of reading every file again."""
    live = current_version_dir(store)
    target.mkdir(parents=True, exist_ok=True)
    if live is None:
        return
    for path in live.rglob("*"):
        if path.is_file():
            _link_or_copy(path, target / VERSIONS / live.name / path.relative_to(live))
    (target / CURRENT).write_text(live.name, encoding="utf-8")


def stage(
    uploads: list[Upload],
    *,
    store: Path,
    raw: Path | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> Staging:
    """Build the store the uploads would give, beside the live one.

    The staging folder lies inside the raw folder (``.staging/``, which the
    ETL skips), so uploaded bytes never leave the data directory.
    """
    raw = Path(raw or raw_root())
    raw.mkdir(parents=True, exist_ok=True)
    parent = raw / STAGING
    parent.mkdir(exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="upload-", dir=parent))
    mirror = root / "raw"
    mirror.mkdir()
    _mirror(raw, mirror)
    replaces = []
    (mirror / UPLOADS).mkdir(exist_ok=True)
    for upload in uploads:
        path = target_path(mirror / UPLOADS, upload.name)
        if path.exists():
            replaces.append(upload.name)
            path.unlink()  # a link to the original: the original stays
        path.write_bytes(upload.data)
    staging_store = root / "store"
    _seed_store(Path(store), staging_store)
    try:
        report = run_etl([mirror], staging_store, on_progress=on_progress)
    except Exception:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return Staging(root, mirror, staging_store, uploads, report, replaces)


def discard(staging: Staging) -> None:
    shutil.rmtree(staging.root, ignore_errors=True)


#: Earlier contents of replaced uploads, by content hash (hidden: the ETL
#: skips it), so that a revert can put them back.
HISTORY = ".uploads-history"
#: Uploads taken out of the raw folder by a revert (hidden, kept for a manual
#: undo; :func:`clear_stale_staging` does not touch it).
REVERTED = ".reverted"


def _keep_history(path: Path, raw: Path) -> None:
    """Keep the content of an upload about to be replaced, under its hash."""
    if not path.is_file():
        return
    kept = raw / HISTORY / file_hash(path)
    if not kept.exists():
        _link_or_copy(path, kept)


def commit(
    staging: Staging,
    *,
    store: Path,
    raw: Path | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> EtlReport:
    """Put the loaded uploads into ``raw/uploads/`` and run the ETL on the
    real store (which keeps the version it replaces, for restore)."""
    raw = Path(raw or raw_root())
    folder = raw / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    for upload in staging.loaded():
        path = target_path(folder, upload.name)
        _keep_history(path, raw)
        part = path.with_name(f".{path.name}.part")  # hidden until complete
        part.write_bytes(upload.data)
        os.replace(part, path)
    try:
        return run_etl([raw], Path(store), on_progress=on_progress)
    finally:
        discard(staging)


def revert(store: Path, raw: Path | None = None) -> str:
    """«Вернуть предыдущую версию»: the previous store version made live again,
    and ``uploads/`` of the raw folder put back as that version read it, so
    that the next ETL run finds the same inputs and keeps that version.

    Uploads the live version loaded and the previous one did not are moved to
    ``.reverted/`` (hidden; the ETL skips it); uploads it replaced get their
    earlier content back from ``.uploads-history/``. Files put into the raw
    folder by hand are not touched. Returns the name of the version restored.
    Raises :class:`FileNotFoundError` when there is no previous version and
    :class:`~analytics.etl.writer.StoreLockedError` while an ETL run holds
    the store.
    """
    store, raw = Path(store), Path(raw or raw_root())
    with store_lock(store):
        name = previous_version(store)
        live = current_version_dir(store)
        if name is None or live is None:
            raise FileNotFoundError("Предыдущей версии хранилища нет.")
        before = _upload_sources(store / VERSIONS / name)
        now = _upload_sources(live)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        for rel in sorted(set(now) - set(before)):
            path = raw / rel
            if path.is_file():
                aside = raw / REVERTED / stamp / rel
                aside.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, aside)
        for rel, digest in sorted(before.items()):
            path = raw / rel
            if path.is_file() and file_hash(path) == digest:
                continue
            kept = raw / HISTORY / digest
            if kept.is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                part = path.with_name(f".{path.name}.part")
                shutil.copy2(kept, part)
                os.replace(part, path)
        pointer = store / f"{CURRENT}.tmp"
        pointer.write_text(name, encoding="utf-8")
        os.replace(pointer, store / CURRENT)
    return name


def _upload_sources(version: Path) -> dict[str, str]:
    """Upload paths (``uploads/…``) a version was built from → content hash."""
    sources = pd.read_parquet(
        version / "sources.parquet", columns=["source_id", "path"]
    )
    return {
        path: digest
        for digest, path in zip(sources.source_id, sources.path, strict=True)
        if str(path).replace("\\", "/").startswith(f"{UPLOADS}/")
    }


def clear_stale_staging(raw: Path | None = None, older_than: float = 86400) -> int:
    """Remove staging folders older than ``older_than`` seconds."""
    import time

    parent = Path(raw or raw_root()) / STAGING
    removed = 0
    for path in parent.glob("upload-*") if parent.is_dir() else []:
        if time.time() - path.stat().st_mtime > older_than:
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed


# --------------------------------------------------------------------- diff


@dataclass
class StoreDiff:
    """What a new store changes against the old one (resolved observations)."""

    added: int
    removed: int
    new_indicators: list[str]
    new_years: list[int]
    new_indicator_years: pd.DataFrame  # indicator_id, years added for it
    revised: pd.DataFrame  # territory_id, indicator_id, year, old, new
    dropped: pd.DataFrame  # territory_id, indicator_id, year, old

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or len(self.revised))


_KEY = [TERRITORY_ID, INDICATOR_ID, YEAR]


def diff_stores(old: Store | None, new: Store, *, rtol: float = 1e-9) -> StoreDiff:
    """Observations added, removed and revised from ``old`` to ``new``.

    A value is *revised* when both stores hold the key and the values differ
    beyond ``rtol``; new indicators and years are those ``old`` has nowhere.
    """
    columns = [*_KEY, VALUE]
    new_obs = new.observations[columns].astype({INDICATOR_ID: str})
    old_obs = (
        old.observations[columns].astype({INDICATOR_ID: str})
        if old is not None
        else new_obs.iloc[0:0]
    )
    merged = old_obs.merge(
        new_obs, on=_KEY, how="outer", suffixes=("_old", "_new"), indicator=True
    )
    added = merged[merged._merge == "right_only"]
    dropped = merged[merged._merge == "left_only"]
    both = merged[merged._merge == "both"]
    differ = ~np.isclose(
        both.value_old.to_numpy(float),
        both.value_new.to_numpy(float),
        rtol=rtol,
        atol=0.0,
        equal_nan=True,
    )
    revised = (
        both[differ]
        .rename(columns={"value_old": "old", "value_new": "new"})[[*_KEY, "old", "new"]]
        .sort_values(_KEY)
        .reset_index(drop=True)
    )
    old_pairs = set(zip(old_obs[INDICATOR_ID], old_obs[YEAR], strict=True))
    pairs = added[[INDICATOR_ID, YEAR]].drop_duplicates()
    fresh = np.array(
        [
            (i, y) not in old_pairs
            for i, y in zip(pairs[INDICATOR_ID], pairs[YEAR], strict=True)
        ],
        dtype=bool,
    )
    pairs = pairs[fresh]
    new_indicator_years = (
        pairs.sort_values([INDICATOR_ID, YEAR])
        .groupby(INDICATOR_ID)[YEAR]
        .agg(lambda years: ", ".join(str(int(y)) for y in years))
        .rename("years")
        .reset_index()
    )
    return StoreDiff(
        added=len(added),
        removed=len(dropped),
        new_indicators=sorted(set(new_obs[INDICATOR_ID]) - set(old_obs[INDICATOR_ID])),
        new_years=sorted(
            int(y) for y in set(new_obs[YEAR]) - set(old_obs[YEAR].astype(int))
        ),
        new_indicator_years=new_indicator_years,
        revised=revised,
        dropped=dropped.rename(columns={"value_old": "old"})[[*_KEY, "old"]]
        .sort_values(_KEY)
        .reset_index(drop=True),
    )


# ------------------------------------------------------ tables for the page


def file_table(report: EtlReport, lang: str = "ru") -> pd.DataFrame:
    """One row per file of an ETL report: status, counts, reason."""
    status = {
        "ru": {
            "loaded": "загружен",
            "unchanged": "без изменений",
            "rejected": "отклонён",
        },
        "en": {"loaded": "loaded", "unchanged": "unchanged", "rejected": "rejected"},
    }[lang]
    rows = [
        {
            "file": f.path,
            "status": status.get(f.status, f.status),
            "observations": f.observations,
            "rejected": f.rejected,
            "unmatched": len(f.unmatched),
            "reason": f.error or "; ".join(f.reject_examples),
        }
        for f in report.files
    ]
    return pd.DataFrame(
        rows,
        columns=["file", "status", "observations", "rejected", "unmatched", "reason"],
    )


def unmatched_table(report: EtlReport) -> pd.DataFrame:
    rows = [
        {"file": f.path, "territory": name}
        for f in report.files
        for name in f.unmatched
    ]
    return pd.DataFrame(rows, columns=["file", "territory"])


def conflict_table(report: EtlReport) -> pd.DataFrame:
    rows = [
        {
            "territory_id": c["territory_id"],
            "indicator_id": c["indicator_id"],
            "year": c["year"],
            "kept_value": c["kept_value"],
            "kept_file": c["kept_file"],
            "other": "; ".join(f"{o['value']:g} ({o['file']})" for o in c["other"]),
        }
        for c in report.conflict_examples
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "territory_id",
            "indicator_id",
            "year",
            "kept_value",
            "kept_file",
            "other",
        ],
    )


__all__ = [
    "MAX_FILES",
    "Staging",
    "StoreDiff",
    "Upload",
    "UploadError",
    "check_upload",
    "check_uploads",
    "clear_stale_staging",
    "commit",
    "conflict_table",
    "diff_stores",
    "discard",
    "file_table",
    "max_upload_bytes",
    "raw_root",
    "revert",
    "safe_name",
    "sniff_type",
    "stage",
    "target_path",
    "unmatched_table",
]
