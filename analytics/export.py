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

import asyncio
import atexit
import contextlib
import io
import math
import os
import re
import shutil
import threading
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from analytics import escape
from analytics.chart_model import Chart

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

#: Fonts with Cyrillic that ``make setup`` installs (fonts-dejavu-core,
#: fonts-liberation); plotly's default "Open Sans" is not installed, and the
#: fallback would depend on the machine.
FONT_FAMILY = "DejaVu Sans, Liberation Sans, Arial, sans-serif"

IMAGE_FORMATS = ("png", "svg", "pdf")

#: Seconds allowed for Chromium to start and load plotly.js.
STARTUP_TIMEOUT = 30.0
#: After a failed start, seconds before the next call tries again (a broken
#: browser must not cost every click 30 s).
RETRY_AFTER = 60.0

_BROWSER_ENV = ("BROWSER_PATH", "CHROMIUM_PATH")
_BROWSER_NAMES = ("chromium", "chromium-browser")
_BROWSER_FALLBACK = "/usr/bin/chromium"

_HOWTO_RU = (
    "Установите Chromium на сервере: `apt-get install chromium` (от root) или "
    "`make setup` (от root), затем перезапустите приложение. Если браузер стоит "
    "в другом месте, укажите путь в переменной окружения BROWSER_PATH. "
    "Таблицы (XLSX, CSV) выгружаются и без браузера."
)
_HOWTO_EN = (
    "Install Chromium on the server: `apt-get install chromium` (as root) or "
    "`make setup` (as root), then restart the app. If the browser is elsewhere, "
    "set its path in the BROWSER_PATH environment variable. "
    "Tables (XLSX, CSV) export without a browser."
)


# --------------------------------------------------------------------------
# Status and errors


class ExportError(RuntimeError):
    """An image could not be produced; ``message_ru``/``message_en`` are for the UI."""

    def __init__(self, message_ru: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_ru = message_ru
        self.message_en = message_en

    def message(self, lang: str = "ru") -> str:
        """The message in ``lang`` ("ru" or "en")."""
        return self.message_en if lang == "en" else self.message_ru


class ExportUnavailable(ExportError):  # noqa: N818 - name in the spec of issue 7
    """Image export cannot work on this machine (no browser, or it fails to start)."""


class ExportTimeout(ExportError):  # noqa: N818 - pairs with ExportUnavailable
    """One render took longer than its timeout; the renderer is restarted."""


@dataclass(frozen=True)
class ExportStatus:
    """Whether image export works here, and what to tell the user."""

    available: bool
    message_ru: str
    message_en: str

    def message(self, lang: str = "ru") -> str:
        """The message in ``lang`` ("ru" or "en")."""
        return self.message_en if lang == "en" else self.message_ru


def _is_executable(path: str | None) -> bool:
    return bool(path) and os.path.isfile(path) and os.access(path, os.X_OK)


def find_browser() -> str | None:
    """Path of a Chromium to render with, or ``None``.

    Looked up in order: the ``BROWSER_PATH`` environment variable (the one
    kaleido's browser driver honours), ``CHROMIUM_PATH``, ``chromium`` or
    ``chromium-browser`` on ``PATH``, then ``/usr/bin/chromium``. A variable
    pointing at something that is not an executable file is ignored.
    """
    for var in _BROWSER_ENV:
        path = os.environ.get(var)
        if _is_executable(path):
            return path
    for name in _BROWSER_NAMES:
        path = shutil.which(name)
        if _is_executable(path):
            return path
    return _BROWSER_FALLBACK if _is_executable(_BROWSER_FALLBACK) else None


def export_status() -> ExportStatus:
    """Can images (PNG/SVG/PDF, decks) be exported here? Cheap; never starts Chromium.

    Not available when no browser is found (the message says how to install
    one) or when the browser failed to start recently (the message gives the
    reason).
    """
    browser = find_browser()
    if browser is None:
        return ExportStatus(
            False,
            "Экспорт изображений недоступен: на сервере не найден браузер "
            "Chromium, которым рисуются картинки. " + _HOWTO_RU,
            "Image export is unavailable: no Chromium browser, which draws the "
            "images, was found on the server. " + _HOWTO_EN,
        )
    failure = _last_failure
    if failure is not None and failure[0] == browser:
        return ExportStatus(
            False,
            f"Экспорт изображений недоступен: Chromium ({browser}) не запустился "
            f"({failure[2]}). " + _HOWTO_RU,
            f"Image export is unavailable: Chromium ({browser}) failed to start "
            f"({failure[2]}). " + _HOWTO_EN,
        )
    return ExportStatus(
        True,
        f"Экспорт изображений доступен (Chromium: {browser}).",
        f"Image export is available (Chromium: {browser}).",
    )


def _unavailable() -> ExportUnavailable:
    status = export_status()
    return ExportUnavailable(status.message_ru, status.message_en)


# --------------------------------------------------------------------------
# The renderer: one kaleido browser per process, on its own event loop


class _Renderer:
    """A kaleido browser on an event loop in a daemon thread."""

    def __init__(self, browser: str) -> None:
        self.browser = browser
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="kaleido-renderer", daemon=True
        )
        self._thread.start()
        self._kaleido: Any = None
        self.started_at = math.inf

    def start(self, timeout: float) -> None:
        future = asyncio.run_coroutine_threadsafe(self._open(), self._loop)
        try:
            self._kaleido = future.result(timeout)
            self.started_at = time.monotonic()
        except BaseException:
            future.cancel()
            self.close()
            raise

    async def _open(self) -> Any:
        kaleido_cls = _kaleido_class()
        k = kaleido_cls(
            n=1,
            timeout=None,  # the caller's timeout applies (see render)
            mathjax=False,  # MathJax would come from a CDN; formulas are not used
            path=self.browser,
            headless=True,
            enable_sandbox=False,  # --no-sandbox: root in a container
            enable_gpu=False,  # --disable-gpu: no GPU in a server
        )
        await k.open()
        return k

    def alive(self) -> bool:
        proc = getattr(self._kaleido, "subprocess", None)
        return (
            self._kaleido is not None
            and self._thread.is_alive()
            and (proc is None or proc.poll() is None)
        )

    def render(self, spec: dict, opts: dict, timeout: float) -> bytes:
        future = asyncio.run_coroutine_threadsafe(
            self._kaleido.calc_fig(spec, opts=opts), self._loop
        )
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def close(self, timeout: float = 10.0) -> None:
        k, self._kaleido = self._kaleido, None
        if k is not None and self._loop.is_running():
            future = asyncio.run_coroutine_threadsafe(k.close(), self._loop)
            try:
                future.result(timeout)
            except BaseException:  # noqa: BLE001 - closing best effort, then kill
                proc = getattr(k, "subprocess", None)
                if proc is not None and proc.poll() is None:
                    with contextlib.suppress(OSError):
                        proc.kill()
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)


