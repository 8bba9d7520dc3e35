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
import sys
import threading
from pathlib import Path

DASHBOARD = Path(__file__).with_name("dashboard.py")


def _warm() -> None:
    try:
        # imported here: pandas and the store load alongside Streamlit's own
        # start-up in the main thread instead of before it
        from app_pages.common import warm_up

        warm_up(wait_for_first_page=30.0)
    except Exception:  # noqa: BLE001 - the session shows the error itself
        logging.getLogger(__name__).warning("warm-up failed", exc_info=True)


def main(argv: list[str] | None = None) -> None:
    threading.Thread(target=_warm, name="warm-up", daemon=True).start()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(DASHBOARD), *(argv or sys.argv[1:])]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
