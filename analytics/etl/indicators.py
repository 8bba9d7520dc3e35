"""The indicator catalog, and mapping of indicators found in files onto it.

A published indicator maps to a catalog entry by its source code (БД ПМО
``t8013001_1``), by a known column name of a panel, by its catalog id (tidy
files), or by its cleaned name. Its published unit is converted to the
catalog's canonical unit (thousand roubles → roubles). Indicators the catalog
does not list are loaded under an id made from their name.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from analytics.etl.annual import check_rule
from analytics.etl.clean import normalize_name
from analytics.etl.readers.base import RawIndicator
from analytics.etl.units import parse_unit

DEFAULT_CATALOG = (
    Path(__file__).resolve().parents[2] / "datasets" / "reference" / "indicators.yaml"
)

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    name_ru: str
    name_en: str
    unit: str
    unit_en: str
    theme: str
    direction: int
    sources: tuple[dict, ...] = ()
    formula: dict | None = None
    available: bool = True
    note_ru: str = ""
    note_en: str = ""
    #: plausible (min, max) in the canonical unit; a published value outside
    #: it is rejected with its cell (None: no bound)
    range: tuple[float | None, float | None] = (None, None)
    #: how an annual value comes from sub-annual ones (see analytics.etl.annual)
    annual: str = ""


def _range(item: dict, path: Path) -> tuple[float | None, float | None]:
    bounds = item.get("range")
    if bounds is None:
        return (None, None)
    if (
        not isinstance(bounds, list)
        or len(bounds) != 2
        or not all(b is None or isinstance(b, int | float) for b in bounds)
        or (None not in bounds and bounds[0] > bounds[1])
    ):
        raise ValueError(
            f"{path.name}: у показателя {item.get('id', '?')} диапазон "
            f"{bounds!r} — нужен список [минимум, максимум]"
        )
    return tuple(None if b is None else float(b) for b in bounds)


@dataclass
class Catalog:
    entries: dict[str, CatalogEntry]
    by_code: dict[str, tuple[str, str]] = field(default_factory=dict)
    by_name: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def annual_rules(self) -> dict[str, str]:
        """Indicator id → the rule that derives its annual value from
        sub-annual ones (only the indicators that state one)."""
        return {e.id: e.annual for e in self.entries.values() if e.annual}

    @property
    def column_units(self) -> dict[str, str]:
        """Panel column names (non-code) the catalog knows, with their unit."""
        return {
            src["column"]: src.get("unit", "")
            for entry in self.entries.values()
            for src in entry.sources
            if "column" in src
        }


def load_catalog(path: Path = DEFAULT_CATALOG) -> Catalog:
    """Read the YAML catalog; raise ``ValueError`` naming the entry on errors."""
    # the C loader when PyYAML has it (the catalog is read on every run)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
    entries: dict[str, CatalogEntry] = {}
    catalog = Catalog(entries)
    for item in data["indicators"]:
        try:
            entry = CatalogEntry(
                id=item["id"],
                name_ru=item["name_ru"],
                name_en=item["name_en"],
                unit=item["unit"],
                unit_en=item["unit_en"],
                theme=item["theme"],
                direction=int(item["direction"]),
                sources=tuple(item.get("sources", ())),
                formula=item.get("formula"),
                available=item.get("available", True),
                note_ru=item.get("note_ru", ""),
                note_en=item.get("note_en", ""),
                range=_range(item, path),
                annual=check_rule(item.get("annual"), item["id"]),
            )
        except KeyError as error:
            raise ValueError(
                f"{path.name}: у показателя {item.get('id', '?')} нет поля {error}"
            ) from error
        if entry.id in entries:
            raise ValueError(f"{path.name}: показатель {entry.id} описан дважды")
        entries[entry.id] = entry
        for src in entry.sources:
            unit = src.get("unit", "")
            if "code" in src:
                catalog.by_code[src["code"].lower()] = (entry.id, unit)
            if "column" in src:
                catalog.by_code[src["column"].lower()] = (entry.id, unit)
            if "name" in src:
                catalog.by_name[normalize_name(src["name"])] = (entry.id, unit)
    for entry in entries.values():
        if entry.formula:
            for part in ("numerator", "denominator"):
                if entry.formula[part] not in entries:
                    raise ValueError(
                        f"{path.name}: формула {entry.id} ссылается на неизвестный "
                        f"показатель {entry.formula[part]}"
                    )
    return catalog


def slugify(name: str, *, prefix: str = "x") -> str:
    """A stable ASCII id for an indicator the catalog does not know.

    >>> slugify("Число больничных коек: всего (на конец года)|тысяч коек")
    'x_chislo_bolnichnykh_koek_vsego_na_kon_dde577'
    """
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in name.split("|")[0].lower())
    words = re.findall(r"[a-z0-9]+", latin)
    stem = "_".join(words)[:36].rstrip("_")
    return f"{prefix}_{stem}_{digest}"


@dataclass(frozen=True)
class Mapping:
    """How one raw indicator enters the store."""

    indicator_id: str
    scale: float  # multiply published values by this
    name_ru: str
    unit: str
    theme: str
    direction: int
    in_catalog: bool
    error: str = ""  # non-empty: the values cannot be loaded (unit mismatch)


def map_indicator(
    raw: RawIndicator, catalog: Catalog, code_names: dict[str, str]
) -> Mapping:
    """Map a published indicator to the catalog (or to an id of its own)."""
    hit = None
    if raw.code and raw.code.lower() in catalog.by_code:
        hit = catalog.by_code[raw.code.lower()]
    elif raw.name_ru and raw.name_ru.lower() in catalog.by_code:
        hit = catalog.by_code[raw.name_ru.lower()]
    elif raw.name_ru in catalog.entries:
        # A catalog id names the catalog's unit: a published unit of another
        # kind («%» for a population) is a mismatch, not a new unit.
        hit = (raw.name_ru, catalog.entries[raw.name_ru].unit)
    elif normalize_name(raw.name_ru) in catalog.by_name:
        hit = catalog.by_name[normalize_name(raw.name_ru)]
    if hit is not None:
        entry = catalog.entries[hit[0]]
        published = parse_unit(raw.unit or hit[1])
        canonical = parse_unit(entry.unit)
        expected = parse_unit(hit[1]) if hit[1] else published
        if raw.unit and hit[1] and published.base != expected.base:
            return Mapping(
                entry.id,
                1.0,
                entry.name_ru,
                entry.unit,
                entry.theme,
                entry.direction,
                True,
                error=f"единица «{raw.unit}» не совпадает с ожидаемой "
                f"«{hit[1]}» для показателя {entry.id}",
            )
        scale = published.scale / canonical.scale
        return Mapping(
            entry.id,
            scale,
            entry.name_ru,
            entry.unit,
            entry.theme,
            entry.direction,
            True,
        )
    name = raw.name_ru
    if raw.source_kind == "bdmo" and raw.code:
        name = code_names.get(raw.code, raw.code).replace("|||", " | ")
    unit = parse_unit(raw.unit)
    return Mapping(
        indicator_id=slugify(f"{name}|{unit.base}"),
        scale=unit.scale,
        name_ru=name,
        unit=unit.base if unit.scale != 1.0 else (raw.unit or ""),
        theme="other",
        direction=0,
        in_catalog=False,
    )