_kaleido_subclass: type | None = None


def _kaleido_class() -> type:
    """kaleido.Kaleido that reloads its page *after* returning the image.

    kaleido reloads the browser tab after every render (to start the next one
    from a clean page) and only then returns the bytes; the reload is about
    0.25 s of a 0.4 s PNG. Here the reload runs in the background, so a single
    export returns as soon as the image exists; the tab still goes back to the
    queue only once reloaded, so the next render still gets a clean page.
    If a future kaleido drops the private hook, the stock behaviour remains.
    """
    global _kaleido_subclass
    if _kaleido_subclass is not None:
        return _kaleido_subclass
    import kaleido

    base = kaleido.Kaleido
    if not hasattr(base, "_return_kaleido_tab"):
        _kaleido_subclass = base
        return base

    class _BackgroundReloadKaleido(base):
        _pending: set[asyncio.Task]

        async def _return_kaleido_tab(self, tab: Any) -> None:
            if not hasattr(self, "_pending"):
                self._pending = set()
            task = asyncio.create_task(super()._return_kaleido_tab(tab))
            self._pending.add(task)
            task.add_done_callback(self._reload_done)

        def _reload_done(self, task: asyncio.Task) -> None:
            self._pending.discard(task)
            # a failed reload keeps the tab out of the queue: the next render
            # times out and the renderer restarts; retrieve to keep logs quiet
            if not task.cancelled():
                task.exception()

    _kaleido_subclass = _BackgroundReloadKaleido
    return _BackgroundReloadKaleido


_lock = threading.Lock()
_renderer: _Renderer | None = None
# (browser path, monotonic time, reason) of the last failed start
_last_failure: tuple[str, float, str] | None = None


