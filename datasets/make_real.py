"""The project's embedded REAL dataset, in the БД ПМО mirror layout.

    python datasets/make_real.py [--shared ../shared/data] [--out datasets/raw/real]

Reads real municipal figures from the shared data folder (never copied as they
are) and writes them as the БД ПМО mirror publishes its data: one zipped
``;``-separated UTF-8 CSV per indicator (``region_id; mun_level; municipality;
oktmo; mun_type; year; [period;] indicator_code; indicator_name;
indicator_unit; [breakdown columns;] indicator_value``), which the ETL reads
with :mod:`analytics.etl.readers.bdmo_mirror`. Also writes, from the same
folder, the reference tables the ETL and the maps use:

* ``datasets/reference/oktmo_reforms.csv`` — every version of every
  municipality in the versioned municipal dictionary (OKTMO, names, years of
  validity, change ids), the crosswalk of :mod:`analytics.etl.reforms`;
* ``datasets/reference/boundaries/municipalities.geojson`` — simplified
  boundaries of all current municipalities, coordinates rounded to 0.01°.

Sources (see ``datasets/raw/real/README.md`` for licences and attribution):

* ``sberindex-municipal-2025/``: population on 1 January 2023-24 (age «Всего»
  and the published aggregate «65+»; ages 15-64 summed from the single years,
  never from the aggregates; both sexes summed; the 1,168 duplicate rows
  dropped first), net migration 2023 (all ages, both sexes), average monthly
  wage by OKVED section 2023-24 (the «январь-декабрь» cumulative value is the
  annual one), keyed by territory_id and written with the OKTMO code each
  municipality had in that year;
* ``bdmo-bashkortostan-2023-2025/``: section 41 only (the other sections
  collapsed breakdowns upstream);
* ``bdmo-big-cities/``: local budgets, transfers, staff and wages of 197 urban
  okrugs, 2006-2018 (БД ПМО codes as published).

Deterministic: the same inputs give the same bytes (sorted rows, shortest
float text, fixed zip timestamps).
"""

from __future__ import annotations

import argparse
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent
DEFAULT_SHARED = ROOT.parent.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "raw" / "real"
REFERENCE = ROOT / "reference"
ZIP_TIME = (2025, 1, 1, 0, 0, 0)
COLUMNS = [
    "region_id",
    "mun_level",
    "municipality",
    "oktmo",
    "mun_type",
    "year",
    "period",
    "indicator_code",
    "indicator_name",
    "indicator_unit",
]

POPULATION = "Численность постоянного населения на 1 января"
MIGRATION = "Миграционный прирост (убыль) населения"
WAGE = (
    "Среднемесячная номинальная начисленная заработная плата работников "
    "организаций (без субъектов малого предпринимательства)"
)
#: Big-city panel columns written, with their published unit.
BIG_CITY_CODES = {
    "t8013001_1": "Тысяча рублей",
    "t8013001_89": "Тысяча рублей",
    "t8013001_34": "Тысяча рублей",
    "t8013001_293": "Тысяча рублей",
    "t8013001_294": "Тысяча рублей",
    "t8013001_296": "Тысяча рублей",
    "t8013002_1": "Тысяча рублей",
    "t8123015_12": "Человек",
    "t8123017_12": "Рубль",
    "t8123007_0": "Рубль",
    "t8112027_11": "Человек",
}
BIG_CITY_YEARS = range(2006, 2019)


def dictionary(shared: Path) -> pd.DataFrame:
    """The versioned municipal dictionary: one row per version."""
    frame = pd.read_excel(
        shared / "sberindex-municipal-2025" / "t_dict_municipal_districts.xlsx",
        dtype=str,
        engine="calamine",
    )
    frame["oktmo8"] = frame["oktmo"].str.replace("-", "", regex=False).str[:8]
    frame["year_from"] = frame["year_from"].astype(int)
    frame["year_to"] = frame["year_to"].astype(int)
    return frame


