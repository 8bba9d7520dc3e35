"""Snapshot of every view's result on a store, to prove a refactor changes nothing.

Run: .venv/bin/python bench/snapshot_views.py --store DIR --out FILE.pkl
     .venv/bin/python bench/snapshot_views.py --store DIR --compare FILE.pkl

For a set of selections (agglomerations, years, weighting) and both languages
it calls every view of the app and the deck and records, per call, the
numbers (``data`` as JSON with full precision and dtypes), the figure JSON,
the title, caption, unit, year, source, weighting, notes and ``extra``; a view
with nothing to show records its reason. ``--compare`` prints the calls whose
record differs from the saved one and exits 1 if any does.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from analytics import overview, report, views  # noqa: E402
from analytics import selection as sel_  # noqa: E402
from analytics.chart_model import Chart  # noqa: E402
from analytics.selection import Selection  # noqa: E402
from analytics.store import open_store  # noqa: E402

AGGLOMERATIONS = ("samara_togliatti", "barnaul")
YEARS = (2023, 2015)


def _selections():
    """Both languages of: each agglomeration and year weighted, and the first
    agglomeration's latest year unweighted."""
    for agg in AGGLOMERATIONS:
        for year in YEARS:
            for weighted in (True, False):
                if weighted or (agg, year) == (AGGLOMERATIONS[0], YEARS[0]):
                    for lang in ("ru", "en"):
                        yield agg, year, weighted, lang


def _frame(frame: pd.DataFrame) -> str:
    return json.dumps(
        {
            "dtypes": [str(d) for d in frame.dtypes],
            "index": [str(i) for i in frame.index],
            "attrs": {k: str(v) for k, v in frame.attrs.items()},
            "data": frame.to_json(orient="split", double_precision=15),
        },
        ensure_ascii=False,
    )


