"""Safe file names, one function for every file the project writes from text.

Three callers, three kinds of text: a chart title becomes a download name
(:mod:`analytics.export`), an uploaded file's name becomes a file in the
uploads folder (:mod:`analytics.etl.uploads`), a boundary file's name becomes
a file in the store (:mod:`analytics.geo`). :func:`safe_file_name` cleans all
three by the same steps; the keyword arguments say where a caller differs
(whether a title's control characters separate words, whether spaces stay,
the length limit, the default name). :func:`path_inside` is the guard for a
name joined to a folder.

The steps: (1) with ``base_only``, the last component of a Windows or POSIX
path; (2) NFC normalisation; (3) control and format characters (Unicode
category C: ``\\x00``, escape sequences, bidirectional overrides) removed, or
replaced by ``_`` when ``controls="_"``; (4) ``<>:"/\\|?*`` replaced by
``_``, and whitespace too unless ``keep_spaces``; with ``collapse`` runs of
them become one ``_``; (5) the characters in ``strip`` dropped at both ends;
(6) the stem cut to ``max_chars`` characters and ``max_bytes`` bytes of
UTF-8; (7) ``fallback`` when nothing is left; (8) Windows device names
(``CON``, ``LPT1``…) prefixed by ``_``.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

__all__ = ["base_name", "path_inside", "safe_file_name"]

_UNSAFE = '<>:"/\\\\|?*'
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10)
}


def base_name(name: str) -> str:
    """The last component of a path written with ``/`` or ``\\``.

    >>> base_name("C:\\\\Users\\\\x\\\\data.csv"), base_name("../a/b.csv")
    ('data.csv', 'b.csv')
    """
    return re.split(r"[/\\]", str(name))[-1]


def safe_file_name(
    name: str,
    suffix: str,
    *,
    base_only: bool = False,
    controls: str = "",
    keep_spaces: bool = False,
    collapse: bool = True,
    strip: str = "._",
    max_chars: int | None = 80,
    max_bytes: int | None = None,
    fallback: str = "file",
) -> str:
    """``stem + "." + suffix`` from ``name``, safe on every file system.

    ``suffix``: 1 to 8 letters and digits (a leading dot is dropped, case
    folded).

    >>> safe_file_name("Доходы / расходы: 2023?", "png", controls="_")
    'Доходы_расходы_2023.png'
    >>> safe_file_name("../../etc/passwd", ".csv")
    'etc_passwd.csv'
    >>> safe_file_name("../../etc/passwd", "csv", base_only=True)
    'passwd.csv'
    >>> safe_file_name("com1", "txt")
    '_com1.txt'
    """
    suffix = suffix.lstrip(".").lower()
    if not re.fullmatch(r"[a-z0-9]{1,8}", suffix):
        raise ValueError(
            f"safe_file_name: the extension must be letters/digits; got {suffix!r}"
        )
    text = base_name(name) if base_only else str(name)
    text = unicodedata.normalize("NFC", text)
    text = "".join(
        ch
        if unicodedata.category(ch)[0] != "C" or (ch.isspace() and controls)
        else controls
        for ch in text
    )
    unsafe = f"[{_UNSAFE}]" if keep_spaces else rf"[{_UNSAFE}\s]"
    text = re.sub(unsafe + "+" if collapse else unsafe, "_", text.strip())
    if collapse:
        text = re.sub("_+", "_", text)
    stem = text.strip(strip) if strip else text
    if max_chars is not None:
        stem = stem[:max_chars]
    if max_bytes is not None:
        room = max_bytes - len(suffix.encode("utf-8")) - 1
        while len(stem.encode("utf-8")) > room:
            stem = stem[:-1]
    stem = (stem.rstrip(strip) if strip else stem) or fallback
    if stem.split(".")[0].casefold() in _WINDOWS_RESERVED:
        stem = "_" + stem
    return f"{stem}.{suffix}"


def path_inside(folder: str | Path, file_name: str) -> Path | None:
    """``folder / file_name`` resolved (symbolic links followed), or None when
    it leaves ``folder``.

    >>> path_inside("/tmp", "../etc/passwd") is None
    True
    """
    folder = Path(folder).resolve()
    path = (folder / file_name).resolve()
    return path if path.parent == folder else None
