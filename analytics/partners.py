"""Partners for inter-municipal cooperation: neighbours whose gaps complement.

Two neighbouring municipalities (sharing a border, see
:func:`analytics.spatial.contiguity`, or with centres within a distance the
user sets, :func:`analytics.spatial.distance_band`) complement each other on
an indicator when one is behind a benchmark (by default the agglomeration's
median) and the other ahead of it: kindergarten places, doctors, municipal
staff per resident, budget capacity. Sharing — a joint service, an
agreement that transfers a power with its resources — could close part of
the gap.

For indicator :math:`k` with benchmark :math:`b`, direction :math:`d` and
scale :math:`s` (1 per resident, 10,000 per 10,000 residents), territory
:math:`i` with value :math:`x_i` and population :math:`P_i` has the gap
:math:`g_i = d (b - x_i)` (positive = behind, as in :mod:`analytics.gaps`),
a **deficit** :math:`D_i = \\max(g_i, 0) P_i / s` and a **surplus**
:math:`S_i = \\max(-g_i, 0) P_i / s`, both in units of the numerator
(places, doctors, roubles). When :math:`i` is behind and :math:`j` ahead:

.. math::

    A = \\min(D_i, S_j), \\qquad
    \\text{share of the deficit} = A / D_i, \\qquad
    \\text{closed} = \\frac{A\\,s}{|b|\\,P_i}

``closed`` is how far the shared amount would lift :math:`i`, as a share of
the benchmark (0.2: by a fifth of the median). A pair's **score** is the sum
of ``closed`` over its indicators, both ways; pairs are ranked by it. The
words for each pair (:func:`reason`) come from i18n templates in both
languages.

Existing agreements are read from a CSV template (:data:`AGREEMENT_COLUMNS`:
``territory_a, territory_b, subject, year``; :func:`agreements_template`,
:func:`read_agreements`), checked cell by cell with errors in Russian that
name the line and the cell (:class:`AgreementsError`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.etl.clean import normalize_name
from analytics.i18n import fmt_amount, fmt_number, t
from analytics.store import NAME_EN, NAME_RU, TERRITORY_ID

__all__ = [
    "AGREEMENT_COLUMNS",
    "AgreementsError",
    "Partners",
    "agreements_template",
    "complementary_pairs",
    "neighbour_pairs",
    "read_agreements",
    "reason",
]

AGREEMENT_COLUMNS: tuple[str, ...] = ("territory_a", "territory_b", "subject", "year")
MAX_AGREEMENT_ROWS = 10_000
MAX_ERRORS = 20
YEARS = (1991, 2100)


# ------------------------------------------------------------------ pairs


def neighbour_pairs(
    ids: Sequence[str], neighbours: Mapping[int, Sequence[int]]
) -> list[tuple[str, str]]:
    """Unordered pairs of territory ids (each once, ``a < b`` by position)
    from neighbours given by position.

    >>> neighbour_pairs(["x", "y", "z"], {0: [1], 1: [0, 2], 2: [1]})
    [('x', 'y'), ('y', 'z')]
    """
    out = set()
    for i, js in neighbours.items():
        for j in js:
            if i != j:
                out.add((min(i, j), max(i, j)))
    return [(ids[i], ids[j]) for i, j in sorted(out)]


@dataclass(frozen=True)
class Partners:
    """Suggested partners.

    ``pairs``: one row per pair with something to share, best first:
    ``territory_a``, ``territory_b``, ``score`` (sum of ``closed``),
    ``n_indicators`` (indicator flows), ``mutual`` (each helps the other on
    some indicator), ``best_indicator``. ``flows``: one row per pair,
    indicator and direction of help: ``territory_a``, ``territory_b`` (the
    pair), ``receiver``, ``giver``, ``indicator_id``, ``benchmark``,
    ``receiver_value``, ``giver_value`` (unit of the indicator),
    ``deficit``, ``surplus``, ``shared`` (units of the numerator),
    ``deficit_share`` (shared / deficit), ``closed`` (see the module).
    """

    pairs: pd.DataFrame
    flows: pd.DataFrame


def complementary_pairs(
    values: pd.DataFrame,
    population: pd.Series,
    pairs: Iterable[tuple[str, str]],
    *,
    directions: Mapping[str, int],
    benchmarks: Mapping[str, float] | None = None,
    scales: Mapping[str, float] | None = None,
) -> Partners:
    """Pairs of ``pairs`` whose gaps complement, ranked (see the module).

    Parameters
    ----------
    values : pandas.DataFrame
        Index: territory ids; one column per indicator (one year), in the
        indicator's unit. NaN: no value (that indicator is skipped for the
        territory).
    population : pandas.Series
        Persons, by territory id (territories without one are skipped).
    pairs : iterable of (str, str)
        Candidate pairs (neighbours).
    directions : mapping
        Indicator id → +1 (more is better) or −1; indicators with 0 or
        missing are skipped.
    benchmarks : mapping, optional
        Indicator id → benchmark value; default the median of the column
        over all territories of ``values``.
    scales : mapping, optional
        Indicator id → scale :math:`s` (default 1).

    Examples
    --------
    >>> values = pd.DataFrame({"kindergarten": [50.0, 90.0, 70.0],
    ...                        "doctors": [40.0, 20.0, 30.0]},
    ...                       index=["a", "b", "c"])
    >>> pop = pd.Series([1000.0, 1000.0, 1000.0], index=["a", "b", "c"])
    >>> res = complementary_pairs(values, pop, [("a", "b"), ("b", "c")],
    ...                           directions={"kindergarten": 1, "doctors": 1})
    >>> res.pairs[["territory_a", "territory_b", "score", "mutual"]]
      territory_a territory_b     score  mutual
    0           a           b  0.619048    True
    1           b           c  0.000000   False
    >>> res.flows[["receiver", "giver", "indicator_id", "shared", "closed"]]
      receiver giver  indicator_id   shared    closed
    0        b     a       doctors  10000.0  0.333333
    1        a     b  kindergarten  20000.0  0.285714
    """
    scales = scales or {}
    ids = list(values.index.astype(str))
    frame = values.copy()
    frame.index = ids
    pop = pd.Series(population, dtype=float)
    pop.index = pop.index.astype(str)
    pop = pop.reindex(ids)
    columns = [c for c in frame.columns if int(directions.get(c, 0) or 0) != 0]
    pair_list = [
        (str(a), str(b))
        for a, b in pairs
        if str(a) in frame.index and str(b) in frame.index and str(a) != str(b)
    ]
    flow_columns = [
        "territory_a",
        "territory_b",
        "receiver",
        "giver",
        "indicator_id",
        "direction",
        "scale",
        "benchmark",
        "receiver_value",
        "giver_value",
        "deficit",
        "surplus",
        "shared",
        "deficit_share",
        "closed",
    ]
    parts = []
    if pair_list and columns:
        position = {tid: i for i, tid in enumerate(ids)}
        a_ids = np.array([a for a, _ in pair_list], dtype=object)
        b_ids = np.array([b for _, b in pair_list], dtype=object)
        a_at = np.array([position[a] for a in a_ids])
        b_at = np.array([position[b] for b in b_ids])
        p = pop.to_numpy(dtype=float)
        usable = np.isfinite(p) & (p > 0)
        for column in columns:
            d = 1 if directions[column] > 0 else -1
            x = frame[column].to_numpy(dtype=float)
            if benchmarks is not None and column in benchmarks:
                bench = float(benchmarks[column])
            else:
                bench = float(np.nanmedian(x)) if np.isfinite(x).any() else np.nan
            if not np.isfinite(bench) or bench == 0:
                continue
            s = float(scales.get(column, 1.0) or 1.0)
            gap = d * (bench - x)
            deficit = np.where(usable, np.clip(gap, 0, None) * p / s, np.nan)
            surplus = np.where(usable, np.clip(-gap, 0, None) * p / s, np.nan)
            for r_at, g_at, r_ids, g_ids in (
                (a_at, b_at, a_ids, b_ids),
                (b_at, a_at, b_ids, a_ids),
            ):
                need, have = deficit[r_at], surplus[g_at]
                shared = np.minimum(need, have)  # NaN (no value) stays NaN
                with np.errstate(invalid="ignore"):
                    ok = np.isfinite(shared) & (shared > 0)
                if not ok.any():
                    continue
                r, g = r_at[ok], g_at[ok]
                parts.append(
                    pd.DataFrame(
                        {
                            "territory_a": a_ids[ok],
                            "territory_b": b_ids[ok],
                            "receiver": r_ids[ok],
                            "giver": g_ids[ok],
                            "indicator_id": column,
                            "direction": d,
                            "scale": s,
                            "benchmark": bench,
                            "receiver_value": x[r],
                            "giver_value": x[g],
                            "deficit": need[ok],
                            "surplus": have[ok],
                            "shared": shared[ok],
                            "deficit_share": shared[ok] / need[ok],
                            "closed": shared[ok] * s / (abs(bench) * p[r]),
                        }
                    )
                )
    flows = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=flow_columns)
    )
    base = pd.DataFrame(pair_list, columns=["territory_a", "territory_b"])
    if flows.empty:
        table = base.assign(score=0.0, n_indicators=0, mutual=False, best_indicator="")
    else:
        keys = ["territory_a", "territory_b"]
        grouped = flows.groupby(keys, sort=False)
        summary = pd.DataFrame(
            {
                "score": grouped["closed"].sum(),
                "n_indicators": grouped.size(),
                "mutual": grouped["receiver"].nunique() > 1,
                "best_indicator": flows.loc[
                    grouped["closed"].idxmax(), keys + ["indicator_id"]
                ].set_index(keys)["indicator_id"],
            }
        ).reset_index()
        table = base.merge(summary, on=keys, how="left")
        table = table.fillna(
            {"score": 0.0, "n_indicators": 0, "mutual": False, "best_indicator": ""}
        )
        table["n_indicators"] = table["n_indicators"].astype(int)
        table["mutual"] = table["mutual"].astype(bool)
    table = table.sort_values(
        ["score", "territory_a", "territory_b"],
        ascending=[False, True, True],
        kind="stable",
        ignore_index=True,
    )
    if not flows.empty:
        rank = pd.Series(
            np.arange(len(table)),
            index=pd.MultiIndex.from_frame(table[["territory_a", "territory_b"]]),
        )
        keys = pd.MultiIndex.from_frame(flows[["territory_a", "territory_b"]])
        flows = flows.assign(_rank=rank.reindex(keys).to_numpy()).sort_values(
            ["_rank", "closed"], ascending=[True, False], kind="stable"
        )
        flows = flows.drop(columns="_rank").reset_index(drop=True)
    return Partners(pairs=table, flows=flows)


def reason(
    flows: pd.DataFrame,
    lang: str = "ru",
    *,
    names: Mapping[str, str],
    indicators: Mapping[str, str],
    units: Mapping[str, str] | None = None,
    total_units: Mapping[str, str] | None = None,
    limit: int = 3,
) -> str:
    """The reason for one pair in words: its ``limit`` largest flows (rows
    of :attr:`Partners.flows` for the pair), one sentence each.

    ``total_units`` (indicator → unit of the numerator, e.g. «руб.»,
    «чел.») makes the amounts totals; otherwise the sentence speaks of the
    gap in the indicator's own unit.

    >>> flows = pd.DataFrame({"receiver": ["a"], "giver": ["b"],
    ...     "indicator_id": ["doc"], "benchmark": [30.0], "receiver_value": [20.0],
    ...     "giver_value": [45.0], "deficit": [10.0], "surplus": [15.0],
    ...     "shared": [10.0], "deficit_share": [1.0], "closed": [0.33],
    ...     "direction": [1], "scale": [10_000.0]})
    >>> text = reason(flows, "en", names={"a": "A", "b": "B"},
    ...               indicators={"doc": "Doctors"}, total_units={"doc": "persons"})
    >>> print(text)  # doctest: +NORMALIZE_WHITESPACE
    A is 10 persons short of the median on «Doctors», B has 15 above it:
    sharing could close 100 % of A's shortfall.
    """
    units = units or {}
    total_units = total_units or {}
    parts = []
    for row in flows.sort_values("closed", ascending=False).head(limit).itertuples():
        receiver = names.get(row.receiver, row.receiver)
        giver = names.get(row.giver, row.giver)
        indicator = indicators.get(row.indicator_id, row.indicator_id)
        share = fmt_number(100 * row.deficit_share, lang, digits=0)
        if row.indicator_id in total_units:
            unit = total_units[row.indicator_id]
            deficit = _amount(row.deficit, unit, lang)
            surplus = _amount(row.surplus, "", lang)
        else:
            unit = units.get(row.indicator_id, "")
            gap = abs(row.benchmark - row.receiver_value)
            over = abs(row.giver_value - row.benchmark)
            deficit = f"{fmt_number(gap, lang)} {unit}".strip()
            surplus = fmt_number(over, lang)
        parts.append(
            t(
                "partners.reason",
                lang,
                receiver=receiver,
                giver=giver,
                indicator=indicator,
                deficit=deficit,
                surplus=surplus,
                share=share,
            )
        )
    return " ".join(parts)


def _amount(value: float, unit: str, lang: str) -> str:
    """A total: scale words from a thousand up, whole numbers from ten."""
    if abs(value) >= 1000:
        return fmt_amount(value, unit, lang)
    digits = 0 if abs(value) >= 10 else 1
    return f"{fmt_number(value, lang, digits=digits)} {unit}".strip()


# ------------------------------------------------------------- agreements


class AgreementsError(ValueError):
    """An agreements file refused. ``problems``: (i18n key, values) pairs;
    :meth:`message` lists them in ``lang`` (``str(error)`` is Russian)."""

    def __init__(self, problems: list[tuple[str, dict]]) -> None:
        self.problems = problems
        super().__init__(self.message("ru"))

    def message(self, lang: str = "ru") -> str:
        lines = [t(key, lang, **values) for key, values in self.problems]
        return "\n".join(lines)


def agreements_template(lang: str = "ru") -> bytes:
    """The CSV template: the header and one example line (UTF-8 with BOM, so
    that Excel opens the Cyrillic right).

    >>> agreements_template().decode("utf-8-sig").splitlines()[0]
    'territory_a,territory_b,subject,year'
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(AGREEMENT_COLUMNS)
    writer.writerow(
        ["80701000", "80652000", t("partners.template_subject", lang), "2023"]
    )
    return buffer.getvalue().encode("utf-8-sig")


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AgreementsError([("partners.err_encoding", {})])


