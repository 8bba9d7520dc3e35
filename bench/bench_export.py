"""Benchmark: image export and a 12-slide deck (``analytics.export``).

Times, with Debian's Chromium driven by kaleido:

* the first PNG of the process (Chromium starts and loads plotly.js);
* one warm PNG (1600 × 900 at scale 2 = 3200 × 1800 px), median of
  ``--repeat`` runs, two ways: *isolated* (the renderer idle before each
  export, as when a user clicks one download button) and *back-to-back* (one
  export right after another, as in a deck);
* one warm SVG and PDF;
* a deck of 12 chart slides plus the title slide, median of ``--decks``
  runs, split into picture rendering and the rest (python-pptx, notes).

Each chart is a bar chart of 40 municipalities with Russian labels. Targets
(issue 7): a warm PNG under 0.3 s, a 12-slide deck under 10 s.

Run ``.venv/bin/python bench/bench_export.py``; results are recorded by hand
in BENCHMARKS.md, section "Image export and decks".
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import plotly
import plotly.graph_objects as go

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics import export  # noqa: E402
from analytics.chart_model import Chart  # noqa: E402


def make_chart(i: int, *, n: int = 40, seed: int = 0) -> Chart:
    """A ranked bar chart of ``n`` municipalities, Russian labels."""
    rng = np.random.default_rng(seed + i)
    names = [f"Муниципальный район № {k + 1}" for k in range(n)]
    values = np.round(rng.lognormal(10.3, 0.4, n), 1)
    order = np.argsort(values)[::-1]
    names = [names[k] for k in order]
    values = values[order]
    column = "Доходы бюджета, руб. на жителя"
    fig = go.Figure(go.Bar(x=names, y=values, marker_color="#2f6f9f"))
    fig.update_layout(
        title=f"Доходы бюджета на жителя, показатель {i + 1}, 2023",
        xaxis_title="Муниципальное образование",
        yaxis_title="руб. на жителя",
    )
    ratio = values[0] / values[-1]
    return Chart(
        key=f"chart_{i}",
        figure=fig,
        data=pd.DataFrame({"Территория": names, column: values}),
        title=f"Доходы бюджета на жителя ({i + 1})",
        caption=f"Разрыв между первым и последним районом — {ratio:.1f} раза.",
        unit="руб. на жителя",
        year="2023",
        source="БД ПМО (синтетические данные)",
        weighted=None,
    )


def _median_time(fn, repeat: int, pause: float = 0.0) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        if pause:
            time.sleep(pause)
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the benchmark, print a table and return the medians (seconds)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="PNG runs (≥ 10)")
    parser.add_argument("--decks", type=int, default=3, help="deck runs")
    parser.add_argument("--slides", type=int, default=12, help="chart slides")
    args = parser.parse_args(argv)

    status = export.export_status()
    if not status.available:
        print(status.message_en)
        return {}
    charts = [make_chart(i) for i in range(args.slides)]
    fig = charts[0].figure

    started = time.perf_counter()
    first = export.figure_bytes(fig)
    cold = time.perf_counter() - started

    # isolated: let kaleido finish reloading its page before each export
    png_isolated, _ = _median_time(lambda: export.figure_bytes(fig), args.repeat, 1.0)
    png_b2b, png_times = _median_time(lambda: export.figure_bytes(fig), args.repeat)
    svg, _ = _median_time(lambda: export.figure_bytes(fig, "svg"), 5)
    pdf, _ = _median_time(lambda: export.figure_bytes(fig, "pdf"), 5)

    # deck, with the time spent waiting for pictures measured apart
    render_time = [0.0]
    real_render = export._render

    def timed_render(*a, **kw):
        t = time.perf_counter()
        try:
            return real_render(*a, **kw)
        finally:
            render_time[0] += time.perf_counter() - t

    export._render = timed_render
    deck_times, render_times = [], []
    try:
        for _ in range(args.decks):
            render_time[0] = 0.0
            t = time.perf_counter()
            deck = export.build_deck(
                charts, title="Синтетическая агломерация", subtitle="2023",
                source="БД ПМО (синтетические данные)",
            )  # fmt: skip
            deck_times.append(time.perf_counter() - t)
            render_times.append(render_time[0])
    finally:
        export._render = real_render
    export.shutdown_renderer()
    deck_median = statistics.median(deck_times)
    render_median = statistics.median(render_times)

    print(
        f"python {platform.python_version()}, plotly {plotly.__version__}, "
        f"kaleido {_version('kaleido')}, python-pptx {_version('python-pptx')}, "
        f"chromium {export.find_browser()}"
    )
    print(f"PNG {len(first):,} bytes; deck {len(deck):,} bytes, {args.slides} slides")
    n, d = args.repeat, args.decks
    rows = [
        ("first PNG (Chromium start + render)", cold, "—"),
        (f"warm PNG 3200×1800, isolated, median of {n}", png_isolated, "< 0.3 s"),
        (f"warm PNG 3200×1800, back-to-back, median of {n}", png_b2b, "< 0.3 s"),
        ("warm SVG, median of 5", svg, "—"),
        ("warm PDF, median of 5", pdf, "—"),
        (f"deck, {args.slides} chart slides, median of {d}", deck_median, "< 10 s"),
        ("  of which rendering pictures", render_median, "—"),
        ("  of which python-pptx and notes", deck_median - render_median, "—"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'seconds':>8}  target")
    for name, seconds, target in rows:
        print(f"{name:<{width}}  {seconds:8.3f}  {target}")
    print("back-to-back PNG runs (s):", " ".join(f"{t:.3f}" for t in png_times))
    return {
        "cold": cold,
        "png_isolated": png_isolated,
        "png_back_to_back": png_b2b,
        "svg": svg,
        "pdf": pdf,
        "deck": deck_median,
        "deck_rendering": render_median,
    }


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


if __name__ == "__main__":
    main()