def _get_renderer(browser: str) -> _Renderer:
    """The running renderer for ``browser``, started if needed. Hold ``_lock``."""
    global _renderer, _last_failure
    if _renderer is not None and (
        _renderer.browser != browser or not _renderer.alive()
    ):
        _renderer.close()
        _renderer = None
    if _renderer is not None:
        return _renderer
    if (
        _last_failure is not None
        and _last_failure[0] == browser
        and time.monotonic() - _last_failure[1] < RETRY_AFTER
    ):
        raise _unavailable()
    renderer = _Renderer(browser)
    try:
        renderer.start(STARTUP_TIMEOUT)
    except BaseException as exc:  # noqa: BLE001 - any failure means "unavailable"
        reason = (
            f"no answer in {STARTUP_TIMEOUT:.0f} s"
            if isinstance(exc, TimeoutError)
            else f"{type(exc).__name__}: {str(exc)[:200]}"
        )
        _last_failure = (browser, time.monotonic(), reason)
        raise _unavailable() from None
    _last_failure = None
    _renderer = renderer
    return renderer


def shutdown_renderer() -> None:
    """Close the browser (it restarts on the next export). Safe to call twice."""
    global _renderer, _last_failure
    with _lock:
        if _renderer is not None:
            _renderer.close()
            _renderer = None
        _last_failure = None


atexit.register(shutdown_renderer)


# --------------------------------------------------------------------------
# Figure -> bytes


def _figure_dict(fig: go.Figure | dict, *, slide: bool = False) -> dict:
    """A copy of ``fig`` as a dict with a Cyrillic font set (and, for a slide,
    no figure title and a larger base font)."""
    if isinstance(fig, go.Figure):
        spec = fig.to_dict()  # a deep copy: the caller's figure is not touched
    elif isinstance(fig, dict) and "data" in fig:
        spec = go.Figure(fig).to_dict()
    else:
        raise TypeError(
            f"figure_bytes: fig must be a plotly Figure or figure dict; "
            f"got {type(fig).__name__}"
        )
    layout = spec.setdefault("layout", {})
    template_font = layout.get("template", {}).get("layout", {}).get("font", {})
    font = dict(layout.get("font") or {})
    if not font.get("family") and not template_font.get("family"):
        font["family"] = FONT_FAMILY
    if slide:
        # the slide title carries the figure's title; projected text must be
        # larger than on screen (18 px ≈ 12.7 pt on a 12.3 in wide picture)
        if not font.get("size") and not template_font.get("size"):
            font["size"] = 18
        title = layout.get("title")
        if isinstance(title, dict):
            title = {**title, "text": ""}
        layout["title"] = title if isinstance(title, dict) else {"text": ""}
        margin = dict(layout.get("margin") or {})
        margin.setdefault("t", 30)
        layout["margin"] = margin
    layout["font"] = font
    return spec


def figure_bytes(
    fig: go.Figure | dict,
    fmt: str = "png",
    *,
    width: int = 1600,
    height: int = 900,
    scale: float = 2,
    timeout: float = 20.0,
) -> bytes:
    """Render a plotly figure to PNG, SVG or PDF bytes.

    Parameters
    ----------
    fig : plotly Figure or figure dict
        Not modified. Unless the figure or its template sets a font family,
        :data:`FONT_FAMILY` (DejaVu Sans, with Cyrillic) is used.
    fmt : {"png", "svg", "pdf"}
    width, height : int
        Size in CSS pixels; the default is a 16:9 slide.
    scale : float
        Pixel ratio for PNG: the image is ``width*scale`` × ``height*scale``
        pixels (3200 × 1800 by default). SVG and PDF are vector.
    timeout : float
        Seconds allowed for this render, waiting for the renderer lock
        included (the first call also starts Chromium, which has its own
        :data:`STARTUP_TIMEOUT`).

    Raises
    ------
    ExportUnavailable
        No browser, or it failed to start (messages say how to fix it).
    ExportTimeout
        The render took longer than ``timeout``.
    ValueError
        Bad ``fmt``, size or timeout.
    """
    fmt = fmt.lower()
    if fmt not in IMAGE_FORMATS:
        raise ValueError(
            f"figure_bytes: fmt must be one of {IMAGE_FORMATS}; got {fmt!r}"
        )
    for name, value in (("width", width), ("height", height), ("scale", scale)):
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise ValueError(
                f"figure_bytes: {name} must be a positive number; got {value!r}"
            )
    if not timeout > 0:
        raise ValueError(f"figure_bytes: timeout must be positive; got {timeout!r}")
    spec = _figure_dict(fig)
    return _render(
        spec, {"format": fmt, "width": width, "height": height, "scale": scale}, timeout
    )


