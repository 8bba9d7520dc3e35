"""EMISS (fedstat.ru) SDMX-ML downloads: GenericData with code lists.

The file names its indicator in ``Description/Indicator`` (id, name, unit),
the territories in the ``s_OKATO`` code list (code → name), and holds one
``generic:Series`` per territory (and breakdown), each with ``Obs`` of a
``Time`` and an ``ObsValue`` written with a decimal comma («63,98»). The
series attribute ``PERIOD`` says what a value covers («значение показателя
за год», «январь», «I квартал», «январь-март»). The file is read streaming
(``iterparse``): a large download is never held as a tree.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from analytics.etl.clean import clean_label
from analytics.etl.readers.base import (
    LayoutError,
    RawIndicator,
    ReadResult,
    RecordBuilder,
)
from analytics.etl.readers.periods import ANNUAL, parse_subperiod, parse_year_label

LAYOUT = "emiss_sdmx"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _period(text: str) -> str:
    value = text.lower().strip()
    if not value or "за год" in value or value in ("год", "годовая"):
        return ANNUAL
    return parse_subperiod(re.sub(r"^значение показателя за\s+", "", value)) or ""


def read_sdmx(path: Path, result: ReadResult) -> int:
    """Read one SDMX-ML GenericData file into ``result``."""
    names: dict[str, dict[str, str]] = {}
    code_list = ""
    code = ""
    indicator = {"id": "", "name": "", "unit": ""}
    builder = RecordBuilder(result, "")
    series_key: dict[str, str] = {}
    attributes: dict[str, str] = {}
    obs_time = ""
    obs_value = None
    in_key = in_attributes = False
    count = 0
    seen_root = False
    try:
        for event, element in ET.iterparse(str(path), events=("start", "end")):
            tag = _local(element.tag)
            if event == "start":
                if not seen_root:
                    seen_root = True
                    if tag not in (
                        "GenericData",
                        "MessageGroup",
                        "StructureSpecificData",
                    ):
                        raise LayoutError(
                            f"{path.name}: XML, но не выгрузка SDMX ЕМИСС "
                            f"(корневой элемент «{tag}»)"
                        )
                if tag == "CodeList":
                    code_list = element.get("id", "")
                    names.setdefault(code_list, {})
                elif tag == "Code":
                    code = element.get("value", "")
                elif tag == "Indicator":
                    indicator["id"] = element.get("id", "")
                    indicator["name"] = element.get("name", "")
                elif tag == "Unit" and not indicator["unit"]:
                    indicator["unit"] = element.get("value", "")
                elif tag == "SeriesKey":
                    in_key = True
                    series_key = {}
                elif tag == "Attributes":
                    in_attributes = True
                    attributes = {}
                elif tag == "Value" and (in_key or in_attributes):
                    target = series_key if in_key else attributes
                    target[element.get("concept", "")] = element.get("value", "")
                elif tag == "Obs":
                    obs_time, obs_value = "", None
                elif tag == "ObsValue":
                    obs_value = element.get("value")
                continue
            if tag == "Description" and code and code_list:
                names[code_list][code] = (element.text or "").strip()
            elif tag == "SeriesKey":
                in_key = False
            elif tag == "Attributes":
                in_attributes = False
            elif tag == "Time":
                obs_time = (element.text or "").strip()
            elif tag == "Obs":
                count += _observation(
                    builder,
                    result,
                    names,
                    indicator,
                    series_key,
                    attributes,
                    obs_time,
                    obs_value,
                )
            elif tag in ("Series", "CodeList", "Indicator"):
                element.clear()
    except ET.ParseError as error:
        raise LayoutError(f"{path.name}: XML не разобран ({error})") from error
    builder.flush()
    if not seen_root:
        raise LayoutError(f"{path.name}: файл пуст")
    result.layouts[""] = LAYOUT
    if not count and not result.rejects:
        raise LayoutError(f"{path.name}: в выгрузке SDMX нет ни одного наблюдения")
    return count


def _observation(
    builder, result, names, indicator, series_key, attributes, time, value
) -> int:
    territory_code = series_key.get("s_OKATO", "")
    territory = names.get("s_OKATO", {}).get(territory_code, territory_code)
    dims = [
        clean_label(names.get(concept, {}).get(code, code))
        for concept, code in series_key.items()
        if concept != "s_OKATO"
    ]
    year = parse_year_label(time[:4]) if time else None
    period = _period(attributes.get("PERIOD", ""))
    where = f"s_OKATO={territory_code}, {time}"
    if year is None or not period:
        result.reject(
            sheet="",
            cell=where,
            raw=time,
            reason=f"период «{time} {attributes.get('PERIOD', '')}» не распознан",
            kind="invalid",
        )
        return 0
    if len(time) > 4 and period == ANNUAL:  # «2019-Q1», «2019-01»
        match = re.match(r"^\d{4}-(?:Q(\d)|(\d\d))$", time)
        if match:
            period = f"Q{match.group(1)}" if match.group(1) else f"M{match.group(2)}"
    unit = attributes.get("EI") or indicator["unit"]
    name = clean_label(indicator["name"])
    if dims:
        name = f"{name}: {', '.join(dims)}"
    key = f"sdmx:{name}|{unit}"
    result.indicators.setdefault(
        key,
        RawIndicator(
            key=key, name_ru=name, unit=unit, code=indicator["id"], source_kind="emiss"
        ),
    )
    # the territory as the code list names it; OKATO codes of regions are
    # 11 digits, which the territory resolver does not take for OKTMO codes
    parsed = builder.add(
        territory_name=territory,
        territory_code="",
        indicator_key=key,
        year=year,
        raw=value,
        row=0,
        col=0,
        period=period,
    )
    # the cell is the series and time (RecordBuilder wrote an A1 reference)
    if parsed.kind == "ok":
        builder.rows[-1] = (*builder.rows[-1][:-1], where)
    elif result.rejects:
        result.rejects[-1]["cell"] = where
    return parsed.kind == "ok"
