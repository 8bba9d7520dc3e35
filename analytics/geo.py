"""User-supplied boundary files (GeoJSON) and their match to the store.

The project ships no boundaries (licences, size). A user may add a GeoJSON
FeatureCollection of regions or municipalities; the maps then become
choropleths (:mod:`analytics.maps`), and stay points at the administrative
centres without one.

Where boundaries live: ``STORE/boundaries/<name>.geojson``, beside the
store's ``versions/`` (see :mod:`analytics.store`). They are not part of a
version: an ETL run neither reads nor removes them, and they match whatever
version is live. :func:`save_boundaries` validates a file and writes it
atomically (a hidden temporary file, then a rename); :func:`load_boundaries`
reads every saved file; :func:`remove_boundaries` deletes one.

Matching a feature to a territory of the store (:func:`match_boundaries`):
every property of the features is tried as the key, and the property that
matches most features wins (on a tie: codes, then ISO, then names):

* **codes** — an 8-digit OKTMO (a municipality's ``territory_id``, or a
  subject's heading such as ``45000000``; an 11-digit OKTMO ending in ``000``
  is cut to 8; a code written as a number that lost its leading zero is
  padded, as the ETL does), or a subject's OKATO prefix (``45``, ``71100``, or
  ``45000000000``) from ``datasets/reference/regions.csv``;
* **ISO 3166-2** — ``RU-MOW``, through the ``iso_code`` column of the same
  crosswalk;
* **names** — through the ETL's own name matching
  (:class:`analytics.etl.territories.TerritoryResolver`: Russian and English
  names and every alias, after :func:`~analytics.etl.clean.normalize_name`),
  and the names of the store's territories.

Features whose key matches nothing are reported, never dropped silently.
Several features with the same territory (a region drawn in parts) are drawn
as one.

Geometry: only Polygon and MultiPolygon in WGS 84 longitude/latitude (what
GeoJSON requires); rings are rewound to the orientation plotly's map engine
(d3-geo) expects — outer rings clockwise, holes counter-clockwise — because
a file in the RFC 7946 orientation would otherwise be drawn as the whole
world minus the region. Coordinates are rounded to 4 decimals (about 10 m).

Errors are :class:`BoundaryError`, with a message in Russian and English that
names the file and, for a broken feature, its index.
"""

from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analytics.filenames import base_name, safe_file_name
from analytics.i18n import t

BOUNDARIES_DIR = "boundaries"
SUFFIX = ".geojson"
MAX_BYTES = 50 << 20
DIGITS = 4
METHODS = ("code", "iso", "name")  # tie-break order of key kinds


