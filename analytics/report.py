"""A presentation deck for one agglomeration without the UI.

``python -m analytics.report --store DIR --agglomeration ID --out FILE.pptx
[--lang ru|en] [--year N] [--unweighted]``

The deck is the *ready set*: the charts a briefing on one agglomeration
needs, in this order —

1. overview: the finance key indicator ranked, and core vs periphery for it;
2. one block per theme (finance, staffing, competencies): the gap of the
   theme's key indicator to the agglomeration median (finance) or its ranking
   (staffing, competencies), then the theme's heatmap;
3. inequality of the finance key indicator: every index with its confidence
   interval, the Theil decomposition by role, the agglomerations side by side;
4. dynamics: sigma convergence of the finance key indicator;
5. typology: the types of territories (scatter and profiles);
6. best practices: positive deviants and the management models compared;
7. tools: where a budget of half the shortfall to the median should go
   (levelling up against equal splits) and who gets what; the LISA map and
   the Moran scatter plot of the finance key indicator; the cooperation
   network of complementary neighbours (:mod:`analytics.views.tools`).

Every chart, title and caption comes from :mod:`analytics.views`; a view that
has nothing to show (:class:`~analytics.views.NoData`) is left out and its
reason kept in :attr:`ReadySet.skipped`.

Exit codes of the CLI: 0 the deck was written; 1 image export is unavailable,
the store cannot be opened or a picture failed; 2 bad usage (arguments,
unknown agglomeration, a year without data, an output path that cannot be
written — all checked before anything is drawn). Messages are Russian by
default, English with ``--lang en``; no traceback. The deck is written aside
and renamed, so a failed run leaves no half-written file.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from analytics import export, views
from analytics import overview as ov
from analytics import selection as sel_
from analytics.chart_model import Chart
from analytics.i18n import has, t
from analytics.selection import Selection
from analytics.store import TERRITORY_ID, Store, StoreError, open_store
from analytics.views import registry, tools

__all__ = [
    "ReadySet",
    "ReportError",
    "build_report",
    "charts_source",
    "deck_texts",
    "main",
    "ready_set",
    "ready_set_with_reasons",
    "report_subtitle",
]

#: Sections of the ready set, in deck order.
SECTIONS = (
    "overview",
    "finance",
    "staffing",
    "competencies",
    "inequality",
    "dynamics",
    "typology",
    "practices",
    "scenario",
    "spatial",
    "partners",
)


@dataclass
class ReadySet:
    """The charts of the ready set and the views left out (section: reason)."""

    charts: list[Chart] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


class ReportError(Exception):
    """The report cannot be built; ``message(lang)`` says why, ``code`` is the
    CLI's exit code (1 or 2)."""

    @classmethod
    def of(cls, key: str, code: int = 1, **values) -> ReportError:
        """The error worded by the i18n template ``key`` in both languages."""
        return cls(t(key, "ru", **values), t(key, "en", **values), code)

    def __init__(self, message_ru: str, message_en: str, code: int = 1) -> None:
        super().__init__(message_en)
        self.message_ru = message_ru
        self.message_en = message_en
        self.code = code

    def message(self, lang: str = "ru") -> str:
        return self.message_en if lang == "en" else self.message_ru


def section_name(section: str, lang: str = "ru") -> str:
    """The section's name in ``lang`` (themes use the i18n theme names)."""
    if section in sel_.THEMES:
        return t(f"theme.{section}", lang)
    key = f"section.{section}"
    return t(key, lang) if has(key) else section


def _resolve(store: Store, selection: Selection) -> tuple[Selection, list[str]]:
    """The selection with its year filled in, and the member territory ids."""
    ids = sel_.members(store, selection.agglomeration_id)[TERRITORY_ID].tolist()
    if selection.year is None and ids:
        year = sel_.default_year(store, ids)
        selection = Selection(
            selection.agglomeration_id, year, selection.weighted, selection.lang
        )
    return selection, ids