def _busy(timeout: float) -> ExportTimeout:
    return ExportTimeout(
        f"Экспорт изображения не успел за {timeout:g} с: модуль отрисовки занят "
        "другими выгрузками. Повторите позже.",
        f"Image export timed out after {timeout:g} s: the renderer is busy "
        "with other exports. Try again later.",
    )


def _render(spec: dict, opts: dict, timeout: float) -> bytes:
    global _renderer
    browser = find_browser()
    if browser is None:
        raise _unavailable()
    started = time.monotonic()
    if not _lock.acquire(timeout=timeout + STARTUP_TIMEOUT):
        raise _busy(timeout)
    try:
        renderer = _get_renderer(browser)
        # waiting for the lock counts against the caller's timeout; Chromium's
        # start-up does not (it has its own)
        started = max(started, renderer.started_at)
        remaining = timeout - (time.monotonic() - started)
        if remaining <= 0:
            raise _busy(timeout)
        try:
            return renderer.render(spec, opts, remaining)
        except TimeoutError:
            renderer.close()
            _renderer = None
            raise ExportTimeout(
                f"Экспорт изображения не успел за {timeout:g} с и прерван. "
                "Попробуйте ещё раз или упростите график.",
                f"Image export did not finish in {timeout:g} s and was stopped. "
                "Try again or simplify the chart.",
            ) from None
        except Exception as exc:
            # a figure plotly.js rejects, or a browser that died: a message for
            # the UI, the cause chained for the log; a dead browser restarts
            if not renderer.alive():
                renderer.close()
                _renderer = None
            reason = f"{type(exc).__name__}: {str(exc)[:300]}"
            raise ExportError(
                f"Не удалось нарисовать изображение ({reason}).",
                f"The image could not be rendered ({reason}).",
            ) from exc
    finally:
        _lock.release()


# --------------------------------------------------------------------------
# Tables: CSV and XLSX


_CSV_DIALECT = {"ru": (";", ","), "en": (",", ".")}


def _table(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with a meaningful index turned into columns (a RangeIndex is dropped)."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame; got {type(df).__name__}")
    if isinstance(df.index, pd.RangeIndex):
        return df
    return df.reset_index()


def table_to_csv(df: pd.DataFrame, *, lang: str = "ru") -> bytes:
    """A DataFrame as CSV bytes that Excel opens with Cyrillic intact.

    UTF-8 with BOM. ``lang="ru"``: ``;`` separator, decimal comma (Excel in a
    Russian locale); ``lang="en"``: ``,`` and a decimal point. A named or
    non-range index is written as columns. Read back with
    ``pd.read_csv(io.BytesIO(b), sep=";", decimal=",", encoding="utf-8-sig")``.
    """
    if lang not in _CSV_DIALECT:
        raise ValueError(f"table_to_csv: lang must be 'ru' or 'en'; got {lang!r}")
    sep, decimal = _CSV_DIALECT[lang]
    text = _table(df).to_csv(
        index=False, sep=sep, decimal=decimal, lineterminator="\r\n"
    )
    return text.encode("utf-8-sig")


def chart_to_csv(chart: Chart, *, lang: str = "ru") -> bytes:
    """The numbers behind ``chart`` as CSV (see :func:`table_to_csv`)."""
    return table_to_csv(chart.data, lang=lang)


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_XLSX_TEXT = {
    "ru": {
        "cover": "Содержание",
        "title": "Заголовок",
        "source": "Источник",
        "exported": "Дата выгрузки",
        "sheet": "Лист",
        "chart": "График",
        "unit": "Единица",
        "year": "Год / период",
        "weighting": "Взвешивание",
        "caption": "Вывод",
        True: "взвешено по населению",
        False: "без взвешивания",
        None: "—",
    },
    "en": {
        "cover": "Contents",
        "title": "Title",
        "source": "Source",
        "exported": "Exported",
        "sheet": "Sheet",
        "chart": "Chart",
        "unit": "Unit",
        "year": "Year / period",
        "weighting": "Weighting",
        "caption": "Finding",
        True: "population-weighted",
        False: "unweighted",
        None: "—",
    },
}


