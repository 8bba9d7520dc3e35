"""Raw inputs at full Russian scale for the ETL benchmark (issue 9).

    .venv/bin/python bench/make_scale.py [--municipalities 2600] [--indicators 300]
        [--years 15] [--layout both|panel|tidy|mirror] [--out /tmp/agglo_scale]
        [--seed 9]

Writes, under ``OUT/m{municipalities}_i{indicators}_y{years}/``:

``panel/``
    The БД ПМО layout the ETL reads (:mod:`analytics.etl.readers.tables`):
    ``bdmo_dictionary.csv`` (``id, name``) and one wide panel per federal
    subject, ``bdmo_panel_RU-XXX.csv`` (``oktmo, year, name, t8013001_1, …``),
    as БД ПМО exports are usually downloaded subject by subject.
``tidy/``
    The project's tidy template (``territory, year, indicator, value, unit``),
    one file per year, split further into indicator blocks so that no file
    exceeds the reader's row limit (1 000 000 rows, ``$AGGLO_MAX_ROWS``).

``mirror/`` (``--layout mirror`` only, not part of ``both``)
    The public БД ПМО mirror's shape («Муниципальная статистика России с 2005
    года»), read by :mod:`analytics.etl.readers.bdmo_mirror`: one zip per
    indicator (``<code>.zip`` holding ``<code>.csv``), ``;``-separated UTF-8,
    columns ``region_id;mun_level;municipality;oktmo;mun_type;year;`` then a
    breakdown column for two indicators in three (``okved2``: the total
    «Всего» and 6 industry sections; ``mest``: «Всего», urban and rural
    settlements) and ``indicator_value``. Municipalities of both levels
    (``mun_level`` 1: okrugs and districts, 2: settlements of the districts,
    the ``--municipalities 20000`` variant). Values are written indicator by
    indicator and streamed into the zip, so the generator's memory does not
    grow with the number of indicators; a breakdown's parts sum to its total.

The panel and tidy layouts hold the same values: municipalities × indicators × years, no
gaps (so every value must reach the store: 2 600 × 300 × 15 = 11.7 M).

Territories: every member of a real agglomeration
(``datasets/reference/agglomeration_members.csv``) so that agglomerations are
matched, the rest synthetic but plausible 8-digit OKTMO codes of first-level
municipalities (``RR K NN 000``: subject, kind 5/6/7 = municipal okrug /
municipal district / urban okrug, number) in the 82 subjects with a two-digit
OKTMO prefix. Beyond the ~24 000 first-level codes that scheme allows (the
``--municipalities 20000`` variant needs more than Russia has first-level
ones) settlements of those districts are added (``RR 6 NN SSS``).

Indicators: every catalog indicator that БД ПМО publishes by code or that a
panel carries as a known column (``datasets/reference/indicators.yaml``, one
code each), the rest synthetic БД ПМО codes named in the dictionary (panel) or
free names with a unit (tidy). The ETL loads unknown indicators under an id
made from their name, so all of them land in the store.

Values are SYNTHETIC (seeded, deterministic: same arguments, same bytes),
positive, with magnitudes that follow a lognormal population.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import yaml

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "datasets" / "reference"
DEFAULT_OUT = Path("/tmp/agglo_scale")
SEED = 9
FIRST_YEAR = 2009
#: Rows per tidy file at most (the reader refuses more than 1 000 000).
TIDY_ROWS_PER_FILE = 800_000
#: Subjects whose municipalities are not generated: the federal cities (their
#: members are intra-city territories, not first-level municipalities).
SKIP_PREFIXES = {"40", "45", "67"}

# How a published unit scales with population (value ≈ population × factor),
# or a level independent of it (per-capita and per-10 000 figures, wages).
_MAGNITUDE = {
    "чел.": ("pop", 0.005, 0.3, 0),
    "ед.": ("pop", 1e-4, 5e-4, 0),
    "мест": ("pop", 0.02, 0.05, 0),
    "тыс. руб.": ("pop", 2.0, 60.0, 1),
    "руб.": ("level", 20_000.0, 80_000.0, 1),
    "руб. на жителя": ("level", 500.0, 5_000.0, 1),
    "чел. на 10 000 жителей": ("level", 20.0, 120.0, 1),
    "%": ("level", 1.0, 99.0, 1),
}
POPULATION_CODES = {"t8112027_11", "t8112013"}
_SYNTHETIC_UNITS = ["тыс. руб.", "тыс. руб.", "чел.", "ед.", "руб.", "%"]


def catalog_indicators() -> list[dict]:
    """Catalog indicators a БД ПМО panel carries: one code (or known column)
    per catalog entry, with its published unit."""
    data = yaml.safe_load((REFERENCE / "indicators.yaml").read_text("utf-8"))
    found = []
    for item in data["indicators"]:
        for src in item.get("sources", ()):
            if "code" in src or "column" in src:
                found.append(
                    {
                        "code": src.get("code") or src["column"],
                        "catalog_id": item["id"],
                        "name": item["name_ru"],
                        "unit": src.get("unit", item["unit"]),
                        "catalog_unit": item["unit"],
                    }
                )
                break
    return found


def indicators(count: int, rng: np.random.Generator) -> pd.DataFrame:
    """``count`` indicators: the catalog's first, then synthetic БД ПМО codes."""
    known = catalog_indicators()[:count]
    taken = {k["code"] for k in known}
    rows = list(known)
    numbers = rng.permutation(np.arange(8_500_000, 8_999_999))
    i = 0
    while len(rows) < count:
        number = int(numbers[i])
        i += 1
        code = f"t{number}_{1 + number % 40}"
        if code in taken:
            continue
        taken.add(code)
        n = len(rows) - len(known) + 1
        unit = _SYNTHETIC_UNITS[number % len(_SYNTHETIC_UNITS)]
        rows.append(
            {
                "code": code,
                "catalog_id": "",
                "name": f"Синтетический показатель {n:03d}",
                "unit": unit,
                "catalog_unit": "",
            }
        )
    return pd.DataFrame(rows)


