"""``python -m analytics.batch --store DIR --engine E --out FILE.parquet``.

E is numpy, duckdb or spark.

Every index of ``analytics.indices.summarize`` for every group of the store
(``--by indicator,year,agglomeration`` by default), written as one Parquet
file. Exit codes: 0 written, 2 bad usage or no store.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from analytics.batch import ENGINES, KEYS, key_columns, spark_session, summarize_store
from analytics.i18n import fmt_number
from analytics.store import StoreError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analytics.batch",
        description="Все индексы неравенства для каждой группы хранилища "
        "(показатель × год × агломерация) на numpy, DuckDB или Spark.",
    )
    parser.add_argument(
        "--store",
        required=True,
        metavar="DIR",
        help="папка хранилища (для Spark также URL: s3a://корзина/хранилище)",
    )
    parser.add_argument("--engine", choices=ENGINES, default="numpy", help="движок")
    parser.add_argument(
        "--out", type=Path, required=True, metavar="FILE.parquet", help="куда записать"
    )
    parser.add_argument(
        "--by",
        default="indicator,year,agglomeration",
        help="ключи группировки через запятую из: " + ", ".join(KEYS),
    )
    parser.add_argument(
        "--weighted",
        action="store_true",
        help="взвешивать по численности населения территории",
    )
    parser.add_argument(
        "--master",
        help="Spark: адрес мастера (spark://хост:7077, yarn, k8s://…); "
        "по умолчанию $SPARK_MASTER или local[*]",
    )
    parser.add_argument(
        "--conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Spark: параметр конфигурации; DuckDB: memory_limit=…, threads=…, "
        "temp_directory=…; можно повторить",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        keys = key_columns(args.by)
    except ValueError as error:
        parser.error(str(error))
    conf = {}
    for item in args.conf:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--conf ждёт КЛЮЧ=ЗНАЧЕНИЕ, получено «{item}»")
        conf[key.strip()] = value.strip()
    if args.engine != "spark" and "://" in args.store:
        parser.error("хранилище по URL читает только движок spark")
    started = time.perf_counter()
    spark = None
    try:
        if args.engine == "spark":
            spark = spark_session(args.master, conf)
        table = summarize_store(
            args.store,
            engine=args.engine,
            by=keys,
            weighted=args.weighted,
            spark=spark,
            duckdb_config=conf if args.engine == "duckdb" else None,
        )
    except StoreError as error:
        print(f"Ошибка: {error}", file=sys.stderr)
        return 2
    finally:
        if spark is not None:
            spark.stop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(args.out, index=False)
    seconds = fmt_number(time.perf_counter() - started, "ru", digits=1)
    groups = fmt_number(len(table), "ru")
    print(f"{args.engine}: {groups} групп за {seconds} с → {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