def _plan(
    store: Store, selection: Selection, ids: list[str]
) -> list[tuple[str, Callable[[], Chart | list[Chart]]]]:
    """(section, thunk) pairs in deck order; a thunk returns one chart or a
    list of charts, or raises NoData."""
    s = selection
    key = {theme: ov.key_indicator(store, theme, ids) for theme in sel_.THEMES}
    finance = key["finance"]
    plan: list[tuple[str, Callable[[], Chart | list[Chart]]]] = []

    def no_indicator(theme: str) -> Callable[[], Chart]:
        def raise_() -> Chart:
            raise views.NoData(
                t("empty.theme", s.lang, theme=t(f"theme.{theme}", s.lang))
            )

        return raise_

    r = registry  # the views are looked up when the plan is made (tests swap them)

    def run(view, *args) -> Callable[[], Chart]:
        return lambda: view.build(store, s, *args)

    if finance is not None:
        plan.append(("overview", run(r.RANKING, finance)))
        plan.append(("overview", run(r.CORE_PERIPHERY, finance)))
    else:
        plan.append(("overview", no_indicator("finance")))

    for theme in sel_.THEMES:
        indicator = key[theme]
        if indicator is None:
            plan.append((theme, no_indicator(theme)))
        elif theme == "finance":
            # the ranking is already in the overview: show the gap instead
            plan.append((theme, run(r.GAP_TO_BENCHMARK, indicator)))
        else:
            plan.append((theme, run(r.RANKING, indicator)))
        plan.append((theme, run(r.HEATMAP, theme)))

    if finance is not None:
        plan.append(("inequality", run(r.INDEX_TABLE, finance)))
        plan.append(("inequality", run(r.DECOMPOSITION, finance, "role")))
        plan.append(("inequality", run(r.COMPARE_AGGLOMERATIONS, finance)))
        plan.append(("dynamics", run(r.SIGMA, finance)))

    typology_view = r.TYPOLOGY

    def typology_charts() -> list[Chart]:
        result = typology_view.build(store, s)
        return [result.scatter, result.profiles]

    plan.append(("typology", typology_charts))
    plan.append(("practices", run(r.ALBUM_DEVIANTS, "finance")))
    if finance is not None:
        plan.append(("practices", run(r.MODELS_COMPARISON, finance)))

    # the tools, with the defaults of their pages
    per_resident = tools.per_resident_indicators(store, ids, s.year)
    if per_resident:
        money = finance if finance in per_resident else per_resident[0]
        plan.append(("scenario", run(r.SCENARIO_SPLITS, money, None)))
        plan.append(("scenario", run(r.SCENARIO_ALLOCATION, money, None)))
    if finance is not None:
        spatial = (finance, "agglomeration", "queen", 6)
        plan.append(("spatial", run(r.LISA_MAP, *spatial)))
        plan.append(("spatial", run(r.MORAN_SCATTER, *spatial)))
    plan.append(("partners", run(r.PARTNERS, None, "border", 50.0, ())))
    return plan


def ready_set_with_reasons(
    store: Store,
    selection: Selection,
    progress: Callable[[int, int, str], None] | None = None,
) -> ReadySet:
    """The ready set and, for every view left out, its section and reason.

    ``progress(done, total, section)`` is called after each view.
    """
    selection, ids = _resolve(store, selection)
    result = ReadySet()
    if not ids:
        result.skipped.append(
            ("overview", t("empty.no_agglomerations", selection.lang))
        )
        return result
    plan = _plan(store, selection, ids)
    seen: set[str] = set()
    for done, (section, make) in enumerate(plan, start=1):
        try:
            made = make()
        except views.NoData as reason:
            result.skipped.append((section, str(reason)))
        else:
            for chart in made if isinstance(made, list) else [made]:
                if chart.key in seen:
                    continue
                seen.add(chart.key)
                chart.extra.setdefault("section", section)
                result.charts.append(chart)
        if progress is not None:
            progress(done, len(plan), section)
    return result


def ready_set(store: Store, selection: Selection) -> list[Chart]:
    """The ready set of a deck for one agglomeration (views with no data left
    out; see :func:`ready_set_with_reasons` for why)."""
    return ready_set_with_reasons(store, selection).charts


def report_subtitle(store: Store, selection: Selection, charts: list[Chart]) -> str:
    """Year (and the period of the charts over time), weighting and the
    agglomeration's management model, e.g.
    «2020 г. (динамика 2010–2023) · взвешено по населению · проект агломерации»."""
    lang = selection.lang
    table = store.agglomerations.set_index("agglomeration_id")
    model = ""
    if "management_model" in table and selection.agglomeration_id in table.index:
        model = table["management_model"].get(selection.agglomeration_id) or ""
    periods = sorted({c.year for c in charts if "–" in (c.year or "")})
    year = str(selection.year) if selection.year is not None else ""
    head = (f"{year} г." if lang == "ru" else year) if year else ""
    if periods:
        word = "динамика" if lang == "ru" else "trends"
        head = f"{head} ({word} {', '.join(periods)})".strip()
    parts = [
        head,
        t(f"weighted_indices.{str(bool(selection.weighted)).lower()}", lang),
        t(f"model.{model or 'unknown'}", lang),
    ]
    return " · ".join(p for p in parts if p)


