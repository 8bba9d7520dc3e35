"""Series across municipal reforms: old OKTMO codes → today's municipalities.

Municipalities merge (two districts and a town become one okrug), turn from
districts into okrugs (a new OKTMO code for the same territory), split or hand
over parts of their territory. Files keep the code a municipality had in the
year they describe, so one place's series breaks at every reform. The
versioned municipal dictionary (``datasets/reference/oktmo_reforms.csv``,
written by ``datasets/make_real.py`` from SberIndex's
``t_dict_municipal_districts.xlsx``: one row per version of a municipality
with its OKTMO, names, years of validity and the ids of the changes that
ended or began it) says what each code meant in each year and what became of
it. :func:`apply` re-expresses a file's values in today's borders:

* **recode** — the same territory under a new code (a district turned okrug):
  every value moves to today's code;
* **union** — several municipalities became one: indicators the catalog marks
  ``aggregation: sum`` (populations, budgets, headcounts) are summed over all
  the parts, only when every part has a value for that year; per-capita values
  and shares are then recomputed from the summed components by the catalog's
  formulas (:func:`analytics.etl.pipeline.derive`); anything else (wages,
  published shares and per-capita values) cannot be re-aggregated and is left
  out, with a reason;
* **boundary change** (``transfer``) where the municipality itself continues:
  its values stay under its current code, flagged (no components exist to
  re-cut them); a piece that does not continue, and a split (``disunion``),
  cannot be assigned and is left out.

What was done is returned as rows for the store's ``reforms`` table (one per
old code, year and action) so the data page can show the mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analytics.store import (
    INDICATOR_ID,
    PERIOD,
    TERRITORY_ID,
    VALUE,
    YEAR,
    is_annual,
)

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "datasets" / "reference"
REFORMS_CSV = REFERENCE_DIR / "oktmo_reforms.csv"
CATALOG_YAML = REFERENCE_DIR / "indicators.yaml"
CURRENT = 9999

REFORM_COLUMNS = [
    "source_id",
    "from_oktmo",
    "from_name",
    "year",
    "to_oktmo",
    "to_name",
    "change",  # recode / union / transfer / disunion
    "action",  # moved / summed / kept_flagged / left_out
    "indicators",
    "values",
    "note",
]


NOTES = {
    "recode": "тот же муниципалитет под новым кодом",
    "transfer": "границы менялись (передача части территории): значения "
    "оставлены без пересчёта",
    "disunion": "часть территории выделена в новый муниципалитет: значения "
    "оставлены без пересчёта",
}


@dataclass(frozen=True)
class Target:
    """What a code of a year became."""

    oktmo: str  # today's code ('' when it cannot be assigned)
    name: str
    change: str  # '', recode, union, transfer, disunion
    parts: tuple[str, ...] = ()  # the old codes of the same union


@dataclass
class Crosswalk:
    versions: pd.DataFrame
    _by_code: dict[str, list[int]] = field(default_factory=dict)
    _by_change_from: dict[str, list[int]] = field(default_factory=dict)
    _by_change_to: dict[str, list[int]] = field(default_factory=dict)
    _by_key: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        v = self.versions
        for i, (code, key, src, dst) in enumerate(
            zip(v.oktmo, v.territory_key, v.change_id_from, v.change_id_to, strict=True)
        ):
            self._by_code.setdefault(code, []).append(i)
            self._by_key.setdefault(key, []).append(i)
            if src:
                self._by_change_from.setdefault(src, []).append(i)
            if dst:
                self._by_change_to.setdefault(dst, []).append(i)

    @property
    def codes(self) -> set[str]:
        return set(self._by_code)

    def version(self, oktmo: str, year: int) -> int | None:
        """The version a code stands for in a year: valid that year, else the
        latest begun by then, else (years before the dictionary) the
        earliest."""
        rows = self._by_code.get(oktmo)
        if not rows:
            return None
        v = self.versions
        start, end = v.year_from.to_numpy(), v.year_to.to_numpy()
        valid = [i for i in rows if start[i] <= year < end[i]]
        if valid:
            return max(valid, key=lambda i: start[i])
        begun = [i for i in rows if start[i] <= year]
        if begun:
            return max(begun, key=lambda i: (end[i], start[i]))
        return min(rows, key=lambda i: start[i])

    def _current_of(self, index: int, seen: frozenset = frozenset()) -> tuple:
        """(today's version, change kind, union parts) for a version."""
        v = self.versions
        if int(v.year_to.iat[index]) == CURRENT:
            return index, "", ()
        key = v.territory_key.iat[index]
        change = v.change_id_to.iat[index]
        if index in seen:
            return None, "cycle", ()
        seen = seen | {index}
        if not change:
            # the same territory under a later code (district → okrug)
            later = [
                i
                for i in self._by_key.get(key, [])
                if v.year_from.iat[i] >= v.year_from.iat[index] and i != index
            ]
            if not later:
                return None, "ended", ()
            nxt = max(later, key=lambda i: v.year_to.iat[i])
            found, kind, parts = self._current_of(nxt, seen)
            return found, kind or "recode", parts
        kind = change.split("_")[0]
        successors = self._by_change_from.get(change, [])
        code = v.oktmo.iat[index]
        continuing = [
            i
            for i in successors
            if v.territory_key.iat[i] == key or v.oktmo.iat[i] == code
        ]
        if kind == "union" and len(successors) == 1:
            found, later_kind, _ = self._current_of(successors[0], seen)
            parts = tuple(v.oktmo.iat[i] for i in self._by_change_to.get(change, []))
            return found, "union" if later_kind in ("", "recode") else later_kind, parts
        if continuing:
            found, later_kind, parts = self._current_of(continuing[0], seen)
            if later_kind in ("", "recode"):
                return found, kind, ()
            return found, later_kind, parts
        if len(successors) == 1:
            found, later_kind, _ = self._current_of(successors[0], seen)
            parts = tuple(v.oktmo.iat[i] for i in self._by_change_to.get(change, []))
            return found, "union" if later_kind in ("", "recode") else later_kind, parts
        return None, kind or "ended", ()

    def target(self, oktmo: str, year: int) -> Target | None:
        """What ``oktmo`` of ``year`` is today; None for a code the dictionary
        does not know (left as it is)."""
        index = self.version(oktmo, year)
        if index is None:
            return None
        found, kind, parts = self._current_of(index)
        if found is None:
            return Target("", "", kind)
        v = self.versions
        return Target(v.oktmo.iat[found], v.name_ru.iat[found], kind, parts)


@lru_cache(maxsize=2)
def _load(path: str, mtime: float) -> Crosswalk:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["year_from"] = frame["year_from"].astype(int)
    frame["year_to"] = frame["year_to"].astype(int)
    return Crosswalk(frame.reset_index(drop=True))


def load_crosswalk(path: Path = REFORMS_CSV) -> Crosswalk | None:
    """The crosswalk, or None when the reference table is absent."""
    if not path.exists():
        return None
    return _load(str(path), path.stat().st_mtime)


def additive_indicators(path: Path = CATALOG_YAML) -> set[str]:
    """Catalog ids marked ``aggregation: sum``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        item["id"]
        for item in data["indicators"]
        if str(item.get("aggregation", "")).lower() == "sum"
    }


def mapping_table(crosswalk: Crosswalk | None = None) -> pd.DataFrame:
    """Every old code of the dictionary with today's code and the change
    (for the data page): one row per version that is not current."""
    crosswalk = crosswalk or load_crosswalk()
    if crosswalk is None:
        return pd.DataFrame(
            columns=[
                "from_oktmo",
                "from_name",
                "year_from",
                "year_to",
                "to_oktmo",
                "to_name",
                "change",
            ]
        )
    v = crosswalk.versions
    rows = []
    for i in np.flatnonzero(v.year_to.to_numpy() != CURRENT):
        found = crosswalk.target(v.oktmo.iat[i], int(v.year_from.iat[i]))
        # the version itself, not whichever version the code has first
        index, kind, _ = crosswalk._current_of(int(i))
        rows.append(
            {
                "from_oktmo": v.oktmo.iat[i],
                "from_name": v.name_ru.iat[i],
                "year_from": int(v.year_from.iat[i]),
                "year_to": int(v.year_to.iat[i]),
                "to_oktmo": v.oktmo.iat[index] if index is not None else "",
                "to_name": v.name_ru.iat[index] if index is not None else "",
                "change": kind if index is not None else (kind or "ended"),
            }
        )
        del found
    return pd.DataFrame(rows)


def apply(
    frame: pd.DataFrame,
    source_id: str,
    crosswalk: Crosswalk | None,
    additive: set[str],
    names: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, list[dict], list[dict], dict[str, str]]:
    """``frame`` (observations of one file) in today's borders.

    Returns the new frame, the reform rows (:data:`REFORM_COLUMNS`), the
    rejects for values left out (kind ``skipped``) and today's codes with
    their names (territories to add to the store's table).
    """
    if crosswalk is None or frame.empty:
        return frame, [], [], {}
    if PERIOD in frame.columns:
        # annual values only: a union sums years, never months or quarters
        # (sub-annual values of an old code stay under it)
        annual = is_annual(frame[PERIOD])
        if not annual.all():
            done, log, rejects, added = apply(
                frame[annual], source_id, crosswalk, additive, names
            )
            rest = frame[~annual]
            merged = pd.concat(
                [plain_frame(done), plain_frame(rest)], ignore_index=True
            )
            return _categorical(merged), log, rejects, added
    names = dict(names or {})
    territory = frame[TERRITORY_ID].astype(str)
    candidates = territory.isin(crosswalk.codes).to_numpy()
    if not candidates.any():
        return frame, [], [], {}
    pairs = frame.loc[candidates, [TERRITORY_ID, YEAR]].astype({TERRITORY_ID: str})
    pairs = pairs.drop_duplicates()
    targets: dict[tuple[str, int], Target] = {}
    for code, year in zip(pairs[TERRITORY_ID], pairs[YEAR].astype(int), strict=True):
        found = crosswalk.target(code, year)
        if found is not None and (found.change or found.oktmo != code):
            targets[(code, year)] = found
    if not targets:
        return frame, [], [], {}
    for code, year in targets:
        if not names.get(code):
            index = crosswalk.version(code, year)
            names[code] = crosswalk.versions.name_ru.iat[index]
    key = list(zip(territory, frame[YEAR].astype(int), strict=True))
    hit = np.array([k in targets for k in key], dtype=bool)
    untouched = frame[~hit]
    moving = frame[hit].copy()
    moving["_from"] = moving[TERRITORY_ID].astype(str)
    moving["_to"] = [targets[k].oktmo for k, h in zip(key, hit, strict=True) if h]
    moving["_change"] = [targets[k].change for k, h in zip(key, hit, strict=True) if h]
    moving[INDICATOR_ID] = moving[INDICATOR_ID].astype(str)
    present = set(
        zip(
            untouched[TERRITORY_ID].astype(str),
            untouched[YEAR].astype(int),
            untouched[INDICATOR_ID].astype(str),
            strict=True,
        )
    )
    out, log, rejects, added = [], [], [], {}
    for (old, year, change), group in moving.groupby(
        ["_from", YEAR, "_change"], sort=True
    ):
        target = targets[(old, int(year))]
        base = {
            "source_id": source_id,
            "from_oktmo": old,
            "from_name": names.get(old, ""),
            "year": int(year),
            "to_oktmo": target.oktmo,
            "to_name": target.name,
            "change": change,
        }
        if not target.oktmo:
            log.append(
                {
                    **base,
                    "action": "left_out",
                    "indicators": group[INDICATOR_ID].nunique(),
                    "values": len(group),
                    "note": "территория разделена или передана по частям: значения "
                    "нельзя отнести к одному муниципалитету",
                }
            )
            rejects.append(_reject(base, len(group), "разделена/передана по частям"))
            continue
        added[target.oktmo] = target.name
        if change in ("recode", "transfer", "disunion"):
            kept = group[
                [
                    (target.oktmo, int(year), i) not in present
                    for i in group[INDICATOR_ID]
                ]
            ]
            out.append(kept.assign(**{TERRITORY_ID: target.oktmo}))
            log.append(
                {
                    **base,
                    "action": "moved" if change == "recode" else "kept_flagged",
                    "indicators": kept[INDICATOR_ID].nunique(),
                    "values": len(kept),
                    "note": NOTES.get(change, NOTES["disunion"]),
                }
            )
            continue
        # a union: handled once per (target, year) below
    unions = moving[moving["_change"] == "union"]
    for (target_code, year), group in unions.groupby(["_to", YEAR], sort=True):
        target = next(
            targets[(o, int(year))] for o in group["_from"] if (o, int(year)) in targets
        )
        parts = set(target.parts) or set(group["_from"])
        summed_ids, left_ids = [], []
        for indicator, rows in group.groupby(INDICATOR_ID, sort=True):
            have = set(rows["_from"])
            if (target_code, int(year), indicator) in present:
                left_ids.append(
                    (indicator, "уже есть значение в границах после реформы")
                )
            elif indicator not in additive:
                left_ids.append((indicator, "показатель не складывается (не сумма)"))
            elif not parts <= have:
                left_ids.append(
                    (
                        indicator,
                        "нет значений всех частей: " + ", ".join(sorted(parts - have)),
                    )
                )
            else:
                summed_ids.append(indicator)
                first = rows.iloc[:1].copy()
                first[TERRITORY_ID] = target_code
                first[VALUE] = float(rows[VALUE].sum())
                out.append(first)
        for old in sorted(set(group["_from"])):
            base = {
                "source_id": source_id,
                "from_oktmo": old,
                "from_name": names.get(old, ""),
                "year": int(year),
                "to_oktmo": target_code,
                "to_name": target.name,
                "change": "union",
            }
            mine = group[group["_from"] == old]
            summed = mine[mine[INDICATOR_ID].isin(summed_ids)]
            if len(summed):
                log.append(
                    {
                        **base,
                        "action": "summed",
                        "indicators": summed[INDICATOR_ID].nunique(),
                        "values": len(summed),
                        "note": "сложено с " + ", ".join(sorted(parts - {old})),
                    }
                )
            left = mine[~mine[INDICATOR_ID].isin(summed_ids)]
            if len(left):
                reasons = dict(left_ids)
                why = "; ".join(
                    f"{i}: {reasons.get(i, '')}"
                    for i in sorted(set(left[INDICATOR_ID]))
                )
                log.append(
                    {
                        **base,
                        "action": "left_out",
                        "indicators": left[INDICATOR_ID].nunique(),
                        "values": len(left),
                        "note": why[:500],
                    }
                )
                rejects.append(_reject(base, len(left), why[:300]))
    columns = list(frame.columns)
    result = (
        pd.concat([untouched] + [f[columns] for f in out], ignore_index=True)
        if out
        else untouched.reset_index(drop=True)
    )
    result = _categorical(result)
    return result, log, rejects, added


def plain_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical columns as strings (frames with different categories
    concatenate without losing values)."""
    return frame.astype(
        {
            c: str
            for c in frame.columns
            if isinstance(frame[c].dtype, pd.CategoricalDtype)
        }
    )


def _categorical(frame: pd.DataFrame) -> pd.DataFrame:
    """Ids, periods and sources as categoricals, as the ETL writes them."""
    for column in (TERRITORY_ID, INDICATOR_ID, PERIOD, "source_id"):
        if column in frame.columns:
            frame[column] = frame[column].astype(str).astype("category")
    return frame


def _reject(base: dict, count: int, why: str) -> dict:
    return {
        "sheet": "",
        "cell": f"ОКТМО {base['from_oktmo']}, {base['year']}",
        "raw_value": base["from_name"],
        "reason": f"реформа МО ({base['change']}): {count} знач. не пересчитаны в "
        f"границы {base['to_oktmo'] or '—'} — {why}",
        "kind": "skipped",
    }


@lru_cache(maxsize=2)
def _additive(path: str, mtime: float) -> frozenset:
    return frozenset(additive_indicators(Path(path)))


def apply_to_file(
    frame: pd.DataFrame, source_id: str, resolver
) -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    """:func:`apply` for the ETL: names of old codes from the territories the
    resolver learned, today's codes added to them. Returns the frame, the
    reform rows and the rejects."""
    crosswalk = load_crosswalk()
    if crosswalk is None or frame.empty:
        return frame, pd.DataFrame(columns=REFORM_COLUMNS), []
    learned = resolver.new_municipalities
    names = {code: row.get("name_ru", "") for code, row in learned.items()}
    additive = set(_additive(str(CATALOG_YAML), CATALOG_YAML.stat().st_mtime))
    result, log, rejects, added = apply(frame, source_id, crosswalk, additive, names)
    for code, name in added.items():
        if code not in learned:
            resolver.resolve_code(code, name)
    return result, pd.DataFrame(log, columns=REFORM_COLUMNS), rejects


def read_reforms(version_dir: Path) -> pd.DataFrame:
    """The ``reforms`` table of a store version (empty when it has none)."""
    file = Path(version_dir) / "reforms.parquet"
    if not file.exists():
        return pd.DataFrame(columns=REFORM_COLUMNS)
    return pd.read_parquet(file)


def reform_table(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The store's ``reforms`` table from the per-file rows."""
    frames = [f for f in frames if f is not None and len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=str) for c in REFORM_COLUMNS})
    table = pd.concat(frames, ignore_index=True)[REFORM_COLUMNS]
    table = table.astype(
        {c: str for c in REFORM_COLUMNS if c not in ("year", "indicators", "values")}
    ).astype({"year": "int64", "indicators": "int64", "values": "int64"})
    return table.sort_values(
        ["from_oktmo", "year", "source_id", "action"], kind="stable"
    ).reset_index(drop=True)