def _members() -> pd.DataFrame:
    members = pd.read_csv(
        REFERENCE / "agglomeration_members.csv", dtype=str, keep_default_na=False
    )
    return members.drop_duplicates("territory_id")[["territory_id", "name_ru"]]


def _prefixes() -> list[tuple[str, str]]:
    regions = pd.read_csv(REFERENCE / "regions.csv", dtype=str, keep_default_na=False)
    regions = regions[
        (regions.level == "region")
        & (regions.status == "active")
        & (regions.oktmo.str.len() == 8)
    ]
    out = []
    for row in regions.itertuples(index=False):
        prefix = row.oktmo.rstrip("0").ljust(2, "0")
        if len(prefix) == 2:
            out.append((prefix, row.territory_id))
    return sorted(out)


_KIND_NAME = {
    "5": "муниципальный округ",
    "6": "муниципальный район",
    "7": "городской округ",
}


def territories(count: int, first_level_max: int | None = None) -> pd.DataFrame:
    """``count`` territories: real agglomeration members, then synthetic
    first-level municipalities spread over the subjects round-robin (at most
    ``first_level_max`` first-level ones in all), then settlements of the
    synthetic districts. Columns ``oktmo, name, region``."""
    members = _members()
    region_of = dict(_prefixes())
    prefixes = [(p, r) for p, r in region_of.items() if p not in SKIP_PREFIXES]
    real = members.head(count)
    taken = set(real.territory_id)
    rows = [
        (code, name, region_of.get(code[:2], "RU-" + code[:2]))
        for code, name in zip(real.territory_id, real.name_ru, strict=True)
    ]
    first_level = []
    for number in range(1, 100):
        for kind in "657":
            for prefix, region in prefixes:
                code = f"{prefix}{kind}{number:02d}000"
                if code not in taken:
                    first_level.append((code, kind, region))
    need = count - len(rows)
    if first_level_max is not None:
        need = min(need, max(first_level_max - len(rows), 0))
    for code, kind, region in first_level[:need]:
        rows.append((code, f"Синтетический {_KIND_NAME[kind]} {code}", region))
    districts = [(c, r) for c, k, r in first_level[: max(need, 0)] if k == "6"]
    need = count - len(rows)
    settlement = 0
    while need > 0 and districts:
        suffix = 101 + settlement // len(districts)
        code, region = districts[settlement % len(districts)]
        settlement_code = f"{code[:5]}{suffix:03d}"
        rows.append(
            (settlement_code, f"Синтетическое поселение {settlement_code}", region)
        )
        settlement += 1
        need -= 1
    if need > 0:
        raise SystemExit(f"cannot make {count} distinct OKTMO codes")
    return pd.DataFrame(rows, columns=["oktmo", "name", "region"])