def report_source(store: Store, selection: Selection, charts: list[Chart]) -> str:
    """The store's source line for the values of the whole deck."""
    ids = sel_.members(store, selection.agglomeration_id)[TERRITORY_ID].tolist()
    indicator_ids = sel_.comparable_indicators(store, ids)
    line = sel_.source_line(
        store, sel_.value_sources(store, indicator_ids, ids), selection.lang
    )
    return line or "; ".join(sorted({c.source for c in charts if c.source}))


def charts_source(charts: list[Chart]) -> str:
    """The source lines of some charts merged, each part once, in order."""
    parts: list[str] = []
    for chart in charts:
        for part in (chart.source or "").split("; "):
            if part and part not in parts:
                parts.append(part)
    return "; ".join(parts)


def deck_texts(
    store: Store, selection: Selection, charts: list[Chart], *, ready: bool = True
) -> dict[str, str]:
    """Title, subtitle and source line of a deck for ``selection``: the
    agglomeration's name; year, period, weighting and model; the store's
    sources for the agglomeration (``ready``) or those of the charts."""
    selection, _ = _resolve(store, selection)
    return {
        "title": views.agglomeration_name(
            store, selection.agglomeration_id, selection.lang
        ),
        "subtitle": report_subtitle(store, selection, charts),
        "source": report_source(store, selection, charts)
        if ready
        else charts_source(charts),
    }


def agglomeration_ids(store: Store) -> list[str]:
    """Agglomerations a deck can be built for (two or more territories with data)."""
    return sel_.agglomerations(store)["agglomeration_id"].tolist()


def check_output(out: Path) -> None:
    """Raise :class:`ReportError` (code 2) when ``out`` cannot be written:
    its folder is missing or not writable, or it is a folder itself."""
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    if out.is_dir():
        raise ReportError.of(
            "report.out_is_folder", 2, out=out, example=out / "report.pptx"
        )
    if not parent.is_dir():
        raise ReportError.of("report.no_folder", 2, folder=parent)
    if not os.access(parent, os.W_OK | os.X_OK) or (
        out.exists() and not os.access(out, os.W_OK)
    ):
        raise ReportError.of("report.not_writable", 2, out=out)


def _warm_up() -> None:
    """Start the image renderer with a tiny picture (errors surface later,
    in :func:`analytics.export.build_deck`)."""
    import plotly.graph_objects as go

    with contextlib.suppress(Exception):
        export.figure_bytes(go.Figure(), "png", width=16, height=16, scale=1)


def _write_atomic(out: Path, data: bytes) -> None:
    """Write aside, then rename: a failed run leaves no half-written deck."""
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_report(
    store_path: str | Path,
    agglomeration_id: str,
    out: str | Path,
    lang: str = "ru",
    year: int | None = None,
    weighted: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    on_skip: Callable[[str, str], None] | None = None,
) -> Path:
    """Write the ready-set deck for one agglomeration to ``out`` (PPTX).

    Title: the agglomeration's name; subtitle: year, period of the trends,
    weighting and management model; source line: the files the values come
    from. ``progress(stage, done, total)`` reports ``"charts"`` (views
    computed) and then ``"slides"`` (pictures rendered);
    ``on_skip(section, reason)`` is called for every view left out.

    Raises
    ------
    ReportError
        Code 2: unknown agglomeration, an unwritable ``out`` (both checked
        before anything is drawn), no chart to show. Code 1: the store cannot
        be opened, or images cannot be exported here.
    """
    out = Path(out)
    check_output(out)
    try:
        store = open_store(store_path)
    except StoreError as error:
        raise ReportError(
            str(error),
            f"Cannot open the store {store_path}: it is missing or damaged. "
            "Build it with `make etl` (or `python -m analytics.etl --raw DIR "
            "--store DIR`).",
            1,
        ) from error
    known = agglomeration_ids(store)
    if agglomeration_id not in known:
        shown = ", ".join(known[:8])
        key = (
            "report.unknown_agglomeration_more"
            if len(known) > 8
            else ("report.unknown_agglomeration")
        )
        raise ReportError.of(
            key,
            2,
            agglomeration=repr(agglomeration_id),
            shown=shown,
            more=len(known) - 8,
        )
    if year is not None:
        ids = sel_.members(store, agglomeration_id)[TERRITORY_ID].tolist()
        years = sel_.years(store, ids)
        if year not in years:
            span = f"{years[0]}–{years[-1]}" if years else "—"
            raise ReportError.of("report.no_year", 2, year=year, span=span)
    status = export.export_status()
    if not status.available:
        raise ReportError(status.message_ru, status.message_en, 1)

    # Chromium takes seconds to start: let it start while the views compute
    warm = threading.Thread(target=_warm_up, name="report-warm-up", daemon=True)
    warm.start()
    selection, _ = _resolve(store, Selection(agglomeration_id, year, weighted, lang))
    found = ready_set_with_reasons(
        store,
        selection,
        progress=None
        if progress is None
        else lambda done, total, _section: progress("charts", done, total),
    )
    if not found.charts:
        reasons = "; ".join(reason for _, reason in found.skipped)
        raise ReportError.of("report.nothing", 2, reasons=reasons)
    try:
        deck = export.build_deck(
            found.charts,
            **deck_texts(store, selection, found.charts),
            lang=lang,
            progress=None
            if progress is None
            else lambda done, total: progress("slides", done, total),
        )
    except export.ExportError as error:
        raise ReportError(error.message_ru, error.message_en, 1) from error
    _write_atomic(out, deck)
    if on_skip is not None:
        for section, reason in found.skipped:
            on_skip(section, reason)
    return out