def _sheet_name(name: str, taken: set[str]) -> str:
    """A valid, unique (case-insensitively, as Excel compares) sheet name."""
    base = _SHEET_FORBIDDEN.sub(" ", name)
    base = re.sub(r"\s+", " ", base).strip().strip("'").strip() or "Sheet"
    if base.casefold() == "history":  # reserved by Excel
        base = "History_"
    candidate = base[:31]
    n = 2
    while candidate.casefold() in taken:
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)].rstrip() + suffix
        n += 1
    taken.add(candidate.casefold())
    return candidate


def _cell_value(value: Any) -> Any:
    """A value openpyxl can store (NaN/NA → empty cell)."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, str):
        return escape.xlsx(value)
    if isinstance(value, int | float | bool | datetime):
        return value
    return escape.xlsx(str(value))


def _autowidth(ws: Any, widths: dict[int, int]) -> None:
    from openpyxl.utils import get_column_letter

    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 8), 70)


def _value_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, float):
        return len(f"{value:.6g}")
    return max((len(line) for line in str(value).splitlines()), default=0)


def charts_to_xlsx(
    charts: Sequence[Chart],
    *,
    title: str,
    source: str,
    lang: str = "ru",
    exported_at: datetime | None = None,
) -> bytes:
    """The numbers behind ``charts`` as an Excel workbook.

    A cover sheet (title, source, export date and one row per chart: sheet,
    chart title, unit, year, weighting, finding), then one sheet per chart
    with ``chart.data``: bold, frozen header row (column names carry units),
    columns sized to their content. Numbers stay numbers; missing values are
    empty cells. Sheet names come from chart titles, cut to 31 characters,
    made unique and cleared of ``[]:*?/\\``.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.hyperlink import Hyperlink

    words = _XLSX_TEXT.get(lang, _XLSX_TEXT["ru"])
    exported_at = exported_at or datetime.now().replace(microsecond=0)
    bold = Font(bold=True)

    wb = Workbook()
    cover = wb.active
    cover.title = words["cover"]
    taken = {cover.title.casefold()}
    cover.append([_cell_value(title)])
    cover["A1"].font = Font(bold=True, size=14)
    cover.append([words["source"], _cell_value(source)])
    cover.append([words["exported"], exported_at])
    cover["B3"].number_format = "yyyy-mm-dd hh:mm"
    cover["B3"].alignment = Alignment(horizontal="left")
    cover.append([])
    header = ["sheet", "chart", "unit", "year", "weighting", "source", "caption"]
    cover.append([words[h] for h in header])
    header_row = cover.max_row
    for cell in cover[header_row]:
        cell.font = bold
    widths = {1: len(words["source"]), 2: 10}
    for i, key in enumerate(header, start=1):
        widths[i] = max(widths.get(i, 0), len(words[key]))

    for chart in charts:
        name = _sheet_name(chart.title or chart.key, taken)
        row = [
            name,
            chart.title,
            chart.unit,
            chart.year,
            words[chart.weighted],
            chart.source,
            chart.caption,
        ]
        row = [_cell_value(v) for v in row]
        cover.append(row)
        cell = cover.cell(row=cover.max_row, column=1)
        quoted = name.replace("'", "''")
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{quoted}'!A1")
        cell.style = "Hyperlink"
        for i, value in enumerate(row, start=1):
            widths[i] = max(widths[i], _value_width(value))

        ws = wb.create_sheet(name)
        table = _table(chart.data)
        ws.append([_cell_value(str(c)) for c in table.columns])
        for cell in ws[1]:
            cell.font = bold
        col_widths = {i: _value_width(str(c)) for i, c in enumerate(table.columns, 1)}
        for values in table.itertuples(index=False, name=None):
            row_values = [_cell_value(v) for v in values]
            ws.append(row_values)
            for i, v in enumerate(row_values, start=1):
                col_widths[i] = max(col_widths[i], _value_width(v))
        ws.freeze_panes = "A2"
        _autowidth(ws, col_widths)

    for sheet in wb.worksheets:  # names and texts from files stay text
        escape.guard_sheet(sheet)
    cover.freeze_panes = cover.cell(row=header_row + 1, column=1)
    # the title and the finding are long: let them run over instead of widening
    widths[7] = min(widths[7], 60)
    _autowidth(cover, widths)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------
# PPTX deck