def values(
    places: pd.DataFrame, inds: pd.DataFrame, years: np.ndarray, rng
) -> np.ndarray:
    """Values (territories × years × indicators), float64, all positive."""
    n, y, k = len(places), len(years), len(inds)
    population = np.exp(rng.normal(10.3, 1.1, n)).clip(800, 13_000_000)
    growth = np.exp(rng.normal(0.0, 0.01, n))[:, None] ** np.arange(y)[None, :]
    pop = population[:, None] * growth  # (n, y)
    out = np.empty((n, y, k))
    for j, unit in enumerate(inds.unit):
        how, low, high, decimals = _MAGNITUDE.get(unit, ("level", 1.0, 1000.0, 1))
        if inds.code.iat[j] in POPULATION_CODES:
            level, decimals = pop, 0  # the population itself
        else:
            factor = math.exp(rng.uniform(math.log(low), math.log(high)))
            trend = 1.0 + rng.uniform(-0.01, 0.06)
            noise = np.exp(rng.normal(0.0, 0.15, (n, 1)))
            base = pop if how == "pop" else np.ones_like(pop)
            level = base * factor * noise * trend ** np.arange(y)[None, :]
        jitter = np.exp(rng.normal(0.0, 0.03, (n, y)))
        out[:, :, j] = np.maximum(np.round(level * jitter, decimals), 1.0)
    return out


def _write(table: pa.Table, path: Path) -> None:
    pacsv.write_csv(
        table,
        path,
        pacsv.WriteOptions(quoting_style="none", quoting_header="none"),
    )


