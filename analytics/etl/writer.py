"""Writing a store version aside and swapping it in (see :mod:`analytics.store`)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.store import (
    CURRENT,
    OBSERVATION_COLUMNS,
    OBSERVATION_SCHEMA,
    VERSIONS,
    current_version_dir,
)

KEEP_VERSIONS = 2  # the live one and the previous one (for «restore»)


class StoreLockedError(RuntimeError):
    pass


@contextlib.contextmanager
def store_lock(store: Path, *, wait: bool = False) -> Iterator[None]:
    """An exclusive lock on the store folder, so two ETL runs never interleave.

    The holder writes its process id and start time into ``.lock``; a run
    that finds the store locked says who holds it (and fails at once unless
    ``wait``).
    """
    store.mkdir(parents=True, exist_ok=True)
    # "a+": opening must not truncate what the holder wrote.
    handle = open(store / ".lock", "a+", encoding="utf-8")  # noqa: SIM115
    try:
        flags = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
        try:
            fcntl.flock(handle, flags)
        except BlockingIOError as error:
            handle.seek(0)
            holder = handle.read().strip()
            raise StoreLockedError(
                f"Хранилище {store} сейчас обновляет другой запуск ETL"
                + (f" ({holder})" if holder else "")
                + "; этот запуск ничего не изменил — дождитесь окончания того "
                "и повторите."
            ) from error
        handle.seek(0)
        handle.truncate()
        handle.write(
            f"процесс {os.getpid()}, начат "
            f"{datetime.now().astimezone().isoformat(timespec='seconds')}"
        )
        handle.flush()
        yield
    finally:
        handle.close()


def write_partition(frame: pd.DataFrame, file: Path) -> None:
    """One source's observations as Parquet. Categorical columns are written
    from their codes (as a string, or a dictionary of the values in order of
    first appearance, as a column of strings would be)."""
    categorical = {
        c
        for c in OBSERVATION_COLUMNS
        if isinstance(frame[c].dtype, pd.CategoricalDtype)
    }
    plain = [c for c in OBSERVATION_COLUMNS if c not in categorical]
    table = pa.Table.from_pandas(
        frame[plain],
        schema=pa.schema([OBSERVATION_SCHEMA.field(c) for c in plain]),
        preserve_index=False,
    )
    columns = []
    for field in OBSERVATION_SCHEMA:
        if field.name not in categorical:
            columns.append(table.column(field.name))
            continue
        series = frame[field.name]
        strings = pa.array(series.cat.categories.to_numpy(object), pa.string()).take(
            pa.array(series.cat.codes.to_numpy())
        )
        if pa.types.is_dictionary(field.type):
            strings = strings.dictionary_encode()
        columns.append(strings)
    table = pa.Table.from_arrays(columns, schema=OBSERVATION_SCHEMA)
    pq.write_table(table, file, compression="zstd")


class PartitionWriter:
    """Writes new partitions in the background while the run reads the next
    files (Parquet encoding releases the GIL), into a folder beside the
    versions; :func:`write_version` moves them into the version it builds.
    On leaving, whatever was not moved is deleted (a failed run or a run that
    writes no version leaves nothing)."""

    def __init__(self, store: Path) -> None:
        self.folder = store / VERSIONS / f".v-partitions-{os.getpid()}.tmp"
        self._pool: ThreadPoolExecutor | None = None
        self._files: dict[str, tuple[Path, Future]] = {}

    def __enter__(self) -> PartitionWriter:
        return self

    def write(self, source_id: str, frame: pd.DataFrame) -> None:
        if self._pool is None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True)
            self._pool = ThreadPoolExecutor(max_workers=1)
        file = self.folder / f"{source_id}.parquet"
        if source_id not in self._files:
            self._files[source_id] = (
                file,
                self._pool.submit(write_partition, frame, file),
            )

    def finish(self) -> dict[str, Path]:
        """The partitions written, once all are on disk."""
        for _, future in self._files.values():
            future.result()
        return {source_id: file for source_id, (file, _) in self._files.items()}

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            shutil.rmtree(self.folder, ignore_errors=True)


def _write_table(frame: pd.DataFrame, file: Path) -> None:
    pq.write_table(
        pa.Table.from_pandas(frame, preserve_index=False), file, compression="zstd"
    )


def _next_version(store: Path) -> str:
    numbers = [
        int(m.group(1))
        for p in (store / VERSIONS).glob("v*")
        if (m := re.fullmatch(r"v(\d+)", p.name))
    ]
    return f"v{max(numbers, default=0) + 1:05d}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_version(
    store: Path,
    *,
    new_partitions: dict[str, pd.DataFrame],
    reused_partitions: list[str],
    tables: dict[str, pd.DataFrame],
    written: dict[str, Path] | None = None,
) -> str:
    """Write a complete version beside the live one and make it live.

    ``reused_partitions`` are source ids whose partition is taken unchanged
    from the live version (hard-linked); ``written`` are new partitions
    already written (:class:`PartitionWriter`), moved in.
    """
    written = written or {}
    previous = current_version_dir(store)
    name = _next_version(store)
    staging = store / VERSIONS / f".{name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "observations").mkdir(parents=True)
    # dict.fromkeys: two raw files with the same content share one partition.
    for source_id in dict.fromkeys(reused_partitions):
        old = previous / "observations" / f"{source_id}.parquet"
        new = staging / "observations" / f"{source_id}.parquet"
        if not old.exists():  # sources without values (dictionaries)
            continue
        try:
            os.link(old, new)
        except OSError:
            shutil.copy2(old, new)
    # Parquet encoding and compression release the GIL: one file per core.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        pending = []
        for sid, frame in new_partitions.items():
            file = staging / "observations" / f"{sid}.parquet"
            if sid in written:
                os.replace(written[sid], file)
            else:
                pending.append(pool.submit(write_partition, frame, file))
        for future in pending:
            future.result()
    for table_name, frame in tables.items():
        _write_table(frame, staging / f"{table_name}.parquet")
    _fsync_dir(staging / "observations")
    _fsync_dir(staging)
    final = store / VERSIONS / name
    os.replace(staging, final)
    pointer_tmp = store / f"{CURRENT}.tmp"
    pointer_tmp.write_text(name, encoding="utf-8")
    with open(pointer_tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(pointer_tmp, store / CURRENT)
    _fsync_dir(store)
    prune_versions(store)
    return name


def prune_versions(store: Path, keep: int = KEEP_VERSIONS) -> None:
    """Delete old versions and leftovers of interrupted runs."""
    live = current_version_dir(store)
    versions = sorted(p for p in (store / VERSIONS).glob("v*") if p.is_dir())
    for path in versions[:-keep]:
        if live is None or path != live:
            shutil.rmtree(path, ignore_errors=True)
    for path in (store / VERSIONS).glob(".v*.tmp"):
        shutil.rmtree(path, ignore_errors=True)


def previous_version(store: Path) -> str | None:
    live = current_version_dir(store)
    names = sorted(p.name for p in (store / VERSIONS).glob("v*") if p.is_dir())
    if live is None or live.name not in names:
        return None
    index = names.index(live.name)
    return names[index - 1] if index > 0 else None


def restore_previous(store: Path) -> str:
    """Make the previous version live again; returns its name."""
    with store_lock(store):
        name = previous_version(store)
        if name is None:
            raise FileNotFoundError("Предыдущей версии хранилища нет.")
        pointer_tmp = store / f"{CURRENT}.tmp"
        pointer_tmp.write_text(name, encoding="utf-8")
        os.replace(pointer_tmp, store / CURRENT)
        return name
