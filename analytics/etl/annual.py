"""Annual values derived from sub-annual ones, by the catalog's rule.

The analysis reads annual values. A file that publishes an indicator only by
month, quarter or date gives an annual value only where the catalog states
how (``annual:`` of the indicator in ``datasets/reference/indicators.yaml``):

``sum``       a flow: the sum of the twelve months or the four quarters
``mean``      an average: the mean of the twelve months or the four quarters
``end``       a stock at the end of the year: December, the fourth quarter,
              or «на 31 декабря»
``jan1``      a stock on 1 January of the year («на 1 января», as the
              catalog's population)
``jan1_next`` a stock at the end of the year read as «на 1 января» of the next

Only complete years are derived (all twelve months or all four quarters),
and never where the file publishes the annual value itself. The derived
value's period is ``year:<rule>`` (for example ``year:sum``): it is annual
for the analysis and marked as derived wherever the period is shown.
"""

from __future__ import annotations

import pandas as pd

from analytics.store import ANNUAL, INDICATOR_ID, PERIOD, TERRITORY_ID, VALUE, YEAR

RULES = ("sum", "mean", "end", "jan1", "jan1_next")
_MONTHS = [f"M{m:02d}" for m in range(1, 13)]
_QUARTERS = ["Q1", "Q2", "Q3", "Q4"]


def annualize(frame: pd.DataFrame, rules: dict[str, str]) -> tuple[pd.DataFrame, int]:
    """``frame`` (one file's observations) with the annual values its
    sub-annual ones give by ``rules`` (indicator id → rule) appended, and the
    number appended."""
    if frame.empty or not rules or PERIOD not in frame.columns:
        return frame, 0
    column = frame[PERIOD]
    if isinstance(column.dtype, pd.CategoricalDtype) and set(
        column.cat.categories.astype(str)
    ) <= {ANNUAL}:
        return frame, 0  # an annual file (12 M values are not made strings)
    periods = column.astype(str)
    sub = periods != ANNUAL
    if not sub.any():
        return frame, 0
    indicators = frame[INDICATOR_ID].astype(str)
    wanted = sub & indicators.isin(list(rules))
    if not wanted.any():
        return frame, 0
    key = [TERRITORY_ID, INDICATOR_ID, YEAR]
    part = pd.DataFrame(
        {
            TERRITORY_ID: frame[TERRITORY_ID].astype(str)[wanted],
            INDICATOR_ID: indicators[wanted],
            YEAR: frame[YEAR][wanted].astype(int),
            PERIOD: periods[wanted],
            VALUE: frame[VALUE][wanted],
        }
    )
    published = set(
        zip(
            frame[TERRITORY_ID].astype(str)[~sub],
            indicators[~sub],
            frame[YEAR][~sub].astype(int),
            strict=True,
        )
    )
    out = []
    for indicator, group in part.groupby(INDICATOR_ID, sort=True):
        rule = rules[indicator]
        derived = _derive(group, rule, key)
        if derived.empty:
            continue
        keep = [
            k not in published
            for k in zip(
                derived[TERRITORY_ID], derived[INDICATOR_ID], derived[YEAR], strict=True
            )
        ]
        out.append(derived[keep].assign(**{PERIOD: f"{ANNUAL}:{rule}"}))
    if not out:
        return frame, 0
    added = pd.concat(out, ignore_index=True)
    added[YEAR] = added[YEAR].astype("int16")
    columns = list(frame.columns)
    merged = pd.concat([_plain(frame), added[columns]], ignore_index=True)
    for column in (TERRITORY_ID, PERIOD, INDICATOR_ID):
        merged[column] = merged[column].astype("category")
    return merged, len(added)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(
        {
            c: object
            for c in frame.columns
            if isinstance(frame[c].dtype, pd.CategoricalDtype)
        }
    )


def _derive(group: pd.DataFrame, rule: str, key: list[str]) -> pd.DataFrame:
    if rule in ("sum", "mean"):
        parts = []
        for periods in (_MONTHS, _QUARTERS):
            within = group[group[PERIOD].isin(periods)]
            counts = within.groupby(key)[VALUE].agg(["size", rule])
            full = counts[counts["size"] == len(periods)]
            parts.append(full[rule].rename(VALUE).reset_index())
        both = pd.concat(parts, ignore_index=True)
        # months win over quarters where a file has both
        return both.drop_duplicates(key, keep="first")
    if rule == "end":
        order = {"D12-31": 0, "M12": 1, "Q4": 2}
        within = group[group[PERIOD].isin(list(order))]
        within = within.assign(_o=within[PERIOD].map(order)).sort_values("_o")
        return within.drop_duplicates(key, keep="first")[[*key, VALUE]]
    if rule == "jan1":
        return group[group[PERIOD] == "D01-01"][[*key, VALUE]]
    if rule == "jan1_next":
        within = group[group[PERIOD] == "D01-01"][[*key, VALUE]].copy()
        within[YEAR] = within[YEAR] - 1
        return within
    raise ValueError(f"правило годового значения «{rule}» неизвестно: {RULES}")


def check_rule(rule: object, indicator: str) -> str:
    """The rule of a catalog entry, checked ('' for none)."""
    if rule in (None, ""):
        return ""
    if rule not in RULES:
        raise ValueError(
            f"показатель {indicator}: правило годового значения «{rule}» "
            f"не из {', '.join(RULES)}"
        )
    return str(rule)


__all__ = ["RULES", "annualize", "check_rule"]