# --------------------------------------------------------------------------
# CLI

_CLI = {
    "ru": {
        "charts": "графики",
        "slides": "слайды",
        "unit": "шаг",
        "written": "Презентация записана: {out} ({n} слайдов с графиками)",
        "skipped": "Пропущено ({section}): {reason}",
        "error": "Ошибка: {message}",
        "failed": "Ошибка: презентация не собрана ({error}).",
    },
    "en": {
        "charts": "charts",
        "slides": "slides",
        "unit": "step",
        "written": "Deck written: {out} ({n} chart slides)",
        "skipped": "Left out ({section}): {reason}",
        "error": "Error: {message}",
        "failed": "Error: the deck was not built ({error}).",
    },
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m analytics.report",
        description="Собрать презентацию (PPTX) по одной агломерации из хранилища "
        "Parquet: обзор, финансы, кадры, компетенции, неравенство, динамика, "
        "типология, лучшие практики.",
    )
    parser.add_argument(
        "--store", type=Path, required=True, metavar="DIR", help="папка хранилища"
    )
    parser.add_argument(
        "--agglomeration",
        required=True,
        metavar="ID",
        help="код агломерации, например krasnoyarsk",
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="FILE.pptx", help="файл презентации"
    )
    parser.add_argument(
        "--lang",
        choices=("ru", "en"),
        default="ru",
        help="язык презентации и сообщений (по умолчанию ru)",
    )
    parser.add_argument(
        "--year",
        type=int,
        metavar="N",
        help="год (по умолчанию последний год с достаточно полными данными)",
    )
    parser.add_argument(
        "--unweighted",
        action="store_true",
        help="индексы без взвешивания по населению",
    )
    parser.add_argument("--quiet", action="store_true", help="без индикатора хода")
    return parser


def main(argv: list[str] | None = None) -> int:
    from tqdm import tqdm

    args = build_parser().parse_args(argv)
    lang = args.lang
    words = _CLI[lang]
    bars: dict[str, tqdm] = {}
    skipped: list[tuple[str, str]] = []
    slides = [0]

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "slides":
            slides[0] = total
        if args.quiet:
            return
        bar = bars.get(stage)
        if bar is None:
            for other in bars.values():
                other.close()
            bar = bars[stage] = tqdm(
                total=total,
                desc=words[stage],
                unit=words["unit"],
                file=sys.stderr,
                dynamic_ncols=True,
            )
        bar.total = total
        bar.n = done
        bar.refresh()

    def close_bars() -> None:
        for bar in bars.values():
            bar.close()

    try:
        out = build_report(
            args.store,
            args.agglomeration,
            args.out,
            lang=lang,
            year=args.year,
            weighted=not args.unweighted,
            progress=progress,
            on_skip=lambda section, reason: skipped.append((section, reason)),
        )
    except ReportError as error:
        close_bars()
        print(words["error"].format(message=error.message(lang)), file=sys.stderr)
        return error.code
    except KeyboardInterrupt:
        close_bars()
        return 130
    except Exception as error:  # noqa: BLE001 - one line for the user, no traceback
        close_bars()
        print(
            words["failed"].format(error=f"{type(error).__name__}: {error}"),
            file=sys.stderr,
        )
        return 1
    close_bars()
    for section, reason in skipped:
        print(
            words["skipped"].format(section=section_name(section, lang), reason=reason),
            file=sys.stderr,
        )
    print(words["written"].format(out=out, n=slides[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
