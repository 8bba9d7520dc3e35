"""Which indicators and territories an analysis covers: shared by
:mod:`analytics.composite`, :mod:`analytics.gaps` and :mod:`analytics.typology`.

* :func:`select_indicators` -- catalog rows of the chosen indicators or themes
  (absolute amounts with a per-capita form left out, see
  :func:`size_dependent`);
* :func:`scope_territories` -- one agglomeration's members, or every
  municipality;
* :func:`require_columns` -- the error a function raises for an empty table
  or a missing column.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

from analytics.store import (
    AGGLOMERATION_ID,
    DIRECTION,
    INDICATOR_ID,
    LEVEL,
    TERRITORY_ID,
    THEME,
    VALUE,
    YEAR,
)

__all__ = [
    "ABOVE_MUNICIPAL_LEVELS",
    "GAP_THEMES",
    "PER_CAPITA_DENOMINATORS",
    "require_columns",
    "scope_territories",
    "select_indicators",
    "size_dependent",
]


#: Themes of the gap analyses and the composite indices.
GAP_THEMES: tuple[str, ...] = ("finance", "staffing", "competencies")


#: Levels that are not municipalities (left out of the default scope).
ABOVE_MUNICIPAL_LEVELS: tuple[str, ...] = (
    "country",
    "federal_district",
    "region",
    "region_part",
)


def require_columns(fn: str, frame: pd.DataFrame, name: str, columns: list) -> None:
    """Raise ValueError naming the table when it is empty or lacks a column."""
    if frame is None or len(frame) == 0:
        raise ValueError(f"{fn}: the {name} table is empty")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{fn}: the {name} table has no column {missing[0]!r}")


#: Denominators that make an absolute amount a per-capita ratio.
PER_CAPITA_DENOMINATORS: tuple[str, ...] = ("population", "population_avg")


def size_dependent(indicators: pd.DataFrame) -> dict[str, str]:
    """Absolute amounts that the catalog also divides by the population.

    Returns ``{amount id: per-capita id}`` from the catalog formulas, e.g.
    ``{"budget_revenue": "budget_revenue_per_capita"}``. Such totals measure
    the size of a territory more than its performance, so theme selections
    use their per-capita form instead.

    Examples
    --------
    >>> cat = pd.DataFrame({"indicator_id": ["rev", "rev_pc"], "formula": [
    ...     "", '{"numerator": "rev", "denominator": "population", "scale": 1}']})
    >>> size_dependent(cat)
    {'rev': 'rev_pc'}
    """
    if "formula" not in indicators.columns:
        return {}
    twins: dict[str, str] = {}
    for ind, formula in zip(
        indicators[INDICATOR_ID], indicators["formula"], strict=True
    ):
        if isinstance(formula, str) and formula.strip():
            spec = json.loads(formula)
            if spec.get("denominator") in PER_CAPITA_DENOMINATORS:
                twins.setdefault(str(spec["numerator"]), str(ind))
    return twins


def select_indicators(
    fn: str,
    indicators: pd.DataFrame,
    *,
    indicator_ids: str | Sequence[str] | None = None,
    theme: str | Sequence[str] | None = None,
    directed: bool = False,
    absolute: bool = False,
) -> pd.DataFrame:
    """Catalog rows (indexed by indicator id) of the chosen indicators.

    ``indicator_ids`` wins over ``theme``; with neither, the themes of
    :data:`GAP_THEMES`. When the choice is by theme: indicators marked
    ``available: false`` are left out, and so are absolute amounts with a
    per-capita form (:func:`size_dependent`) unless ``absolute=True``.
    ``directed=True`` keeps only direction ±1 when the choice is by theme,
    and raises for an explicitly named direction-0 indicator.
    """
    require_columns(fn, indicators, "indicators", [INDICATOR_ID, THEME, DIRECTION])
    catalog = indicators
    if not catalog[INDICATOR_ID].is_unique:
        catalog = catalog.drop_duplicates(INDICATOR_ID)
    catalog = catalog.set_index(INDICATOR_ID)
    if indicator_ids is not None:
        ids = [indicator_ids] if isinstance(indicator_ids, str) else list(indicator_ids)
        if not ids:
            raise ValueError(f"{fn}: indicator_ids is empty")
        unknown = [i for i in ids if i not in catalog.index]
        if unknown:
            raise ValueError(
                f"{fn}: unknown indicator {unknown[0]!r} (not in the catalog)"
            )
        chosen = catalog.loc[ids]
        if directed:
            flat = chosen.index[chosen[DIRECTION].astype(float) == 0].tolist()
            if flat:
                raise ValueError(
                    f"{fn}: indicator {flat[0]!r} has direction 0 (neither higher "
                    "nor lower is better): a gap or a score is undefined for it"
                )
        return chosen
    themes = GAP_THEMES if theme is None else theme
    themes = [themes] if isinstance(themes, str) else list(themes)
    # one mask, one filter: every filter of the catalog copies all its columns
    keep = np.array(catalog[THEME].isin(themes), dtype=bool)
    if "available" in catalog.columns:
        keep &= catalog["available"].fillna(True).astype(bool).to_numpy()
    if directed:
        keep &= catalog[DIRECTION].astype(float).to_numpy() != 0
    if not absolute:
        keep &= ~catalog.index.isin(list(size_dependent(indicators)))
    chosen = catalog[keep]
    if chosen.empty:
        raise ValueError(f"{fn}: the catalog has no indicator of theme {themes}")
    return chosen


def scope_territories(
    fn: str,
    observations: pd.DataFrame,
    territories: pd.DataFrame | None,
    agglomeration_id: str | None,
) -> pd.Index:
    """Territory ids in scope: one agglomeration's members, or every
    municipality (levels below region) when ``agglomeration_id`` is None."""
    require_columns(fn, observations, "observations", [TERRITORY_ID, YEAR, VALUE])
    if territories is None:
        if agglomeration_id is not None:
            raise ValueError(
                f"{fn}: agglomeration_id needs the territories table (roles)"
            )
        return pd.Index(observations[TERRITORY_ID].unique(), name=TERRITORY_ID)
    require_columns(fn, territories, "territories", [TERRITORY_ID])
    if agglomeration_id is not None:
        members = territories[AGGLOMERATION_ID].astype(str) == str(agglomeration_id)
        if not members.any():
            raise ValueError(
                f"{fn}: unknown agglomeration {agglomeration_id!r} "
                "(no territory belongs to it)"
            )
        ids = territories.loc[members, TERRITORY_ID]
    elif LEVEL in territories.columns:
        ids = territories.loc[
            ~territories[LEVEL].isin(ABOVE_MUNICIPAL_LEVELS), TERRITORY_ID
        ]
    else:
        ids = territories[TERRITORY_ID]
    return pd.Index(ids.unique(), name=TERRITORY_ID)
