"""``python -m analytics.etl --raw DIR --store DIR [--report FILE.json]``.

Exit codes: 0 when every file loaded, 1 when some file was rejected (the rest
loaded, the reasons printed), 2 for bad usage, a store locked by another run
or a store that cannot be written (read-only, disk full): the previous
version then stays live.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from pathlib import Path

from tqdm import tqdm

from analytics.escape import console
from analytics.etl.pipeline import run_etl
from analytics.etl.readers import LayoutError
from analytics.etl.writer import StoreLockedError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analytics.etl",
        description="Загрузить файлы Росстата (БД ПМО, ЕМИСС, «Регионы России», "
        "книги с сайта Росстата, CSV по шаблону) в хранилище Parquet.",
    )
    parser.add_argument(
        "--raw",
        type=Path,
        action="append",
        required=True,
        metavar="DIR",
        help="папка (или файл) с исходными данными; можно повторить",
    )
    parser.add_argument(
        "--store",
        type=Path,
        required=True,
        metavar="DIR",
        help="папка хранилища (будет создана)",
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="FILE.json",
        help="записать отчёт о загрузке в JSON",
    )
    parser.add_argument("--quiet", action="store_true", help="без индикатора хода")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for raw in args.raw:
        if not raw.exists():
            parser.error(f"нет такой папки или файла: {raw}")
    # A bar redrawn in place on a terminal; one plain line per file when the
    # output goes to a log or a pipe (carriage returns there garble into one
    # long line).
    interactive = sys.stderr.isatty()
    bar = (
        tqdm(total=0, unit="файл", file=sys.stderr, dynamic_ncols=True)
        if interactive and not args.quiet
        else None
    )

    def progress(done: int, total: int, name: str) -> None:
        if args.quiet:
            return
        if bar is None:
            if name:
                print(
                    console(f"[{done + 1}/{total}] {name}"), file=sys.stderr, flush=True
                )
            return
        bar.total = total
        bar.n = done
        bar.set_description(console(name[-40:]) if name else "готово")
        bar.refresh()

    try:
        report = run_etl(args.raw, args.store, on_progress=progress)
    except (StoreLockedError, LayoutError) as error:  # locked store, bad pins.yaml
        print(console(f"Ошибка: {error}"), file=sys.stderr)
        return 2
    except OSError as error:
        print(console(store_error(error, args.store)), file=sys.stderr)
        return 2
    except Exception as error:  # a defect: a message, not a traceback
        if os.environ.get("AGGLO_DEBUG"):
            raise
        print(
            console(
                f"Ошибка: загрузка прервана внутренней ошибкой "
                f"({type(error).__name__}: {error}). Хранилище {args.store} "
                "осталось прежним; подробности: AGGLO_DEBUG=1."
            ),
            file=sys.stderr,
        )
        return 2
    finally:
        if bar is not None:
            bar.close()
    print(report.summary_table())
    if args.report:
        try:
            args.report.parent.mkdir(parents=True, exist_ok=True)
            args.report.write_text(report.to_json(), encoding="utf-8")
        except OSError as error:
            print(
                console(f"Ошибка: отчёт {args.report} не записан: {_why(error)}"),
                file=sys.stderr,
            )
            return 2
    return report.exit_code


def _why(error: OSError) -> str:
    """What an operating-system error means, in Russian."""
    reasons = {
        errno.EROFS: "файловая система только для чтения",
        errno.EACCES: "нет прав на запись",
        errno.EPERM: "нет прав на запись",
        errno.ENOSPC: "на диске нет места",
        errno.EDQUOT: "исчерпана дисковая квота",
        errno.ENOENT: "папка или файл не найдены",
    }
    reason = reasons.get(error.errno, error.strerror or type(error).__name__)
    return reason + (f" ({error.filename})" if error.filename else "")


def store_error(error: OSError, store: Path) -> str:
    """The message of a run that could not write (or read) the store."""
    return (
        f"Ошибка: хранилище {store} не обновлено — {_why(error)}. "
        "Действующая версия хранилища осталась прежней; освободите место или "
        "выберите папку, доступную для записи, и повторите."
    )


if __name__ == "__main__":
    sys.exit(main())
