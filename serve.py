"""Start the dashboard, reading the store while the server starts.

``python serve.py [streamlit options]`` is ``streamlit run dashboard.py`` plus a
warm-up thread: the store is opened and the default overview computed while
Streamlit starts its server and the browser loads the page, into the same
process-wide caches the sessions use (``app_pages.common.warm_up``). The first
visitor then waits for neither. A failed warm-up is only logged: the session
reports the problem itself (for example, a missing store) in the user's
language.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path

DASHBOARD = Path(__file__).with_name("dashboard.py")


class _DropNoise(logging.Filter):
    """Drop a Streamlit warning that looks like an error to a new user and
    means nothing here: the warm-up thread reads the caches outside a session
    («missing ScriptRunContext»)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "missing ScriptRunContext" not in record.getMessage()


def _quiet_streamlit() -> None:
    # a filter, not a level: Streamlit resets its loggers' levels when it
    # reads its configuration
    noise = _DropNoise()
    for name in (
        "streamlit.runtime.scriptrunner_utils.script_run_context",
        "streamlit.runtime.caching.cache_data_api",
        "streamlit",
    ):
        logging.getLogger(name).addFilter(noise)
    # A headless server asks a web service for the machine's external IP to
    # print one more URL, and warns «Did not auto detect external IP» when
    # offline. The dashboard makes no request to third parties: the address
    # to open is printed by main().
    from streamlit import net_util

    net_util.get_external_ip = lambda: None


def _port(argv: list[str]) -> str:
    for i, arg in enumerate(argv):
        if arg.startswith("--server.port="):
            return arg.split("=", 1)[1]
        if arg == "--server.port" and i + 1 < len(argv):
            return argv[i + 1]
    return "8501"


def _warm() -> None:
    try:
        # imported here: pandas and the store load alongside Streamlit's own
        # start-up in the main thread instead of before it
        from app_pages.common import warm_up

        warm_up(wait_for_first_page=30.0)
    except Exception as error:  # noqa: BLE001 - the session shows the error itself
        # one line, no traceback: the page says the same to the user
        print(f"Прогрев пропущен / warm-up skipped: {error}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    argv = list(argv if argv is not None else sys.argv[1:])
    _quiet_streamlit()
    port = _port(argv)
    print(
        f"Дашборд запускается: откройте http://localhost:{port} в браузере "
        f"(другой порт: make run PORT=8600). Остановить: Ctrl+C.\n"
        f"The dashboard is starting: open http://localhost:{port} "
        "(another port: make run PORT=8600). Stop: Ctrl+C.",
        flush=True,
    )
    limit = os.environ.get("AGGLO_MAX_UPLOAD_MB")
    if limit and not any(a.startswith("--server.maxUploadSize") for a in argv):
        # Streamlit's uploader states and enforces the app's own limit
        argv += ["--server.maxUploadSize", limit]
    threading.Thread(target=_warm, name="warm-up", daemon=True).start()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(DASHBOARD), *argv]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