def record(value) -> object:
    """A comparable record of whatever a view returns."""
    if isinstance(value, Chart):
        return {
            "key": value.key,
            "figure": value.figure.to_json(),
            "data": _frame(value.data),
            "title": value.title,
            "caption": value.caption,
            "unit": value.unit,
            "year": value.year,
            "source": value.source,
            "weighted": value.weighted,
            "notes": value.notes,
            "extra": repr(sorted((k, repr(v)) for k, v in value.extra.items())),
            "footer_ru": value.footer("ru"),
            "footer_en": value.footer("en"),
        }
    if isinstance(value, pd.DataFrame):
        return _frame(value)
    if isinstance(value, list | tuple):
        return [record(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {
            name: record(getattr(value, name)) for name in value.__dataclass_fields__
        }
    if hasattr(value, "labels_"):  # a fitted typology
        return {k: repr(v) for k, v in sorted(vars(value).items()) if k.endswith("_")}
    return repr(value)


def calls(store):
    """(key, thunk) of every view call of the snapshot."""
    for agg in AGGLOMERATIONS:
        ids = sel_.members(store, agg)["territory_id"].tolist()
        indicators = sel_.comparable_indicators(store, ids)
        key_inds = [overview.key_indicator(store, theme, ids) for theme in sel_.THEMES]
        key_inds = [i for i in key_inds if i]
        for agg_, year, weighted, lang in _selections():
            if agg_ == agg:
                s = Selection(agg, year, weighted, lang)
                tag = f"{agg}/{year}/{int(weighted)}/{lang}"
                yield f"{tag}/summary", lambda s=s: overview.summary(store, s)
                yield f"{tag}/composites", lambda s=s: views.composites(store, s)
                yield (
                    f"{tag}/gap_sentences",
                    lambda s=s: views.gap_sentences(store, s, n=20),
                )
                for theme in sel_.THEMES:
                    yield (
                        f"{tag}/heatmap/{theme}",
                        lambda s=s, th=theme: views.heatmap(store, s, th),
                    )
                    yield (
                        f"{tag}/album/{theme}",
                        lambda s=s, th=theme: views.album_deviants(store, s, th, 2012),
                    )
                yield (
                    f"{tag}/album/agg",
                    lambda s=s: views.album_deviants(
                        store, s, "finance", 2012, "agglomeration"
                    ),
                )
                for ind in indicators:
                    t = f"{tag}/{ind}"
                    yield (
                        f"{t}/ranking",
                        lambda s=s, i=ind: views.ranking(store, s, i),
                    )
                    yield (
                        f"{t}/lorenz",
                        lambda s=s, i=ind: views.lorenz(store, s, i),
                    )
                    yield (
                        f"{t}/core_periphery",
                        lambda s=s, i=ind: views.core_periphery(store, s, i),
                    )
                    for bench in getattr(views, "BENCHMARK_KEYS", None) or list(
                        views.BENCHMARK_WORDS
                    ):
                        yield (
                            f"{t}/gap/{bench}",
                            lambda s=s, i=ind, b=bench: views.gap_to_benchmark(
                                store, s, i, b
                            ),
                        )
                    yield (
                        f"{t}/models",
                        lambda s=s, i=ind: views.models_comparison(store, s, i),
                    )
                    for m in ("cv", "theil", "sd_log"):
                        yield (
                            f"{t}/sigma/{m}",
                            lambda s=s, i=ind, m=m: views.sigma(store, s, i, m),
                        )
                    for fn in (views.beta, views.mobility):
                        yield (
                            f"{t}/{fn.__name__}",
                            lambda s=s, i=ind, f=fn: f(store, s, i, 2010, s.year),
                        )
                    for terr in ids[:2]:
                        yield (
                            f"{t}/trend/{terr}",
                            lambda s=s, i=ind, te=terr: views.profile_trend(
                                store, s, te, i
                            ),
                        )
                for ind in key_inds:
                    t = f"{tag}/{ind}"
                    yield (
                        f"{t}/index_table",
                        lambda s=s, i=ind: views.index_table(store, s, i),
                    )
                    for by in views.GROUPINGS:
                        yield (
                            f"{t}/decomposition/{by}",
                            lambda s=s, i=ind, b=by: views.decomposition(
                                store, s, i, b
                            ),
                        )
                    for index in ("theil", "gini", "cv"):
                        yield (
                            f"{t}/compare/{index}",
                            lambda s=s, i=ind, x=index: views.compare_agglomerations(
                                store, s, i, x
                            ),
                        )
                for terr in ids[:3]:
                    yield (
                        f"{tag}/profile/{terr}",
                        lambda s=s, te=terr: views.profile_table(store, s, te),
                    )
                if year == YEARS[0]:
                    for m, k in (("kmeans", "auto"), ("ward", 3)):
                        yield (
                            f"{tag}/typology/{m}/{k}",
                            lambda s=s, m=m, k=k: views.typology_view(store, s, m, k),
                        )
                if (agg, year) != (AGGLOMERATIONS[0], YEARS[0]):
                    continue
                yield (
                    f"{tag}/deck",
                    lambda s=s: report.ready_set_with_reasons(store, s),
                )
                yield (
                    f"{tag}/deck_texts",
                    lambda s=s: report.deck_texts(store, s, report.ready_set(store, s)),
                )


def snapshot(store_dir: Path, every: int = 1) -> dict[str, object]:
    """Records of the calls (every ``every``-th one only, for a quick check)."""
    store = open_store(store_dir)
    out: dict[str, object] = {}
    for n, (key, thunk) in enumerate(calls(store)):
        if n % every:
            continue
        if n % 250 == 0:
            print(n, key, flush=True)
        try:
            value = thunk()
        except views.NoData as reason:
            out[key] = f"NoData: {reason}"
        else:
            out[key] = record(value)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--every", type=int, default=1, help="every N-th call only")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    snap = snapshot(args.store, args.every)
    seconds = time.perf_counter() - start
    nodata = sum(isinstance(v, str) and v.startswith("NoData") for v in snap.values())
    print(f"{len(snap)} view calls ({nodata} NoData) in {seconds:.1f} s")
    if args.out:
        args.out.write_bytes(pickle.dumps(snap))
    if args.compare:
        base = pickle.loads(args.compare.read_bytes())
        base = {k: v for k, v in base.items() if k in snap}
        differ = [k for k in base if snap.get(k) != base[k]]
        missing = [k for k in snap if k not in base]
        for key in differ[:40]:
            print("DIFFERS:", key)
        for key in missing[:10]:
            print("NEW:", key)
        print(
            f"compared {len(base)} view results: {len(base) - len(differ)} identical,"
            f" {len(differ)} differ, {len(missing)} new"
        )
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