class BoundaryError(ValueError):
    """A boundary file refused; :meth:`message` says why in ``lang``
    (``str(error)`` is the Russian message)."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(t(key, "ru", **values))

    def message(self, lang: str = "ru") -> str:
        return t(self.key, lang, **self.values)


@dataclass(frozen=True)
class Boundaries:
    """A validated boundary file: ``collection`` is the normalised
    FeatureCollection (rewound, rounded), features in file order."""

    name: str
    collection: dict

    @property
    def features(self) -> list[dict]:
        return self.collection["features"]


@dataclass(frozen=True)
class BoundaryMatch:
    """Which feature is which territory.

    ``territory_ids`` has one entry per feature ('' where unmatched);
    ``keys`` the key value of each feature as the file writes it.
    """

    boundaries: Boundaries
    key: str | None
    method: str
    territory_ids: tuple[str, ...]
    keys: tuple[str, ...]

    @property
    def matched(self) -> int:
        return sum(1 for i in self.territory_ids if i)

    @property
    def unmatched(self) -> int:
        return len(self.territory_ids) - self.matched

    @property
    def ids(self) -> set[str]:
        return {i for i in self.territory_ids if i}

    def unmatched_table(self, lang: str = "ru") -> pd.DataFrame:
        """Features no territory was found for: index in the file and key."""
        rows = [
            (index, key)
            for index, (key, found) in enumerate(
                zip(self.keys, self.territory_ids, strict=True)
            )
            if not found
        ]
        return pd.DataFrame(
            rows, columns=[t("geo.col_feature", lang), t("geo.col_key", lang)]
        )

    def geojson(self, ids: set[str] | None = None) -> dict:
        """A FeatureCollection of the matched features, ``id`` = territory
        id (features of one territory merged into one MultiPolygon); only
        ``ids`` when given."""
        parts: dict[str, list] = {}
        for feature, found in zip(
            self.boundaries.features, self.territory_ids, strict=True
        ):
            if not found or (ids is not None and found not in ids):
                continue
            geometry = feature["geometry"]
            polygons = (
                [geometry["coordinates"]]
                if geometry["type"] == "Polygon"
                else geometry["coordinates"]
            )
            parts.setdefault(found, []).extend(polygons)
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": territory,
                    "properties": {},
                    "geometry": {"type": "MultiPolygon", "coordinates": polygons},
                }
                for territory, polygons in parts.items()
            ],
        }


# ----------------------------------------------------------------- reading


def _ring_area(ring: list) -> float:
    """Twice the signed planar area; positive for a clockwise ring in
    longitude/latitude (x east, y north)."""
    return sum(
        (x2 - x1) * (y2 + y1)
        for (x1, y1, *_), (x2, y2, *_) in zip(ring, ring[1:], strict=False)
    )


def _clean_ring(ring: object, where: dict) -> list:
    if not isinstance(ring, list) or len(ring) < 4:
        raise BoundaryError("geo.err_ring", **where)
    out = []
    for point in ring:
        if (
            not isinstance(point, list | tuple)
            or len(point) < 2
            or not all(
                isinstance(v, int | float) and not isinstance(v, bool)
                for v in point[:2]
            )
        ):
            raise BoundaryError("geo.err_ring", **where)
        lon, lat = float(point[0]), float(point[1])
        if not (-180.0 <= lon <= 360.0 and -90.0 <= lat <= 90.0):
            raise BoundaryError(
                "geo.err_projected", lon=round(lon, 1), lat=round(lat, 1), **where
            )
        out.append([round(lon, DIGITS), round(lat, DIGITS)])
    return out


def _clean_polygon(rings: object, where: dict) -> list:
    if not isinstance(rings, list) or not rings:
        raise BoundaryError("geo.err_ring", **where)
    cleaned = [_clean_ring(ring, where) for ring in rings]
    # d3-geo: outer ring clockwise, holes counter-clockwise
    for i, ring in enumerate(cleaned):
        clockwise = _ring_area(ring) > 0
        if clockwise != (i == 0):
            ring.reverse()
    return cleaned


def _clean_feature(feature: object, where: dict) -> dict:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise BoundaryError("geo.err_feature", **where)
    geometry = feature.get("geometry")
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        raise BoundaryError("geo.err_geometry", kind=kind or "null", **where)
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        coordinates = _clean_polygon(coordinates, where)
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise BoundaryError("geo.err_ring", **where)
        coordinates = [_clean_polygon(p, where) for p in coordinates]
    properties = feature.get("properties")
    properties = dict(properties) if isinstance(properties, dict) else {}
    if feature.get("id") is not None and "id" not in properties:
        properties["id"] = feature["id"]
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": {"type": kind, "coordinates": coordinates},
    }


def parse_boundaries(data: bytes | str | dict, name: str = "boundaries") -> Boundaries:
    """Validate and normalise a GeoJSON FeatureCollection.

    Raises
    ------
    BoundaryError
        Not JSON, not a FeatureCollection, no features, or a feature without a
        Polygon/MultiPolygon in longitude/latitude (the message names the file
        and the feature's index, counted from 0).
    """
    if isinstance(data, bytes | bytearray):
        if len(data) > MAX_BYTES:
            raise BoundaryError("geo.err_size", file=name, mb=MAX_BYTES >> 20)
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BoundaryError("geo.err_json", file=name, reason="not UTF-8") from None
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as error:
            reason = f"{error.msg}, line {error.lineno}, column {error.colno}"
            raise BoundaryError("geo.err_json", file=name, reason=reason) from None
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise BoundaryError("geo.err_collection", file=name, kind=kind)
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise BoundaryError("geo.err_empty", file=name)
    cleaned = [
        _clean_feature(feature, {"file": name, "index": index})
        for index, feature in enumerate(features)
    ]
    return Boundaries(
        name=name, collection={"type": "FeatureCollection", "features": cleaned}
    )


# ----------------------------------------------------------------- matching


@functools.lru_cache(maxsize=1)
def _reference() -> tuple:
    """The ETL's name resolver and the region crosswalk (read once)."""
    from analytics.etl.territories import REGIONS_CSV, load_resolver

    regions = pd.read_csv(REGIONS_CSV, dtype=str, keep_default_na=False)
    active = regions[(regions["level"] == "region") & (regions["status"] == "active")]
    by_iso = {
        row.iso_code.upper(): row.territory_id
        for row in active.itertuples(index=False)
        if row.iso_code
    }
    # territory ids of subjects are ISO-like («RU-CR» where ISO has none)
    by_iso.update({i.upper(): i for i in active["territory_id"] if i.startswith("RU-")})
    by_okato = {row.okato: row.territory_id for row in active.itertuples() if row.okato}
    by_oktmo = {row.oktmo: row.territory_id for row in active.itertuples() if row.oktmo}
    return load_resolver(), by_iso, by_okato, by_oktmo


def _code_id(value: str, key: str, known: set[str]) -> str | None:
    _, _, by_okato, by_oktmo = _reference()
    digits = value.strip()
    if not digits.isdigit():
        return None
    hint = key.lower()
    if len(digits) in (7, 10):  # a number that lost its leading zero
        digits = digits.zfill(len(digits) + 1)
    if len(digits) == 11 and digits.endswith("000") and "okato" not in hint:
        digits = digits[:8]
    if len(digits) == 8 and "okato" not in hint:
        if digits in known:
            return digits
        if digits in by_oktmo:
            return by_oktmo[digits]
    if len(digits) == 1 and "okato" in hint:
        digits = digits.zfill(2)
    stripped = digits.rstrip("0")
    for size in (5, 2):
        prefix = digits[:size]
        if len(stripped) <= size and prefix in by_okato:
            return by_okato[prefix]
    return None


def _iso_id(value: str) -> str | None:
    return _reference()[1].get(value.strip().upper())


def _name_id(value: str, store_names: dict[str, str]) -> str | None:
    from analytics.etl.clean import normalize_name

    found = _reference()[0].resolve_name(value)
    return found or store_names.get(normalize_name(value))


def _key_text(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def match_boundaries(
    boundaries: Boundaries, territories: pd.DataFrame | None = None
) -> BoundaryMatch:
    """Match each feature to a territory of ``territories`` (the store's
    table; ``None``: any territory of the reference), picking the property
    that matches most features."""
    from analytics.etl.clean import normalize_name

    known: set[str] | None = None
    store_names: dict[str, str] = {}
    if territories is not None and len(territories):
        known = set(territories["territory_id"])
        for column in ("name_ru", "name_en"):
            if column in territories:
                keys = territories[column].map(normalize_name)
                unique = ~keys.duplicated(keep=False) & (keys != "")
                store_names.update(
                    zip(keys[unique], territories["territory_id"][unique], strict=True)
                )
    candidates = sorted(
        {k for f in boundaries.features for k in f["properties"]},
        key=str,
    )
    best: BoundaryMatch | None = None
    best_score = (-1, 0)
    for key in candidates:
        values = [_key_text(f["properties"].get(key)) for f in boundaries.features]
        if not any(values):
            continue
        for rank, method in enumerate(METHODS):
            ids = []
            for value in values:
                found = None
                if value is not None:
                    if method == "code":
                        found = _code_id(value, key, known or set())
                    elif method == "iso":
                        found = _iso_id(value)
                    else:
                        found = _name_id(value, store_names)
                if found and known is not None and found not in known:
                    found = None
                ids.append(found or "")
            score = (sum(1 for i in ids if i), -rank)
            if score > best_score:
                best_score = score
                best = BoundaryMatch(
                    boundaries=boundaries,
                    key=key,
                    method=method,
                    territory_ids=tuple(ids),
                    keys=tuple(v or "" for v in values),
                )
    if best is None or best.matched == 0:
        first = next(iter(candidates), None)
        values = [
            _key_text(f["properties"].get(first)) or "" if first else ""
            for f in boundaries.features
        ]
        return BoundaryMatch(
            boundaries=boundaries,
            key=None,
            method="",
            territory_ids=("",) * len(boundaries.features),
            keys=tuple(values),
        )
    return best


# ----------------------------------------------------------------- storage


def boundaries_dir(store_path: str | Path) -> Path:
    """``STORE/boundaries`` (not created)."""
    return Path(store_path) / BOUNDARIES_DIR


def safe_name(name: str) -> str:
    """A file name for a boundary file: its stem, cleaned, with ``.geojson``.

    >>> safe_name("../Границы регионов.GeoJSON")
    'Границы_регионов.geojson'
    >>> safe_name("regions.json")
    'regions.geojson'
    """
    stem = re.sub(r"\.(geo)?json$", "", base_name(name), flags=re.I)
    return safe_file_name(stem, SUFFIX, fallback="boundaries")


def save_boundaries(store_path: str | Path, name: str, data: bytes) -> Boundaries:
    """Validate ``data`` and store it as ``STORE/boundaries/<name>.geojson``
    (replacing a file of the same name atomically). Returns the parsed file.

    Raises
    ------
    BoundaryError
        The file is not a usable GeoJSON (nothing is written then).
    """
    file_name = safe_name(name)
    parsed = parse_boundaries(data, file_name)
    folder = boundaries_dir(store_path)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / file_name
    part = folder / f".{file_name}.part"
    with open(part, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(part, target)
    return parsed


def saved_files(store_path: str | Path) -> list[Path]:
    """The saved boundary files, by name."""
    folder = boundaries_dir(store_path)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"*{SUFFIX}") if p.is_file())


def signature(store_path: str | Path) -> tuple:
    """(name, size, mtime) of each saved file: a cache key that changes when
    a file is saved or removed."""
    return tuple(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns)
        for p in saved_files(store_path)
    )


def load_boundaries(store_path: str | Path) -> list[Boundaries]:
    """Every saved boundary file, parsed. A file that became unreadable
    raises :class:`BoundaryError` naming it."""
    return [parse_boundaries(p.read_bytes(), p.name) for p in saved_files(store_path)]


def remove_boundaries(store_path: str | Path, name: str) -> bool:
    """Delete a saved boundary file; False when there was none."""
    target = boundaries_dir(store_path) / safe_name(name)
    if target.is_file():
        target.unlink()
        return True
    return False


def best_match(
    matches: list[BoundaryMatch], territory_ids: list[str] | set[str]
) -> BoundaryMatch | None:
    """The match that covers most of ``territory_ids`` (None if none does)."""
    wanted = set(territory_ids)
    scored = [(len(m.ids & wanted), m) for m in matches]
    scored = [s for s in scored if s[0] > 0]
    if not scored:
        return None
    return max(scored, key=lambda s: s[0])[1]
