"""Chart layout details that exported slides depend on."""

from __future__ import annotations

import pandas as pd

from analytics import charts


def _bars(names: list[str]):
    df = pd.DataFrame({"name": names, "score": range(len(names)), "model": "m"})
    return charts.grouped_bars(
        df, title="T", footer="F", x="name", y="score", colour="model", y_title="y"
    )


def test_long_category_labels_push_the_footer_below_them():
    """Slanted two-line labels («territory (agglomeration)») take ~200 px under
    the plot; the footer must go under them, not over them."""
    short = _bars(["A", "B", "C"])
    long = _bars(
        [f"городской округ Город-{i} (Краснодарская агломерация)" for i in range(10)]
    )
    footer = [a for a in long.layout.annotations if a.text == "F"][0]
    assert [a.yshift for a in short.layout.annotations if a.text == "F"] == [-62]
    assert footer.yshift < -150
    assert long.layout.margin.b - short.layout.margin.b == -62 - footer.yshift
    assert long.layout.height - short.layout.height == -62 - footer.yshift
    assert long.layout.xaxis.tickangle < 0 and short.layout.xaxis.tickangle == 0
    assert all("<br>" in text for text in long.layout.xaxis.ticktext)
    assert list(long.layout.xaxis.tickvals) == list(long.data[0].x)