def version_of(versions: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """For each (territory_id, year) of ``keys``, the dictionary version valid
    that year: year_from <= year < year_to, else the latest begun by then."""
    merged = keys.merge(versions, on="territory_id", how="left")
    begun = merged["year_from"] <= merged["year"]
    valid = begun & (merged["year"] < merged["year_to"])
    merged = merged.assign(_rank=valid.astype(int) * 2 + begun.astype(int))
    merged = merged.sort_values(
        ["territory_id", "year", "_rank", "year_from"], kind="stable"
    )
    return merged.drop_duplicates(["territory_id", "year"], keep="last")


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _with_places(
    frame: pd.DataFrame, versions: pd.DataFrame, *, period: str = "год"
) -> pd.DataFrame:
    """Values keyed by territory_id and year → mirror rows (code and name of
    the version valid that year)."""
    # SberIndex repeats a successor's values under the ids of municipalities
    # that had ceased to exist before that year (г. Новозыбков, merged in
    # 2020, carries Новозыбковский ГО's 2023-24 figures): those rows go.
    ended = versions.groupby("territory_id")["year_to"].max()
    frame = frame[frame["year"] <= frame["territory_id"].map(ended).fillna(0)]
    keys = frame[["territory_id", "year"]].drop_duplicates()
    places = version_of(versions, keys)
    out = frame.merge(
        places[
            [
                "territory_id",
                "year",
                "oktmo8",
                "municipal_district_name",
                "municipal_district_type",
                "region_code",
                "_rank",
            ]
        ],
        on=["territory_id", "year"],
        how="inner",
    )
    # Two ids under one code in one year (SberIndex files the old town's
    # figures under its successor too): the version valid that year wins.
    breakdowns = [c for c in out.columns if c.startswith("_b_")]
    out = out.sort_values(["_rank", "territory_id"], kind="stable").drop_duplicates(
        ["oktmo8", "year", *breakdowns], keep="last"
    )
    return pd.DataFrame(
        {
            "region_id": out["region_code"].astype(str),
            "mun_level": "верхний уровень",
            "municipality": out["municipal_district_name"],
            "oktmo": out["oktmo8"],
            "mun_type": out["municipal_district_type"],
            "year": out["year"].astype(int),
            "period": period,
            **{c: out[c] for c in out.columns if c.startswith("_b_")},
            "indicator_value": out["value"],
        }
    )


def write_zip(out: Path, stem: str, frame: pd.DataFrame) -> Path:
    """One indicator as ``stem.zip`` holding ``stem.csv`` (sorted, fixed
    timestamps: byte-reproducible)."""
    breakdowns = [c for c in frame.columns if c.startswith("_b_")]
    frame = frame.rename(columns={c: c[3:] for c in breakdowns})
    breakdowns = [c[3:] for c in breakdowns]
    columns = COLUMNS + breakdowns + ["indicator_value"]
    frame = frame[columns].sort_values(
        ["indicator_code", "oktmo", "year", *breakdowns], kind="stable"
    )
    frame = frame.assign(indicator_value=frame["indicator_value"].map(_number))
    text = io.StringIO()
    frame.to_csv(text, sep=";", index=False, lineterminator="\n")
    info = zipfile.ZipInfo(f"{stem}.csv", date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    path = out / f"{stem}.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(info, text.getvalue().encode("utf-8"), compresslevel=9)
    return path


def population(shared: Path, versions: pd.DataFrame) -> pd.DataFrame:
    data = pd.read_parquet(
        shared / "sberindex-municipal-2025" / "2_bdmo_population.parquet"
    )
    data = data.drop_duplicates()
    data["territory_id"] = data["territory_id"].astype(str)
    data["age"] = data["age"].astype(str)
    single = data[data["age"].str.fullmatch(r"\d+")]
    working = single[single["age"].astype(int).between(15, 64)]
    groups = {
        "Всего": data[data["age"] == "Всего"],
        "15-64": working,
        "65 лет и старше": data[data["age"] == "65+"],
    }
    frames = []
    for label, rows in groups.items():
        summed = (
            rows.groupby(["territory_id", "year"], as_index=False)["value"]
            .sum(min_count=1)
            .dropna()
        )
        frames.append(summed.assign(_b_age=label))
    out = _with_places(pd.concat(frames, ignore_index=True), versions)
    return out.assign(
        indicator_code="",
        indicator_name=POPULATION,
        indicator_unit="Человек",
    )


def migration(shared: Path, versions: pd.DataFrame) -> pd.DataFrame:
    data = pd.read_parquet(
        shared / "sberindex-municipal-2025" / "3_bdmo_migration.parquet"
    )
    data = data.drop_duplicates()
    data["territory_id"] = data["territory_id"].astype(str)
    rows = data[data["age"].astype(str) == "Всего"]
    summed = (
        rows.groupby(["territory_id", "year"], as_index=False)["value"]
        .sum(min_count=1)
        .dropna()
    )
    out = _with_places(summed, versions)
    return out.assign(
        indicator_code="", indicator_name=MIGRATION, indicator_unit="Человек"
    )


def wages(shared: Path, versions: pd.DataFrame) -> pd.DataFrame:
    data = pd.read_parquet(
        shared / "sberindex-municipal-2025" / "4_bdmo_salary.parquet"
    )
    data = data.drop_duplicates()
    data = data[data["period"] == "январь-декабрь"].dropna(subset=["value"])
    data["territory_id"] = data["territory_id"].astype(str)
    data = data.drop_duplicates(["territory_id", "year", "okved_letter"])
    frame = pd.DataFrame(
        {
            "territory_id": data["territory_id"],
            "year": data["year"],
            "value": data["value"],
            "_b_okved2": np.where(
                data["okved_letter"] == "0",
                "Всего",
                data["okved_letter"] + " " + data["okved_name"],
            ),
        }
    )
    out = _with_places(frame, versions, period="январь-декабрь")
    return out.assign(indicator_code="", indicator_name=WAGE, indicator_unit="Рубль")


def section41(shared: Path) -> dict[str, pd.DataFrame]:
    data = pd.read_csv(
        shared
        / "bdmo-bashkortostan-2023-2025"
        / "bdmo_bashkortostan_2023_2025_long.csv",
        sep=";",
        dtype=str,
    )
    data = data[data["indicator_section"].str.startswith("41.")]
    out = {}
    for code, rows in data.groupby("indicator_code"):
        unit = rows["indicator_unit"].iloc[0]
        if "с 2009" in unit:  # «2008 г. — тысяча рублей, с 2009 г. — рубль»
            unit = unit.split("с 2009 г")[-1].strip(" .—-").split("—")[-1].strip()
            unit = unit.split(" — ")[-1]
            unit = {"рубль": "Рубль", "метр": "Квадратный метр"}.get(unit, unit)
        out[code] = pd.DataFrame(
            {
                "region_id": rows["region_id"],
                "mun_level": "верхний уровень",
                "municipality": rows["municipality_official"],
                "oktmo": rows["oktmo"].str.zfill(8),
                "mun_type": rows["mun_kind"]
                .map({"district": "муниципальный район", "city": "городской округ"})
                .fillna(rows["mun_kind"]),
                "year": rows["year"].astype(int),
                "period": "год",
                "indicator_code": code,
                "indicator_name": rows["indicator_name"],
                "indicator_unit": unit,
                "indicator_value": rows["value"].astype(float),
            }
        )
    return out


def big_cities(shared: Path) -> dict[str, pd.DataFrame]:
    folder = shared / "bdmo-big-cities"
    panel = pd.read_csv(folder / "big_cities.csv", dtype={"oktmo": str})
    names = pd.read_csv(folder / "BDMO_id_name.csv", dtype=str)
    names = dict(zip(names["id"], names["name"], strict=True))
    panel["oktmo"] = panel["oktmo"].str.zfill(8)
    panel = panel[panel["year"].isin(list(BIG_CITY_YEARS))]
    out = {}
    for code, unit in BIG_CITY_CODES.items():
        rows = panel[["oktmo", "year", "settlement", code]].dropna(subset=[code])
        rows = rows.drop_duplicates(["oktmo", "year"])
        name = names.get(code, code).replace("|||", " | ")
        out[code] = pd.DataFrame(
            {
                "region_id": rows["oktmo"].str[:2],
                "mun_level": "верхний уровень",
                "municipality": rows["settlement"],
                "oktmo": rows["oktmo"],
                "mun_type": "городской округ",
                "year": rows["year"].astype(int),
                "period": "год",
                "indicator_code": code,
                "indicator_name": name,
                "indicator_unit": unit,
                "indicator_value": rows[code].astype(float),
            }
        )
    return out


def reforms_table(versions: pd.DataFrame) -> pd.DataFrame:
    """Every version of every municipality, for the reform crosswalk."""
    table = pd.DataFrame(
        {
            "territory_key": versions["territory_id"],
            "oktmo": versions["oktmo8"],
            "name_ru": versions["municipal_district_name"],
            "mun_type": versions["municipal_district_type"],
            "year_from": versions["year_from"],
            "year_to": versions["year_to"],
            "change_id_from": versions["change_id_from"].fillna(""),
            "change_id_to": versions["change_id_to"].fillna(""),
            "region_code": versions["region_code"],
        }
    )
    return table.sort_values(
        ["territory_key", "year_from", "oktmo"],
        key=lambda s: s.astype(int) if s.name == "territory_key" else s,
        kind="stable",
    )


def boundaries(shared: Path, digits: int = 2) -> dict:
    """Current municipal boundaries with coordinates rounded to ``digits``
    decimals (about 1 km), degenerate rings dropped."""
    source = json.loads(
        (
            shared
            / "municipal-boundaries-sberindex"
            / "mo_boundaries_current_simplified.geojson"
        ).read_text(encoding="utf-8")
    )

    def ring(points):
        out = []
        for x, y in points:
            point = [round(x, digits), round(y, digits)]
            if not out or out[-1] != point:
                out.append(point)
        if out and out[0] != out[-1]:
            out.append(out[0])
        return out if len(out) >= 4 else None

    def polygon(rings):
        kept = [r for r in (ring(r) for r in rings) if r]
        return kept if kept and kept[0] is not None else None

    features = []
    for feature in source["features"]:
        props = feature["properties"]
        geometry = feature["geometry"]
        if geometry["type"] == "Polygon":
            coords = polygon(geometry["coordinates"])
            geo = {"type": "Polygon", "coordinates": coords} if coords else None
        else:
            parts = [p for p in (polygon(p) for p in geometry["coordinates"]) if p]
            geo = {"type": "MultiPolygon", "coordinates": parts} if parts else None
        if geo is None:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "oktmo": str(props["oktmo"]).zfill(8),
                    "name": props["name"],
                    "mun_type": props.get("mun_type", ""),
                },
                "geometry": geo,
            }
        )
    features.sort(key=lambda f: f["properties"]["oktmo"])
    return {
        "type": "FeatureCollection",
        "attribution": "СберИндекс; © участники OpenStreetMap (ODbL)",
        "features": features,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--reference", type=Path, default=REFERENCE)
    args = parser.parse_args(argv)
    shared, out = args.shared, args.out
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.zip"):
        old.unlink()
    versions = dictionary(shared)
    written = [
        write_zip(out, "population_1jan", population(shared, versions)),
        write_zip(out, "net_migration", migration(shared, versions)),
        write_zip(out, "wages_okved2", wages(shared, versions)),
    ]
    for code, frame in section41(shared).items():
        written.append(write_zip(out, f"section41_{code}", frame))
    for code, frame in big_cities(shared).items():
        written.append(write_zip(out, f"big_cities_{code}", frame))
    args.reference.mkdir(parents=True, exist_ok=True)
    reforms_table(versions).to_csv(
        args.reference / "oktmo_reforms.csv", index=False, lineterminator="\n"
    )
    geo_dir = args.reference / "boundaries"
    geo_dir.mkdir(exist_ok=True)
    (geo_dir / "municipalities.geojson").write_text(
        json.dumps(boundaries(shared), ensure_ascii=False, separators=(",", ":")),
        encoding="utf-8",
    )
    total = sum(p.stat().st_size for p in written)
    print(f"{len(written)} files, {total / 1e6:.2f} MB in {out}")


if __name__ == "__main__":
    main()
