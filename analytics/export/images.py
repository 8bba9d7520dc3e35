"""Figure -> PNG, SVG or PDF bytes through one kaleido renderer per process
(headless Chromium), with a timeout on every render; whether export is
possible at all (:func:`export_status`) and the errors the UI shows."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import math
import os
import shutil
import threading
import time
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

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


#: ``name`` of the footer annotation that :mod:`analytics.charts` adds.
FOOTER_NAME = "footer"


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
        # the slide prints the footer (unit, year, source) once, under the
        # picture: the figure's own copy goes, and the room it took
        notes = list(layout.get("annotations") or [])
        footers = [a for a in notes if a.get("name") == FOOTER_NAME]
        if footers:
            layout["annotations"] = [a for a in notes if a.get("name") != FOOTER_NAME]
            lines = str(footers[0].get("text", "")).count("<br>") + 1
            if "b" in margin:
                margin["b"] = max(40, margin["b"] - 16 * lines - 8)
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