def write_panel(
    folder: Path, places: pd.DataFrame, inds: pd.DataFrame, years, data
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "bdmo_dictionary.csv"]
    with open(written[0], "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["id", "name"])
        for row in inds.itertuples(index=False):
            if not row.code.startswith("t"):
                continue  # a named panel column, not a БД ПМО code
            out.writerow([row.code, f"{row.name}|||{row.code.split('_')[0]}|||Всего"])
    for region, idx in places.groupby("region", sort=True).indices.items():
        block = places.iloc[idx]
        columns = {
            "oktmo": pa.array(np.repeat(block.oktmo.to_numpy(), len(years))),
            "year": pa.array(np.tile(years, len(block)), pa.int16()),
            "name": pa.array(np.repeat(block.name.to_numpy(), len(years))),
        }
        cube = data[idx].reshape(len(idx) * len(years), len(inds))
        for j, code in enumerate(inds.code):
            column = cube[:, j]
            integral = np.all(column == np.round(column))
            columns[code] = pa.array(column.astype(np.int64) if integral else column)
        path = folder / f"bdmo_panel_{region}.csv"
        _write(pa.table(columns), path)
        written.append(path)
    return written


def write_tidy(
    folder: Path, places: pd.DataFrame, inds: pd.DataFrame, years, data
) -> list[Path]:
    """Tidy template: catalog indicators under their catalog id (money in
    thousand roubles, as БД ПМО publishes), the others under a free name."""
    folder.mkdir(parents=True, exist_ok=True)
    names = np.where(inds.catalog_id != "", inds.catalog_id, inds.name)
    units = np.where(
        (inds.catalog_id != "") & (inds.catalog_unit != "руб."),
        inds.catalog_unit,
        inds.unit,
    )
    n, k = len(places), len(inds)
    blocks = max(1, math.ceil(n * k / TIDY_ROWS_PER_FILE))
    bounds = np.linspace(0, k, blocks + 1).astype(int)
    territory = pa.array(places.oktmo)
    written = []
    for y, year in enumerate(years):
        for b in range(blocks):
            lo, hi = bounds[b], bounds[b + 1]
            width = hi - lo
            # rows ordered territory-major: each territory's indicators together
            t_idx = np.repeat(np.arange(n, dtype=np.int32), width)
            i_idx = np.tile(np.arange(lo, hi, dtype=np.int32), n)
            table = pa.table(
                {
                    "territory": pa.DictionaryArray.from_arrays(t_idx, territory),
                    "year": pa.array(np.full(len(t_idx), year, np.int16)),
                    "indicator": pa.DictionaryArray.from_arrays(
                        i_idx, pa.array(names.tolist())
                    ),
                    "value": pa.array(data[:, y, lo:hi].reshape(-1)),
                    "unit": pa.DictionaryArray.from_arrays(
                        i_idx, pa.array(units.tolist())
                    ),
                }
            )
            suffix = f"_{b + 1:02d}" if blocks > 1 else ""
            path = folder / f"tidy_{year}{suffix}.csv"
            _write(table, path)
            written.append(path)
    return written


#: Breakdowns of the mirror: column, the total's label, the parts' labels.
MIRROR_BREAKDOWNS = (
    (
        "okved2",
        "Всего",
        (
            "A Сельское, лесное хозяйство, охота, рыболовство и рыбоводство",
            "C Обрабатывающие производства",
            "F Строительство",
            "G Торговля оптовая и розничная, ремонт автотранспортных средств",
            "O Государственное управление и обеспечение военной безопасности",
            "P Образование",
        ),
    ),
    ("mest", "Всего", ("городская местность", "сельская местность")),
    None,
)
#: First-level municipalities of the mirror layout (Russia has about 2,600).
MIRROR_FIRST_LEVEL = 2600
MIRROR_COLUMNS = ["region_id", "mun_level", "municipality", "oktmo", "mun_type", "year"]
_MUN_TYPE = {
    "5": "муниципальный округ",
    "6": "муниципальный район",
    "7": "городской округ",
}


def _mirror_places(places: pd.DataFrame) -> dict[str, np.ndarray]:
    """Territory columns of the mirror: level 1 for okrugs and districts
    (OKTMO ``RRKNN000``), 2 for their settlements."""
    codes = places.oktmo.to_numpy(str)
    settlement = np.array([not c.endswith("000") for c in codes])
    kind = np.array([_MUN_TYPE.get(c[2], "городской округ") for c in codes], object)
    town = np.arange(settlement.sum()) % 5 == 0
    kind[settlement] = np.where(town, "городское поселение", "сельское поселение")
    return {
        "region_id": np.array([c[:2] for c in codes], object),
        "mun_level": np.where(settlement, "2", "1").astype(object),
        "municipality": places.name.to_numpy(object),
        "oktmo": codes.astype(object),
        "mun_type": kind,
    }


def write_mirror(
    folder: Path, places: pd.DataFrame, inds: pd.DataFrame, years, rng
) -> dict:
    """One zipped CSV per indicator in the mirror's shape (see the module
    docstring); returns the summary :func:`generate` prints."""
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    columns = _mirror_places(places)
    n, y = len(places), len(years)
    population = np.exp(rng.normal(10.3, 1.1, n)).clip(800, 13_000_000)
    files, rows, raw_bytes = 0, 0, 0
    options = pacsv.WriteOptions(
        delimiter=";", quoting_style="none", quoting_header="none"
    )
    for j, row in enumerate(inds.itertuples(index=False)):
        how, low, high, decimals = _MAGNITUDE.get(row.unit, ("level", 1.0, 1000.0, 1))
        factor = math.exp(rng.uniform(math.log(low), math.log(high)))
        base = population if how == "pop" else np.ones(n)
        level = base[:, None] * factor * np.exp(rng.normal(0.0, 0.15, (n, y)))
        breakdown = MIRROR_BREAKDOWNS[j % len(MIRROR_BREAKDOWNS)]
        labels = [""] if breakdown is None else [breakdown[1], *breakdown[2]]
        shares = rng.dirichlet(np.ones(max(len(labels) - 1, 1)), (n, y))
        schema = pa.schema(
            [pa.field(c, pa.string()) for c in MIRROR_COLUMNS[:-1]]
            + [pa.field("year", pa.int16())]
            + ([pa.field(breakdown[0], pa.string())] if breakdown else [])
            + [pa.field("indicator_value", pa.float64())]
        )
        name = row.code
        path = folder / f"{name}.zip"
        with zipfile.ZipFile(
            path, "w", zipfile.ZIP_DEFLATED, compresslevel=1
        ) as archive:
            with archive.open(f"{name}.csv", "w", force_zip64=True) as member:
                writer = pacsv.CSVWriter(member, schema, write_options=options)
                for k, label in enumerate(labels):
                    part = level if k == 0 else level * shares[:, :, k - 1]
                    values = np.maximum(np.round(part, decimals), 1.0).reshape(-1)
                    batch = {c: pa.array(np.repeat(v, y)) for c, v in columns.items()}
                    batch["year"] = pa.array(np.tile(years, n), pa.int16())
                    if breakdown:
                        batch[breakdown[0]] = pa.array([label] * (n * y))
                    batch["indicator_value"] = pa.array(values)
                    writer.write_table(pa.table(batch, schema=schema))
                    rows += n * y
                writer.close()
            raw_bytes += archive.getinfo(f"{name}.csv").file_size
        files += 1
    written = sorted(folder.glob("*.zip"))
    return {
        "folder": str(folder.parent),
        "mirror": str(folder),
        "municipalities": n,
        "settlements": int((columns["mun_level"] == "2").sum()),
        "indicators": len(inds),
        "years": y,
        "values": rows,
        "mirror_files": files,
        "mirror_csv_bytes": raw_bytes,
        "mirror_zip_bytes": sum(f.stat().st_size for f in written),
    }


def generate(
    out: Path = DEFAULT_OUT,
    *,
    municipalities: int = 2600,
    indicator_count: int = 300,
    years: int = 15,
    layout: str = "both",
    seed: int = SEED,
) -> dict:
    """Write the inputs; return a summary with the folder of each layout."""
    rng = np.random.default_rng(seed)
    folder = Path(out) / f"m{municipalities}_i{indicator_count}_y{years}"
    inds = indicators(indicator_count, rng)
    if layout == "mirror":
        # the mirror: ~2,600 okrugs and districts, the rest settlements;
        # years up to 2025 (the mirror starts in 2006)
        places = territories(municipalities, first_level_max=MIRROR_FIRST_LEVEL)
        span = np.arange(2026 - years, 2026, dtype=np.int16)
        return write_mirror(folder / "mirror", places, inds, span, rng)
    places = territories(municipalities)
    span = np.arange(FIRST_YEAR, FIRST_YEAR + years, dtype=np.int16)
    data = values(places, inds, span, rng)
    summary = {
        "folder": str(folder),
        "municipalities": municipalities,
        "indicators": indicator_count,
        "catalog_indicators": int((inds.catalog_id != "").sum()),
        "years": years,
        "values": int(data.size),
    }
    for name, writer in (("panel", write_panel), ("tidy", write_tidy)):
        if layout in (name, "both"):
            files = writer(folder / name, places, inds, span, data)
            summary[name] = str(folder / name)
            summary[f"{name}_files"] = len(files)
            summary[f"{name}_bytes"] = sum(f.stat().st_size for f in files)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--municipalities", type=int, default=2600)
    parser.add_argument("--indicators", type=int, default=300)
    parser.add_argument("--years", type=int, default=15)
    parser.add_argument(
        "--layout", choices=["both", "panel", "tidy", "mirror"], default="both"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    if ROOT in args.out.resolve().parents or args.out.resolve() == ROOT:
        parser.error("--out must be outside the repository (generated data)")
    started = time.perf_counter()
    summary = generate(
        args.out,
        municipalities=args.municipalities,
        indicator_count=args.indicators,
        years=args.years,
        layout=args.layout,
        seed=args.seed,
    )
    for key, value in summary.items():
        print(f"{key}: {value}")
    print(f"generated in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