def _letter(index: int) -> str:
    return chr(ord("A") + index) if index < 26 else f"#{index + 1}"


def _territory_keys(territories: pd.DataFrame) -> dict[str, str]:
    """Matching keys (the id, and normalised Russian and English names) →
    territory id; a name shared by several territories maps to ''."""
    keys: dict[str, str] = {}
    for row in territories.itertuples(index=False):
        tid = str(getattr(row, TERRITORY_ID))
        keys[tid] = tid
    for column in (NAME_RU, NAME_EN):
        if column not in territories.columns:
            continue
        for tid, label in zip(
            territories[TERRITORY_ID].astype(str), territories[column], strict=True
        ):
            if not isinstance(label, str) or not label.strip():
                continue
            key = normalize_name(label)
            if key in keys and keys[key] != tid:
                keys[key] = ""  # ambiguous
            else:
                keys.setdefault(key, tid)
    return keys


def read_agreements(
    data: bytes, territories: pd.DataFrame, *, filename: str = "agreements.csv"
) -> pd.DataFrame:
    """Existing agreements from the CSV template, checked cell by cell.

    ``territory_a`` and ``territory_b`` are OKTMO codes (the store's
    ``territory_id``) or names as the store writes them (Russian or
    English); ``subject`` is free text; ``year`` a year. The delimiter may
    be ``,`` or ``;``; the encoding UTF-8 or cp1251. Every problem is
    collected (up to :data:`MAX_ERRORS`) and raised together as
    :class:`AgreementsError`, each naming the line and the cell (``B3``).

    Returns ``territory_a``, ``territory_b`` (ids, in the order of the file),
    ``subject``, ``year`` (int), ``line`` (line in the file).

    >>> terr = pd.DataFrame({"territory_id": ["80701000", "80652000"],
    ...                      "name_ru": ["Уфа", "Уфимский район"]})
    >>> data = "territory_a;territory_b;subject;year\\nУфа;80652000;Вода;2022\\n"
    >>> read_agreements(data.encode(), terr)[["territory_a", "territory_b", "year"]]
      territory_a territory_b  year
    0    80701000    80652000  2022
    >>> bad = "territory_a,territory_b,subject,year\\nУфа,Москва,,22\\n".encode()
    >>> try:
    ...     read_agreements(bad, terr)
    ... except AgreementsError as error:
    ...     print(error)  # doctest: +NORMALIZE_WHITESPACE
    agreements.csv, строка 2, ячейка B2 (territory_b): территория «Москва» не найдена
    agreements.csv, строка 2, ячейка C2 (subject): пустой предмет соглашения
    agreements.csv, строка 2, ячейка D2 (year): «22» — не год (ожидается число
    от 1991 до 2100)
    """
    text = _decode(data)
    if not text.strip():
        raise AgreementsError([("partners.err_empty", {"file": filename})])
    sample = text.splitlines()[0]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [cell.strip().lower() for cell in rows[0]]
    if header[: len(AGREEMENT_COLUMNS)] != list(AGREEMENT_COLUMNS):
        raise AgreementsError(
            [
                (
                    "partners.err_header",
                    {
                        "file": filename,
                        "expected": ", ".join(AGREEMENT_COLUMNS),
                        "found": ", ".join(rows[0]),
                    },
                )
            ]
        )
    if len(rows) - 1 > MAX_AGREEMENT_ROWS:
        raise AgreementsError(
            [("partners.err_rows", {"file": filename, "limit": MAX_AGREEMENT_ROWS})]
        )
    keys = _territory_keys(territories)
    problems: list[tuple[str, dict]] = []
    out = []

    def problem(key: str, line: int, column: int, **values) -> None:
        problems.append(
            (
                key,
                {
                    "file": filename,
                    "line": line,
                    "cell": f"{_letter(column)}{line}",
                    "column": AGREEMENT_COLUMNS[column],
                    **values,
                },
            )
        )

    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row] + [""] * len(AGREEMENT_COLUMNS)
        found = []
        for column in (0, 1):
            value = cells[column]
            tid = keys.get(value) or keys.get(normalize_name(value)) if value else None
            if not value:
                problem("partners.err_no_territory", number, column)
            elif tid is None or tid == "":
                key = "partners.err_ambiguous" if tid == "" else "partners.err_unknown"
                problem(key, number, column, value=value)
            found.append(tid)
        if found[0] and found[0] == found[1]:
            problem("partners.err_same", number, 1, value=cells[1])
        if not cells[2]:
            problem("partners.err_subject", number, 2)
        year = None
        try:
            year = int(float(cells[3].replace(",", ".")))
            if (
                not YEARS[0] <= year <= YEARS[1]
                or float(cells[3].replace(",", ".")) != year
            ):
                year = None
        except ValueError:
            year = None
        if year is None:
            problem(
                "partners.err_year",
                number,
                3,
                value=cells[3],
                low=YEARS[0],
                high=YEARS[1],
            )
        if len(problems) >= MAX_ERRORS:
            break
        out.append((found[0], found[1], cells[2], year, number))
    if problems:
        raise AgreementsError(problems[:MAX_ERRORS])
    return pd.DataFrame(out, columns=[*AGREEMENT_COLUMNS, "line"]).astype({"year": int})