SLIDE_WIDTH_IN = 12192000 / 914400  # 13.333… in: PowerPoint's own 16:9 size
SLIDE_HEIGHT_IN = 7.5
_MARGIN_IN = 0.5
#: Projector-readable sizes (points).
TITLE_PT = 30
CAPTION_PT = 20
CAPTION_MIN_PT = 18
FOOTER_PT = 12
NOTES_MAX_ROWS = 60
#: CSS width of the picture on a chart slide (12.33 in wide: 1 px ≈ 0.7 pt);
#: its height follows the room left by the caption.
SLIDE_PICTURE_WIDTH_PX = 1280


def _caption_size(text: str, width_in: float) -> tuple[int, int]:
    """Font size (pt) and estimated line count of a caption ``width_in`` wide.

    20 pt while it fits in two lines, else 18 pt (never smaller: readable from
    the back of a room). Half an em per character is a fair average width.
    """
    for size in (CAPTION_PT, CAPTION_MIN_PT):
        per_line = width_in * 72 / (size * 0.5)
        lines = max(1, math.ceil(len(text) / per_line))
        if lines <= 2:
            break
    return size, min(lines, 4)


def _number_text(value: Any, lang: str) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float | int) or hasattr(value, "dtype"):
        try:
            if pd.isna(value):
                return "—"
        except (TypeError, ValueError):
            return str(value)
        if isinstance(value, int) or float(value).is_integer():
            text = f"{int(value)}"
        else:
            text = f"{float(value):.10g}"
        return text.replace(".", ",") if lang == "ru" else text
    return str(value)


def data_notes(
    chart: Chart, *, lang: str = "ru", max_rows: int = NOTES_MAX_ROWS
) -> str:
    """The numbers behind ``chart`` as a compact text table, plus its notes.

    Tab-separated (pastes into Excel as columns), at most ``max_rows`` rows,
    numbers to 10 significant digits (decimal comma for Russian), then the
    footer and ``chart.notes``.
    """
    table = _table(chart.data)
    lines = ["\t".join(str(c) for c in table.columns)]
    for values in table.head(max_rows).itertuples(index=False, name=None):
        lines.append("\t".join(_number_text(v, lang) for v in values))
    if len(table) > max_rows:
        more = len(table) - max_rows
        lines.append(
            f"… ещё {more} строк (полностью — в XLSX)"
            if lang == "ru"
            else f"… {more} more rows (all of them in the XLSX)"
        )
    footer = chart.footer(lang)
    if footer:
        lines += ["", footer]
    if chart.notes:
        lines += ["", chart.notes]
    return "\n".join(lines)


def _set_text(
    shape: Any,
    text: str,
    size: int,
    *,
    bold: bool = False,
    color: tuple[int, int, int] | None = None,
) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    frame = shape.text_frame
    frame.word_wrap = True
    frame.text = text
    for paragraph in frame.paragraphs:
        for run in paragraph.runs:
            run.font.size = Pt(size)
            run.font.bold = bold
            if color is not None:
                run.font.color.rgb = RGBColor(*color)


def _place(shape: Any, left: float, top: float, width: float, height: float) -> None:
    from pptx.util import Inches

    shape.left, shape.top = Inches(left), Inches(top)
    shape.width, shape.height = Inches(width), Inches(height)


