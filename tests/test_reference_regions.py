"""The reference table of Russia's top-level territories,
datasets/reference/regions.csv.

Structure checks run everywhere. The checks against genuine files (every territory
name Rosstat, EMISS and the rosstat.gov.ru workbooks write resolves to exactly one
row; OKTMO codes agree with municipal codes) read ../shared/data and skip only
when that folder is absent (a user's fresh clone).

The name normaliser lives here for now; analytics/etl/territories.py is to match
with the same rules (see :func:`normalise`).
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

ROOT = Path(__file__).resolve().parents[1]
REGIONS_CSV = ROOT / "datasets" / "reference" / "regions.csv"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

COLUMNS = [
    "territory_id",
    "level",
    "name_ru",
    "name_en",
    "okato",
    "oktmo",
    "iso_code",
    "federal_district_id",
    "parent_id",
    "status",
    "successor_id",
    "aliases",
]
LEVELS = {"country", "federal_district", "region", "region_part"}
STATUSES = {"active", "historical"}

# Rows of the genuine files that are not territory names: sub-headings, titles and
# the country totals of the GRP / consumption tables (they stand for the country
# but are not its name). Kept explicit on purpose: a new kind of row must fail.
NON_NAME_ROWS = [
    "в том числе:",
    "Валовой региональный продукт по субъектам Российской Федерации "
    "(валовая добавленная стоимость в текущих основных ценах) – всего",
    "Валовой региональный продукт по субъектам Российской Федерации "
    "(валовая добавленная стоимость в основных ценах) – всего",
    "Фактическое конечное потребление домашних хозяйств на территории "
    "субъектов Российской Федерации – всего",
    "Валовое накопление основного капитала субъектов Российской Федерации",
    "Индексы потребительских цен на товары и услуги (процент)",
]
# The eleven economic regions EMISS still lists: real territories, but outside
# this table (it covers the administrative hierarchy only).
ECONOMIC_REGIONS = [
    "Северный район",
    "Северо-Западный район",
    "Центральный район",
    "Волго-Вятский район",
    "Центрально-Черноземный район",
    "Поволжский район",
    "Северо-Кавказский район",
    "Уральский район",
    "Западно-Сибирский район",
    "Восточно-Сибирский район",
    "Дальневосточный район",
]

# ------------------------------------------------------------------ normaliser

_DASHES = str.maketrans(
    dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-")
)
# Latin letters that look like Cyrillic ones (after lower-casing); replaced only
# inside words that already contain Cyrillic, so English names stay intact.
_HOMOGLYPHS = str.maketrans("aceopxykmthb", "асеорхукмтнв")
# Footnote markers glued or spaced at the end: 'Федерация1)', 'округ 4)',
# 'округ2);3)'; not a year in brackets such as '(с 29.07.2016)'.
_FOOTNOTE_MARKS = re.compile(r"(?<=[^\d\s.(])\s*(?:\d{1,2}\)[;,]?\s*)+$")
# A bare footnote number after a space: 'Брянская область 2'.
_FOOTNOTE_NUMBER = re.compile(r"(?<=[^\d\s.])\s+\d{1,2}$")
_CYRILLIC = re.compile("[а-я]")


def normalise(text: object) -> str:
    """Matching key for a territory name.

    Rules, in order: drop soft hyphens; collapse every run of whitespace (NBSP,
    line breaks included) to one space and trim; strip trailing footnote markers
    ('1)', ' 4)', '2);3)', ' 2'); lower-case; ё → е; every dash (‐ ‑ ‒ – — ― −)
    → '-' with no spaces around it; Latin look-alike letters inside Cyrillic
    words → Cyrillic.

    >>> normalise("Российская Федерация1)")
    'российская федерация'
    >>> normalise("Южный            федеральный округ2);3)")
    'южный федеральный округ'
    >>> normalise("Республика Северная    Осетия – Алания")
    'республика северная осетия-алания'
    >>> normalise("Алтайский кpай") == normalise("Алтайский край")
    True
    >>> normalise("Южный федеральный округ (с 29.07.2016)")
    'южный федеральный округ (с 29.07.2016)'
    """
    value = str(text).replace("\u00ad", "")
    value = re.sub(r"\s+", " ", value).strip()
    value = _FOOTNOTE_MARKS.sub("", value)
    value = _FOOTNOTE_NUMBER.sub("", value)
    value = value.lower().replace("ё", "е").translate(_DASHES)
    value = re.sub(r"\s*-\s*", "-", value)
    words = (
        word.translate(_HOMOGLYPHS) if _CYRILLIC.search(word) else word
        for word in value.split(" ")
    )
    return " ".join(words).strip()


# -------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with REGIONS_CSV.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def by_id(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["territory_id"]: row for row in rows}


@pytest.fixture(scope="module")
def name_index(rows: list[dict[str, str]]) -> dict[str, set[str]]:
    """Normalised name_ru / name_en / alias → the territory ids carrying it."""
    index: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        for variant in _variants(row):
            index[normalise(variant)].add(row["territory_id"])
    return index


@pytest.fixture(scope="module")
def data_dir() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real data folder {SHARED_DATA} is absent (a fresh clone); "
            "CI always has it"
        )
    return SHARED_DATA


def _variants(row: dict[str, str]) -> list[str]:
    aliases = [a for a in row["aliases"].split("|") if a]
    return [row["name_ru"], row["name_en"], *aliases]


def _resolve(index: dict[str, set[str]], name: str) -> set[str]:
    return index.get(normalise(name), set())


def _skip_keys() -> set[str]:
    return {normalise(n) for n in NON_NAME_ROWS + ECONOMIC_REGIONS}


def _unresolved(index: dict[str, set[str]], names: list[str]) -> list[tuple]:
    skip = _skip_keys()
    return [
        (name, sorted(_resolve(index, name)))
        for name in names
        if normalise(name) not in skip and len(_resolve(index, name)) != 1
    ]


def _calamine_rows(path: Path, sheet: str) -> list[list]:
    book = CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_name(sheet).to_python()


# ------------------------------------------------------------ structure checks


def test_columns_are_exactly_the_contract() -> None:
    with REGIONS_CSV.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert header == COLUMNS


def test_territory_id_unique(rows: list[dict[str, str]]) -> None:
    ids = [row["territory_id"] for row in rows]
    assert len(ids) == len(set(ids))
    assert all(
        re.fullmatch(r"RU(-[A-Z]{2,3}(-[A-Z]{1,3})?)?|FD-[A-Z]{2,3}(-\d{4})?", i)
        for i in ids
    )


def test_levels_and_statuses(rows: list[dict[str, str]]) -> None:
    assert {row["level"] for row in rows} <= LEVELS
    assert {row["status"] for row in rows} <= STATUSES
    assert [row["territory_id"] for row in rows if row["level"] == "country"] == ["RU"]


def test_89_active_federal_subjects(rows: list[dict[str, str]]) -> None:
    active = [r for r in rows if r["level"] == "region" and r["status"] == "active"]
    assert len(active) == 89
    for new in ("RU-CR", "RU-SEV", "RU-DPR", "RU-LPR", "RU-ZAP", "RU-KHE"):
        assert new in {r["territory_id"] for r in active}


def test_8_active_federal_districts(rows: list[dict[str, str]]) -> None:
    districts = {
        r["territory_id"]: r["status"] for r in rows if r["level"] == "federal_district"
    }
    active = sorted(i for i, status in districts.items() if status == "active")
    assert active == sorted(
        ["FD-CEN", "FD-NW", "FD-SOU", "FD-NCA", "FD-VOL", "FD-URA", "FD-SIB", "FD-FE"]
    )
    assert districts["FD-CRI"] == "historical"


def test_region_parts(rows: list[dict[str, str]]) -> None:
    parts = {
        r["territory_id"]: r["parent_id"] for r in rows if r["level"] == "region_part"
    }
    assert parts == {"RU-ARK-X": "RU-ARK", "RU-TYU-X": "RU-TYU"}


def test_every_active_region_has_an_active_district(
    rows: list[dict[str, str]], by_id: dict[str, dict[str, str]]
) -> None:
    for row in rows:
        if row["level"] in {"region", "region_part"} and row["status"] == "active":
            district = by_id.get(row["federal_district_id"])
            assert district, row["territory_id"]
            assert district["level"] == "federal_district"
            assert district["status"] == "active", row["territory_id"]


def test_links_point_to_rows(
    rows: list[dict[str, str]], by_id: dict[str, dict[str, str]]
) -> None:
    for row in rows:
        tid = row["territory_id"]
        if row["parent_id"]:
            assert by_id[row["parent_id"]]["level"] == "region", tid
        if row["status"] == "historical":
            successor = by_id[row["successor_id"]]
            assert successor["status"] == "active", tid
            assert successor["level"] == row["level"], tid
        else:
            assert row["successor_id"] == "", tid
    assert by_id["RU-NEN"]["parent_id"] == "RU-ARK"
    assert by_id["RU-KHM"]["parent_id"] == by_id["RU-YAN"]["parent_id"] == "RU-TYU"


def test_code_formats(rows: list[dict[str, str]]) -> None:
    for row in rows:
        tid, okato, oktmo = row["territory_id"], row["okato"], row["oktmo"]
        assert re.fullmatch(r"(\d{2}(\d{3})?)?", okato), tid
        assert re.fullmatch(r"(\d{8})?", oktmo), tid
        assert re.fullmatch(r"(RU(-[A-Z]{2,3})?)?", row["iso_code"]), tid
        if row["level"] in {"country", "federal_district"}:
            assert okato == oktmo == "", tid


def test_codes_unique_among_active_rows(rows: list[dict[str, str]]) -> None:
    for column in ("okato", "oktmo", "iso_code"):
        codes = [r[column] for r in rows if r["status"] == "active" and r[column]]
        assert len(codes) == len(set(codes)), column


def test_okato_and_oktmo_agree(
    rows: list[dict[str, str]], by_id: dict[str, dict[str, str]]
) -> None:
    for row in rows:
        tid, okato, oktmo = row["territory_id"], row["okato"], row["oktmo"]
        if row["level"] != "region":
            continue
        if row["parent_id"]:  # an autonomous okrug: longer OKATO within its region
            parent = by_id[row["parent_id"]]
            assert len(okato) in (0, 5), tid
            assert okato == "" or okato.startswith(parent["okato"]), tid
            assert oktmo == "" or oktmo[:2] == parent["okato"], tid
        elif okato and oktmo:
            assert oktmo == okato + "000000", tid
    # the subjects without an 8-digit OKTMO are deliberate (see the README)
    no_oktmo = {
        r["territory_id"]
        for r in rows
        if r["level"] == "region" and r["status"] == "active" and not r["oktmo"]
    }
    assert no_oktmo == {"RU-DPR", "RU-LPR", "RU-ZAP", "RU-KHE"}


def test_no_variant_on_two_rows(name_index: dict[str, set[str]]) -> None:
    clashes = {key: ids for key, ids in name_index.items() if len(ids) > 1}
    assert clashes == {}
    assert "" not in name_index


def test_aliases_have_no_blank_or_padded_items(rows: list[dict[str, str]]) -> None:
    for row in rows:
        for variant in _variants(row):
            assert variant and variant == variant.strip(), row["territory_id"]


# --------------------------------------------------- checks against real files


def _regiony_rossii_names(path: Path) -> dict[str, list[str]]:
    """Column A between the year header row and the footnote separator, per sheet."""
    book = CalamineWorkbook.from_path(str(path))
    found: dict[str, list[str]] = {}
    for sheet in book.sheet_names:
        cells = book.get_sheet_by_name(sheet).to_python()
        header = next(
            (i for i, r in enumerate(cells) if any(_is_year(v) for v in r[1:])), None
        )
        if header is None:  # the section's title sheet
            continue
        names = []
        for record in cells[header + 1 :]:
            first = str(record[0]).strip()
            if re.fullmatch(r"[¾_]{3,}", first) or re.match(r"\d\)", first):
                break  # the footnote block: '¾¾¾¾¾', '_____' or straight '1) ...'
            if first:
                names.append(str(record[0]))
        found[sheet] = names
    return found


def _is_year(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and value == int(value)
        and (1990 <= value <= 2100)
    )


def test_regiony_rossii_names_resolve(
    data_dir: Path, name_index: dict[str, set[str]]
) -> None:
    books = sorted((data_dir / "rosstat-regiony-rossii-2019").glob("*.xlsx"))
    assert len(books) == 3
    for book in books:
        sheets = _regiony_rossii_names(book)
        assert sheets, book.name
        for sheet, names in sheets.items():
            assert len(names) >= 80, (book.name, sheet)
            assert _unresolved(name_index, names) == [], (book.name, sheet)


def test_emiss_names_resolve(data_dir: Path, name_index: dict[str, set[str]]) -> None:
    books = sorted((data_dir / "emiss").glob("*.xls"))
    assert books
    for book in books:
        names = sorted(
            {
                str(r[0]).strip()
                for r in _calamine_rows(book, "Данные")
                if str(r[0]).strip()
            }
        )
        assert len(names) > 90, book.name
        assert _unresolved(name_index, names) == [], book.name


def test_socpod_sheet_names_resolve(
    data_dir: Path, name_index: dict[str, set[str]]
) -> None:
    path = data_dir / "rosstat-site-workbooks" / "socpod_2021.xlsx"
    sheets = CalamineWorkbook.from_path(str(path)).sheet_names
    names = [s for s in sheets if s != "Содержание"]
    assert len(names) == 96
    assert _unresolved(name_index, names) == []
    # every subject sheet is a different territory
    ids = [next(iter(_resolve(name_index, n))) for n in names]
    assert len(ids) == len(set(ids))


def test_regions_oktmo_workbook_agrees(
    data_dir: Path, name_index: dict[str, set[str]], by_id: dict[str, dict[str, str]]
) -> None:
    path = data_dir / "bdmo-big-cities" / "regions_oktmo.xlsx"
    records = _calamine_rows(path, "Лист1")[1:]
    assert len(records) == 80
    for name, code in records:
        (tid,) = _resolve(name_index, name)
        assert by_id[tid]["oktmo"][:2] == f"{int(code):02d}", name


def _oktmo_prefix(row: dict[str, str]) -> str:
    """Leading digits every municipal OKTMO code of the territory starts with."""
    oktmo = row["oktmo"]
    return oktmo[:2] if oktmo.endswith("000000") else oktmo[:3]


def test_big_cities_oktmo_within_their_region(
    data_dir: Path, name_index: dict[str, set[str]], by_id: dict[str, dict[str, str]]
) -> None:
    path = data_dir / "bdmo-big-cities" / "big_cities.csv"
    pairs: set[tuple[str, str]] = set()
    with path.open(encoding="utf-8", newline="") as fh:
        for record in csv.DictReader(fh):
            pairs.add((record["region"], record["oktmo"].zfill(8)))
    assert len(pairs) > 150
    for region, oktmo in sorted(pairs):
        (tid,) = _resolve(name_index, region)
        assert oktmo.startswith(_oktmo_prefix(by_id[tid])), (region, oktmo)


# members.csv labels naming two subjects, and agglomerations reaching into a
# neighbouring subject (Краснодарская: Адыгейск and Тахтамукайский район, 79…).
MEMBER_LABELS = {
    "Москва и область": ("RU-MOW", "RU-MOS"),
    "Санкт-Петербург и область": ("RU-SPE", "RU-LEN"),
}
MEMBER_NEIGHBOURS = {"Краснодарский край": ("RU-AD",)}


def test_agglomeration_members_within_their_region(
    data_dir: Path, name_index: dict[str, set[str]], by_id: dict[str, dict[str, str]]
) -> None:
    path = data_dir / "agglomerations-official" / "members.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        records = list(csv.DictReader(fh))
    assert len(records) == 396
    for record in records:
        label, oktmo = record["region_label"], record["oktmo"].strip()
        if label in MEMBER_LABELS:
            allowed = MEMBER_LABELS[label]
        else:
            (tid,) = _resolve(name_index, label)
            allowed = (tid, *MEMBER_NEIGHBOURS.get(label, ()))
        prefixes = [_oktmo_prefix(by_id[t]) for t in allowed]
        assert any(oktmo.startswith(p) for p in prefixes), (label, oktmo)


def test_geojson_names_and_iso_codes(
    data_dir: Path, name_index: dict[str, set[str]], by_id: dict[str, dict[str, str]]
) -> None:
    path = next((data_dir / "geo-russia-adm1").glob("*.geojson"))
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    assert len(features) == 83
    for feature in features:
        props = feature["properties"]
        (tid,) = _resolve(name_index, props["shapeName"])
        assert by_id[tid]["iso_code"] == props["shapeISO"], props
