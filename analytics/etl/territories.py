"""Territory matching: names and codes as files write them → stable ids.

* Country, federal districts and federal subjects come from
  ``datasets/reference/regions.csv`` and match by name or any variant
  («Еврейская авт.область», «г. Севастополь», «Кемеровская область - Кузбасс»),
  after :func:`~analytics.etl.clean.normalize_name`. Rows for the country and
  the districts keep their own level, so they never mix with the subjects
  being compared.
* Municipalities match by their 8-digit OKTMO code (a 7-digit code lost its
  leading zero and is padded); a municipality not in the reference is added
  from the file, with its level read from the OKTMO code and its region from
  the code's first two digits. Without a code, a municipality name unique in
  the reference matches.
* Anything else is *unmatched*: reported by the ETL, never dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.etl.clean import clean_label, normalize_name
from analytics.etl.readers.base import codes_of

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "datasets" / "reference"
REGIONS_CSV = REFERENCE_DIR / "regions.csv"
MUNICIPALITIES_CSV = REFERENCE_DIR / "municipalities.csv"

TERRITORY_COLUMNS = [
    "territory_id",
    "name_ru",
    "name_en",
    "level",
    "region_id",
    "federal_district_id",
    "parent_id",
    "oktmo",
    "status",
]

_COUNTRY_TOTAL = re.compile(
    r"(российск\w* федерац\w*|субъект\w* рф).*всего|^всего по (россии|рф)"
    r"|^\w+( \w+)* субъектов российской федерации$",
    re.I,
)
#: Groupings that are not federal subjects: the old economic regions of
#: Russia (EMISS still lists them). Their rows are skipped with a reason.
ECONOMIC_REGIONS = {
    normalize_name(name)
    for name in (
        "северный район",
        "северо-западный район",
        "центральный район",
        "волго-вятский район",
        "центрально-черноземный район",
        "поволжский район",
        "северо-кавказский район",
        "уральский район",
        "западно-сибирский район",
        "восточно-сибирский район",
        "дальневосточный район",
        "калининградская область (экономический район)",
    )
}


def oktmo_level(code: str) -> str:
    """Municipal level from the structure of an 8-digit OKTMO code.

    The third digit of the code is the kind of municipality: 3 — intra-city
    territory of a federal city, 5 — municipal okrug, 6 — municipal district,
    7 — urban okrug (with 8 for urban okrugs with intra-city division).

    >>> oktmo_level("92701000"), oktmo_level("46604000"), oktmo_level("45000000")
    ('urban_okrug', 'municipal_district', 'region')
    """
    if code.endswith("000000"):
        return "region"
    kind = code[2]
    return {
        "3": "settlement",
        "5": "municipal_okrug",
        "6": "municipal_district",
        "7": "urban_okrug",
        "8": "urban_okrug",
    }.get(kind, "settlement")


@dataclass
class TerritoryResolver:
    """Resolve names and codes to territory ids; learns new municipalities."""

    regions: pd.DataFrame
    municipalities: pd.DataFrame
    new_municipalities: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._grouping: dict[str, bool] = {}  # name → is_grouping
        self._by_name: dict[str, str] = {}
        for row in self.regions.itertuples(index=False):
            variants = [row.name_ru, row.name_en, *str(row.aliases or "").split("|")]
            for variant in variants:
                key = normalize_name(variant)
                if key:
                    self._by_name.setdefault(key, row.territory_id)
        self._ids = set(self.regions.territory_id) | set(
            self.municipalities.territory_id
        )
        # Longest prefix wins: «718…» is Khanty-Mansi, «71…» the rest of Tyumen.
        self._by_oktmo_prefix = {
            row.oktmo.rstrip("0").ljust(2, "0"): row.territory_id
            for row in self.regions.itertuples(index=False)
            if row.level == "region"
            and row.status == "active"
            and isinstance(row.oktmo, str)
            and len(row.oktmo) == 8
        }
        self._region_oktmo = {
            row.oktmo: row.territory_id
            for row in self.regions.itertuples(index=False)
            if isinstance(row.oktmo, str) and row.oktmo
        }
        names = self.municipalities.assign(
            key=self.municipalities.name_ru.map(normalize_name)
        )
        unique = names.drop_duplicates("key", keep=False)
        self._municipal_by_name = dict(
            zip(unique.key, unique.territory_id, strict=True)
        )

    def resolve_name(self, name: str) -> str | None:
        key = normalize_name(name)
        if not key:
            return None
        if key in self._by_name:
            return self._by_name[key]
        if _COUNTRY_TOTAL.search(key):
            return "RU"
        return self._municipal_by_name.get(key)

    def is_grouping(self, name: str) -> bool:
        """True for known groupings that are not territories of the store."""
        found = self._grouping.get(name)
        if found is None:
            found = self._grouping[name] = normalize_name(name) in ECONOMIC_REGIONS
        return found

    def is_territory(self, name: str) -> bool:
        return self.resolve_name(name) is not None

    def resolve_code(self, code: str, name: str) -> str | None:
        code = code.strip()
        if code in self._ids:
            return code
        if re.fullmatch(r"\d{8}", code):
            if code in self._region_oktmo:
                return self._region_oktmo[code]
            region = next(
                (
                    self._by_oktmo_prefix[code[:n]]
                    for n in (4, 3, 2)
                    if code[:n] in self._by_oktmo_prefix
                ),
                None,
            )
            if region is None:
                return None
            if code not in self.new_municipalities:
                self.new_municipalities[code] = {
                    "territory_id": code,
                    "name_ru": clean_label(name) or code,
                    "name_en": "",
                    "level": oktmo_level(code),
                    "region_id": region,
                    "federal_district_id": "",
                    "parent_id": region,
                    "oktmo": code,
                    "status": "active",
                }
            return code
        return None

    def resolve_frame(self, records: pd.DataFrame) -> pd.Series:
        """Territory id for each record ('' where unmatched), resolving each
        distinct (code, name) pair once."""
        pairs, ids = self.resolve_codes(records)
        return pd.Series(np.asarray(ids, dtype=object)[pairs], index=records.index)

    def resolve_codes(self, records: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
        """The territory ids of the distinct (code, name) pairs of the records
        ('' where unmatched), resolved once each in order of first appearance,
        and each record's pair."""
        codes, code_values = codes_of(records["territory_code"])
        names, name_values = codes_of(records["territory_name"])
        width = max(len(name_values), 1)
        # Distinct (code, name) pairs in order of first appearance.
        pairs, first = pd.factorize(codes.astype(np.int64) * width + names)
        found_ids = []
        for pair in first:
            code = code_values[pair // width]
            name = name_values[pair % width]
            found = self.resolve_code(code, name) if code else None
            if found is None and name:
                found = self.resolve_name(name)
            found_ids.append(found or "")
        return pairs, found_ids

    def territories(self) -> pd.DataFrame:
        """All territories: reference regions, reference municipalities and the
        municipalities learned from files, with the store's columns."""
        regions = self.regions.assign(
            region_id=lambda d: d.territory_id.where(
                d.level.isin(["region", "region_part"]), ""
            ),
        )
        frames = [
            regions,
            self.municipalities,
            pd.DataFrame(list(self.new_municipalities.values())),
        ]
        frames = [f for f in frames if len(f)]
        table = pd.concat(frames, ignore_index=True)
        for column in TERRITORY_COLUMNS:
            if column not in table:
                table[column] = ""
        table = table[TERRITORY_COLUMNS].fillna("").astype(str)
        fd = dict(
            zip(
                self.regions.territory_id,
                self.regions.federal_district_id.fillna(""),
                strict=True,
            )
        )
        missing_fd = table.federal_district_id == ""
        table.loc[missing_fd, "federal_district_id"] = (
            table.loc[missing_fd, "region_id"].map(fd).fillna("")
        )
        return table.drop_duplicates("territory_id").reset_index(drop=True)


def load_resolver(
    regions_csv: Path = REGIONS_CSV, municipalities_csv: Path = MUNICIPALITIES_CSV
) -> TerritoryResolver:
    regions = pd.read_csv(regions_csv, dtype=str, keep_default_na=False)
    if municipalities_csv.exists():
        municipalities = pd.read_csv(
            municipalities_csv, dtype=str, keep_default_na=False
        )
    else:
        municipalities = pd.DataFrame(columns=TERRITORY_COLUMNS)
    return TerritoryResolver(regions, municipalities)