def build_deck(
    charts: Sequence[Chart],
    *,
    title: str,
    subtitle: str,
    source: str,
    lang: str = "ru",
    progress: Callable[[int, int], None] | None = None,
    timeout: float = 20.0,
) -> bytes:
    """A 16:9 PowerPoint deck: a title slide, then one slide per chart.

    Title slide: ``title`` (e.g. the agglomeration), ``subtitle`` (the
    period) and ``source``. Chart slide: ``chart.title`` as the slide title
    (30 pt), the caption (the finding, 20 pt), the chart as a PNG filling the
    width, and ``chart.footer(lang)`` (unit, year, source, weighting; 12 pt)
    at the bottom. The slide notes hold the numbers behind the chart
    (:func:`data_notes`).

    ``progress(done, total)`` is called with ``done`` = 0 … ``len(charts)``.
    ``timeout`` applies to each picture.

    Raises
    ------
    ExportUnavailable
        Before any work, when images cannot be rendered here.
    ValueError
        When ``charts`` is empty.
    """
    from pptx import Presentation
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Emu, Inches

    if not charts:
        raise ValueError("build_deck: charts is empty; a deck needs at least one chart")
    status = export_status()
    if not status.available:
        raise ExportUnavailable(status.message_ru, status.message_en)

    total = len(charts)
    if progress is not None:
        progress(0, total)

    prs = Presentation()
    prs.slide_width = Emu(round(SLIDE_WIDTH_IN * 914400))
    prs.slide_height = Emu(round(SLIDE_HEIGHT_IN * 914400))
    inner = SLIDE_WIDTH_IN - 2 * _MARGIN_IN
    grey = (0x59, 0x59, 0x59)

    # the default template's placeholders sit on a 10 in wide slide: move them
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    _place(slide.shapes.title, _MARGIN_IN, 2.2, inner, 1.5)
    _set_text(slide.shapes.title, title, 40, bold=True)
    sub = slide.placeholders[1]
    _place(sub, _MARGIN_IN, 3.8, inner, 1.2)
    _set_text(sub, subtitle, 24, color=grey)
    label = "Источник данных" if lang == "ru" else "Data source"
    box = slide.shapes.add_textbox(
        Inches(_MARGIN_IN), Inches(6.2), Inches(inner), Inches(0.8)
    )
    _set_text(box, f"{label}: {source}" if source else "", 14, color=grey)
    box.text_frame.paragraphs[0].alignment = PP_ALIGN.CENTER  # as the title

    px_w = SLIDE_PICTURE_WIDTH_PX
    for done, chart in enumerate(charts, start=1):
        slide = prs.slides.add_slide(prs.slide_layouts[5])  # "Title Only"
        _place(slide.shapes.title, _MARGIN_IN, 0.25, inner, 0.85)
        _set_text(slide.shapes.title, chart.title, TITLE_PT, bold=True)
        slide.shapes.title.text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
        top = 1.1
        if chart.caption:
            size, lines = _caption_size(chart.caption, inner)
            height = lines * size * 1.2 / 72 + 0.15
            box = slide.shapes.add_textbox(
                Inches(_MARGIN_IN), Inches(top), Inches(inner), Inches(height)
            )
            _set_text(box, chart.caption, size)
            top += height + 0.05
        footer_top = SLIDE_HEIGHT_IN - 0.55
        # the picture fills the box left between caption and footer: render it
        # at that box's aspect ratio rather than letterboxing a 16:9 image
        pic_h = footer_top - 0.1 - top
        px_h = round(px_w * pic_h / inner)
        spec = _figure_dict(chart.figure, slide=True)
        opts = {"format": "png", "width": px_w, "height": px_h, "scale": 2}
        png = _render(spec, opts, timeout)
        slide.shapes.add_picture(
            io.BytesIO(png),
            Inches(_MARGIN_IN),
            Inches(top),
            Inches(inner),
            Inches(pic_h),
        )
        box = slide.shapes.add_textbox(
            Inches(_MARGIN_IN), Inches(footer_top), Inches(inner), Inches(0.45)
        )
        _set_text(box, chart.footer(lang), FOOTER_PT, color=grey)
        slide.notes_slide.notes_text_frame.text = data_notes(chart, lang=lang)
        if progress is not None:
            progress(done, total)

    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------
# File names

_FILENAME_BAD = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10)
}


def safe_filename(title: str, ext: str, *, max_length: int = 80) -> str:
    """A file name from a title: Cyrillic kept, nothing a file system refuses.

    Path separators, ``<>:"|?*`` and control characters become ``_``, runs
    of spaces and ``_`` become one ``_``, leading/trailing dots are dropped, Windows
    device names are prefixed, and the stem is cut to ``max_length``
    characters (Cyrillic is 2 bytes in UTF-8: 80 characters stay far below
    the 255-byte limit).

    >>> safe_filename("Доходы / расходы: 2023?", "png")
    'Доходы_расходы_2023.png'
    >>> safe_filename("../../etc/passwd", ".csv")
    'etc_passwd.csv'
    """
    ext = ext.lstrip(".").lower()
    if not re.fullmatch(r"[a-z0-9]{1,8}", ext):
        raise ValueError(f"safe_filename: ext must be letters/digits; got {ext!r}")
    stem = unicodedata.normalize("NFC", str(title))
    stem = _FILENAME_BAD.sub("_", stem)
    stem = re.sub(r"[\s_]+", "_", stem.strip())
    stem = re.sub(r"^[._]+|[._]+$", "", stem)
    stem = stem[:max_length].rstrip("._") or "chart"
    if stem.split(".")[0].casefold() in _WINDOWS_RESERVED:
        stem = "_" + stem
    return f"{stem}.{ext}"
