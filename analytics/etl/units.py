"""Units as Rosstat writes them, reduced to a base unit and a multiplier.

The store keeps every value in the catalog's canonical unit: roubles, not
thousands of roubles; persons, not thousands of persons. A published unit such
as «тысяч рублей» or «млн руб.» is split into a scale (1000, 1e6) and a base
unit («руб.»), so the ETL multiplies the value and records the base unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SCALES: list[tuple[re.Pattern[str], float]] = [
    (re.compile(r"^(тысяч[аи]?|тыс\.?)\s*"), 1e3),
    (re.compile(r"^(миллион(ов|а)?|млн\.?)\s*"), 1e6),
    (re.compile(r"^(миллиард(ов|а)?|млрд\.?)\s*"), 1e9),
]

# Canonical spellings of base units: published variant (normalised) → canonical.
_BASES: dict[str, str] = {
    "рублей": "руб.",
    "рубль": "руб.",
    "рубля": "руб.",
    "руб": "руб.",
    "руб.": "руб.",
    "человек": "чел.",
    "чел": "чел.",
    "чел.": "чел.",
    "процент": "%",
    "процентов": "%",
    "в процентах": "%",
    "%": "%",
    "коек": "коек",
    "единиц": "ед.",
    "ед.": "ед.",
    "ед": "ед.",
}


@dataclass(frozen=True, slots=True)
class Unit:
    """A published unit split into ``scale`` × ``base``.

    >>> parse_unit("тысяч рублей")
    Unit(scale=1000.0, base='руб.', text='тысяч рублей')
    >>> parse_unit("(на конец года; тысяч коек)")
    Unit(scale=1000.0, base='коек', text='на конец года; тысяч коек')
    >>> parse_unit("млрд рублей").scale
    1000000000.0
    >>> parse_unit("* процент").base
    '%'
    """

    scale: float
    base: str
    text: str


def parse_unit(text: object) -> Unit:
    """Split a unit line into scale and base unit.

    The unit line of a «Регионы России» table may carry a qualifier before a
    semicolon («на конец года; тысяч коек»): the unit is the last part.
    Unknown units are kept verbatim with scale 1.
    """
    raw = "" if text is None else str(text)
    raw = re.sub(r"\s+", " ", raw.replace("\u00a0", " ")).strip()
    raw = raw.strip("()").strip().lstrip("*").strip()
    part = raw.split(";")[-1].strip().rstrip(")").strip()
    lowered = part.lower()
    # "в процентах к предыдущему году" and similar are percentages.
    if "процент" in lowered:
        base = re.sub(r"в процентах|процентов|процента|процент", "%", lowered)
        base = re.sub(r"\s+", " ", base).strip(" ,")
        return Unit(1.0, "%" if base == "%" else base, raw)
    scale = 1.0
    for pattern, factor in _SCALES:
        match = pattern.match(lowered)
        if match:
            scale = factor
            lowered = lowered[match.end() :].strip()
            break
    base = _BASES.get(lowered, _BASES.get(lowered.split(" ")[0], lowered))
    if base == lowered and lowered.split(" ")[0] in _BASES:
        base = _BASES[lowered.split(" ")[0]] + lowered[len(lowered.split(" ")[0]) :]
    return Unit(scale, base, raw)


def looks_like_unit_line(text: str) -> bool:
    """True for a unit line such as «(тысяч человек)» or «млрд рублей».

    >>> looks_like_unit_line("(на конец года; тысяч коек)")
    True
    >>> looks_like_unit_line("ЧИСЛО БОЛЬНИЧНЫХ КОЕК")
    False
    """
    value = text.strip()
    if value.startswith("(") and value.endswith(")"):
        return True
    lowered = value.lower()
    if len(lowered) > 40:
        return False
    return bool(
        re.match(
            r"^(тысяч[аи]?|тыс\.|миллион|млн|миллиард|млрд|рубл|человек|процент)",
            lowered,
        )
    )
