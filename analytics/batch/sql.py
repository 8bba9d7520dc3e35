"""Every index of :func:`analytics.indices.summarize` in SQL, for DuckDB and Spark.

One query text serves both engines. It reads three tables (views) the engine
registers over the store's live version:

``observations``
    the partitions (``territory_id, year, period, indicator_id, value,
    source_id``; ``period`` NULL in partitions written before it existed);
``territories``
    ``territory_id, level, agglomeration_id, region_id``;
``sources``
    ``source_id, priority``.

and follows the numpy engine step by step:

1. annual values only, then one value per territory, indicator, year and
   period: the source of the highest
   priority wins (``max_by``), as :func:`analytics.store.open_store` resolves
   conflicts;
2. municipal rows only (levels above municipalities are left out; a territory
   missing from the table stays), with the territory's agglomeration (none
   outside one) and region, and, when weighted, its population (1 January,
   else the annual average: :func:`analytics.selection.population`);
3. per group, over the rows whose value (and weight) is present, sorted by
   value: weights ``w`` (1 when unweighted), shares ``p = w / Σw``, relative
   levels ``r = x / μ`` with ``μ = Σwx / Σw``, and the cumulative share
   ``F`` (a running sum over the sorted rows divided by ``Σw``). Then

   * Theil ``Σ p r ln r``, MLD ``−Σ p ln r``, CV ``√Σ p (r−1)²``,
     Hoover ``½ Σ |p (r−1)|``, Atkinson ``1 − (Σ p √r)²``, ``1 − e^−MLD``,
     ``1 − 1 / Σ (p / r)``;
   * Gini ``Σ (2F − p) p r − 1`` (sorted cumulative sums; rows tied in value
     give the same sum in any order);
   * the weighted inverted-CDF quantile of numpy's engine: the smallest
     ``x`` with ``F ≥ q`` (``q = 0.1, 0.9``); the minimum and maximum over rows
     of positive weight;

   and the same rules for undefined indices: fewer than 2 values, a negative
   value, a zero total weight or mean give NULL for every index; a zero value
   for MLD and Atkinson; a zero minimum or 10th percentile for the ratios.

Every division goes through ``NULLIF`` and every logarithm and root through a
``CASE``, so that Spark's ANSI mode and DuckDB never raise on a group whose
index is undefined.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Levels of territories above municipalities (left out of the groups).
ABOVE_MUNICIPAL = ("country", "federal_district", "region", "region_part")
#: The period of annual values (``analytics.store.ANNUAL``; derived annual
#: values are ``year:…``); sub-annual values are left out, as ``open_store`` does.
ANNUAL = "year"
POPULATION = "population"
POPULATION_FALLBACK = "population_avg"
#: Grouping keys the batch knows, by short name.
KEYS = {
    "indicator": "indicator_id",
    "year": "year",
    "agglomeration": "agglomeration_id",
    "region": "region_id",
}


def _quoted(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def summary_sql(by: Sequence[str], *, weighted: bool) -> str:
    """The query: one row per group of the ``by`` columns (store column
    names, from :data:`KEYS`), with ``n`` and every index column."""
    unknown = [k for k in by if k not in KEYS.values()]
    if unknown:
        raise ValueError(f"unknown grouping column(s): {', '.join(unknown)}")
    keys = ", ".join(by)
    part = f"PARTITION BY {keys + ', ' if by else ''}ok"
    group = f"GROUP BY {keys}" if by else ""
    select_keys = keys + ", " if by else ""
    weight = "p.population" if weighted else "CAST(1.0 AS DOUBLE)"
    pop_join = (
        "LEFT JOIN pop p ON o.territory_id = p.territory_id AND o.year = p.year"
        if weighted
        else ""
    )
    return f"""
