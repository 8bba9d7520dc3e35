"""Charts out of the app: images (PNG, SVG, PDF), a PPTX deck, XLSX and CSV.

Images are rendered server-side by kaleido 1.x, which drives a headless
Chromium (Debian's ``chromium`` package; ``make setup`` installs it). Three
rules keep that safe inside a web app:

* **Check for the browser first.** Without one kaleido cannot work, and some
  failure paths block forever; :func:`export_status` says whether image export
  is possible and, if not, how to enable it, in Russian and English.
  :func:`figure_bytes` and :func:`build_deck` raise :class:`ExportUnavailable`
  (carrying those messages) instead of starting anything.
* **Start the renderer once per process** and reuse it: starting Chromium
  takes 3-6 s, one warm PNG about 0.2-0.4 s.
* **Every export has a timeout**, and the renderer is guarded by a lock
  because Streamlit runs sessions in several threads. A render that times out
  restarts the renderer on the next call.

Why not kaleido's own ``start_sync_server``/``calc_fig_sync``: its
``call_function`` waits on a queue with no timeout, and when the browser fails
to start the server thread dies and every later call blocks forever (checked
with kaleido 1.5.0 and a browser path that exits at once). Instead this module
runs one :class:`kaleido.Kaleido` on an event loop in a daemon thread and
submits each render with :func:`asyncio.run_coroutine_threadsafe`, whose
result is awaited with a timeout.

Chromium flags: choreographer (kaleido's browser driver) starts Chromium with
``--headless --no-sandbox --disable-gpu --disable-dev-shm-usage`` and more by
default (``enable_sandbox=False``, ``enable_gpu=False``); those are the flags a
root container needs, and they are passed explicitly below so that a change of
default upstream does not silently break export. Chromium has no sandbox
here, so only figures built by this project's code should be rendered.

Tables need no browser: :func:`charts_to_xlsx`, :func:`chart_to_csv` and
:func:`table_to_csv` always work.

CSV dialect (``lang``): ``"ru"`` writes ``;`` between fields and a decimal
comma, which is what Excel with a Russian locale opens by double-click;
``"en"`` writes ``,`` and a decimal point. Both are UTF-8 with a byte-order
mark (``utf-8-sig``), without which Excel shows Cyrillic as mojibake.
"""

from __future__ import annotations

from analytics.export import deck, images, tables  # noqa: F401 - the parts
from analytics.export.deck import (  # noqa: F401
    CAPTION_MIN_PT,
    CAPTION_PT,
    FOOTER_PT,
    NOTES_MAX_ROWS,
    SLIDE_HEIGHT_IN,
    SLIDE_PICTURE_WIDTH_PX,
    SLIDE_WIDTH_IN,
    TITLE_PT,
    build_deck,
    data_notes,
)
from analytics.export.images import (  # noqa: F401
    FONT_FAMILY,
    IMAGE_FORMATS,
    RETRY_AFTER,
    STARTUP_TIMEOUT,
    ExportError,
    ExportStatus,
    ExportTimeout,
    ExportUnavailable,
    _render,
    _Renderer,
    export_status,
    figure_bytes,
    find_browser,
    shutdown_renderer,
)
from analytics.export.tables import (  # noqa: F401
    chart_to_csv,
    charts_to_xlsx,
    table_to_csv,
)
from analytics.filenames import safe_file_name

__all__ = [
    "FONT_FAMILY",
    "ExportError",
    "ExportStatus",
    "ExportTimeout",
    "ExportUnavailable",
    "build_deck",
    "chart_to_csv",
    "data_notes",
    "charts_to_xlsx",
    "export_status",
    "figure_bytes",
    "find_browser",
    "safe_filename",
    "shutdown_renderer",
    "table_to_csv",
]


def safe_filename(title: str, ext: str, *, max_length: int = 80) -> str:
    """A file name from a title: Cyrillic kept, nothing a file system refuses
    (:func:`analytics.filenames.safe_file_name`; a title's control characters
    and spaces separate words).

    >>> safe_filename("Доходы / расходы: 2023?", "png")
    'Доходы_расходы_2023.png'
    >>> safe_filename("../../etc/passwd", ".csv")
    'etc_passwd.csv'
    """
    return safe_file_name(
        title, ext, controls="_", max_chars=max_length, fallback="chart"
    )
