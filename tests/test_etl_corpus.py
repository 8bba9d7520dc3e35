"""Every file of ``../shared/data/rosstat-corpus``: the two cells read off it by
eye (MANIFEST.csv there) come out of the readers with their territory, year
and period, indicator, value and unit (see ``tests/corpus_cells.py``)."""

from __future__ import annotations

import math
import re

import pytest

from analytics.etl.readers import LayoutError, read_file
from analytics.etl.territories import load_resolver
from tests.corpus_cells import CELLS

#: Files that do not state their period anywhere (2002 census tables: the
#: year is only in the publication's name): the reader rejects them and says
#: so, rather than guess a year.
NO_PERIOD = {"1_TOM_01_03.xls", "1_TOM_01_04.xls", "1_TOM_01_06.xls"}

FILES: dict[tuple[str, str], list[tuple]] = {}
for _cell in CELLS:
    FILES.setdefault((_cell[0], _cell[1]), []).append(_cell)


@pytest.fixture(scope="module")
def resolver():
    return load_resolver()


@pytest.mark.parametrize(
    ("folder", "name"), sorted(FILES), ids=[n for _, n in sorted(FILES)]
)
def test_corpus_file_gives_its_two_cells(shared_data, resolver, folder, name):
    path = shared_data / "rosstat-corpus" / folder / name
    if name in NO_PERIOD:
        with pytest.raises(LayoutError) as error:
            read_file(path, is_territory=resolver.is_territory)
        message = str(error.value)
        assert (
            name in message
            and "период" in message
            and f"лист «{path.stem[-5:].replace('_', '-')}»" in message
        )
        return
    result = read_file(path, is_territory=resolver.is_territory)
    records = result.all_records()
    for _, _, sheet, cell, territory, year, period, words, value, unit in FILES[
        (folder, name)
    ]:
        hit = records[(records.sheet == sheet) & (records.cell == cell)]
        assert len(hit) == 1, (sheet, cell, len(hit))
        record = hit.iloc[0]
        indicator = result.indicators[record.indicator_key]
        assert record.territory_name == territory
        assert (int(record.year), record.period) == (year, period)
        assert all(w in indicator.name_ru.lower() for w in words), indicator.name_ru
        assert math.isclose(record.value, value, rel_tol=1e-12)
        assert unit.lower() in indicator.unit.lower()
        assert bool(unit) == bool(indicator.unit)
        # footnote marks never reach names, not even glued inside them
        assert not re.search(r"[а-яё]\d\b", indicator.name_ru), indicator.name_ru
        assert not any(
            n.rstrip().endswith((")", "*")) and n.rstrip()[-2:-1].isdigit()
            for n in (record.territory_name, indicator.name_ru)
        )