WITH periods AS (
  SELECT o.territory_id, o.year, o.indicator_id, o.value, o.source_id,
         COALESCE(CAST(o.period AS STRING), '{ANNUAL}') AS period
  FROM observations o
),
ranked AS (
  SELECT o.territory_id, CAST(o.year AS INT) AS year,
         CAST(o.indicator_id AS STRING) AS indicator_id, o.period,
         CAST(o.value AS DOUBLE) AS value,
         COALESCE(s.priority, -1) AS priority
  FROM periods o LEFT JOIN sources s ON o.source_id = s.source_id
  WHERE o.period = '{ANNUAL}' OR o.period LIKE '{ANNUAL}:%'
),
obs AS (
  SELECT territory_id, year, indicator_id, max_by(value, priority) AS value
  FROM ranked GROUP BY territory_id, year, indicator_id, period
),
terr AS (
  SELECT territory_id, min(level) AS level,
         min(NULLIF(agglomeration_id, '')) AS agglomeration_id,
         min(NULLIF(region_id, '')) AS region_id
  FROM territories GROUP BY territory_id
),
pop AS (
  SELECT territory_id, year, COALESCE(
    max(CASE WHEN indicator_id = '{POPULATION}' THEN value END),
    max(CASE WHEN indicator_id = '{POPULATION_FALLBACK}' THEN value END)
  ) AS population
  FROM obs WHERE indicator_id IN ('{POPULATION}', '{POPULATION_FALLBACK}')
  GROUP BY territory_id, year
),
flagged AS (
  SELECT o.indicator_id, o.year, t.agglomeration_id, t.region_id,
         o.value AS x, {weight} AS w
  FROM obs o LEFT JOIN terr t ON o.territory_id = t.territory_id
  {pop_join}
  WHERE COALESCE(t.level, '') NOT IN ({_quoted(ABOVE_MUNICIPAL)})
),
marked AS (
  SELECT {select_keys}x, w,
         (x IS NOT NULL AND NOT isnan(x) AND w IS NOT NULL AND NOT isnan(w)) AS ok
  FROM flagged
),
win AS (
  SELECT {select_keys}ok, x, w,
         sum(w) OVER ({part}) AS tw,
         sum(w * x) OVER ({part}) AS twx,
         sum(w) OVER ({part} ORDER BY x
                      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
  FROM marked
),
shares AS (
  SELECT {select_keys}ok, x, w, tw, twx / NULLIF(tw, 0) AS mean,
         w / NULLIF(tw, 0) AS p, cum / NULLIF(tw, 0) AS cdf
  FROM win
),
terms AS (
  SELECT {select_keys}ok, x, w, tw, mean, p, cdf, x / NULLIF(mean, 0) AS r
  FROM shares
),
agg AS (
  SELECT {select_keys}
    count(CASE WHEN ok THEN 1 END) AS n,
    max(CASE WHEN ok THEN tw END) AS tw,
    max(CASE WHEN ok THEN mean END) AS mean,
    min(CASE WHEN ok THEN x END) AS lo,
    sum(CASE WHEN ok AND r > 0 THEN p * r * ln(r) ELSE 0 END) AS theil,
    -sum(CASE WHEN ok AND r > 0 THEN p * ln(r) ELSE 0 END) AS mld,
    sum(CASE WHEN ok THEN p * (r - 1) * (r - 1) ELSE 0 END) AS cv2,
    sum(CASE WHEN ok THEN abs(p * (r - 1)) ELSE 0 END) AS hoover2,
    sum(CASE WHEN ok AND r >= 0 THEN p * sqrt(r) ELSE 0 END) AS root,
    sum(CASE WHEN ok AND r <> 0 THEN p / r ELSE 0 END) AS inverse,
    sum(CASE WHEN ok THEN (2 * cdf - p) * p * r ELSE 0 END) AS gini1,
    min(CASE WHEN ok AND w > 0 THEN x END) AS smallest,
    max(CASE WHEN ok AND w > 0 THEN x END) AS largest,
    min(CASE WHEN ok AND cdf >= 0.1 THEN x END) AS p10,
    min(CASE WHEN ok AND cdf >= 0.9 THEN x END) AS p90
  FROM terms {group}
),
judged AS (
  SELECT *,
    (n >= 2 AND lo >= 0 AND tw > 0 AND mean > 0) AS defined,
    (n >= 2 AND lo > 0 AND tw > 0 AND mean > 0) AS positive
  FROM agg
)
SELECT {select_keys}n,
  CASE WHEN defined THEN gini1 - 1 END AS gini,
  CASE WHEN defined THEN theil END AS theil,
  CASE WHEN positive THEN mld END AS mld,
  CASE WHEN defined THEN sqrt(cv2) END AS cv,
  CASE WHEN positive THEN 1 - root * root END AS atkinson_0_5,
  CASE WHEN positive THEN 1 - exp(-mld) END AS atkinson_1,
  CASE WHEN positive THEN 1 - 1 / NULLIF(inverse, 0) END AS atkinson_2,
  CASE WHEN defined THEN 0.5 * hoover2 END AS hoover,
  CASE WHEN defined AND smallest > 0 THEN largest / smallest END AS ratio_max_min,
  CASE WHEN defined AND p10 > 0 THEN p90 / p10 END AS ratio_p90_p10
FROM judged
"""
