"""Every chart of a page in one ZIP: a PNG of each (when images can be
rendered here), the numbers of each as CSV, and all of them in one XLSX."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

from analytics.chart_model import Chart
from analytics.export import images, safe_filename
from analytics.export.tables import chart_to_csv, charts_to_xlsx


def charts_to_zip(
    charts: Sequence[Chart],
    *,
    title: str,
    source: str = "",
    lang: str = "ru",
    timeout: float = 20.0,
) -> bytes:
    """A ZIP of ``charts``: ``NN_<title>.png`` and ``.csv`` per chart (PNG
    only when :func:`analytics.export.export_status` says images work) and
    ``<title>.xlsx`` with every chart's numbers. Names are unique and safe
    on every file system."""
    if not charts:
        raise ValueError("charts_to_zip: charts is empty")
    out = io.BytesIO()
    can_render = images.export_status().available
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, chart in enumerate(charts, start=1):
            stem = safe_filename(chart.title or chart.key, "png")[: -len(".png")]
            stem = f"{number:02d}_{stem}"
            if can_render:
                archive.writestr(
                    f"{stem}.png", images.figure_bytes(chart.figure, timeout=timeout)
                )
            archive.writestr(f"{stem}.csv", chart_to_csv(chart, lang=lang))
        archive.writestr(
            safe_filename(title, "xlsx"),
            charts_to_xlsx(charts, title=title, source=source, lang=lang),
        )
    return out.getvalue()
