"""The БД ПМО mirror reader: layout, breakdowns, periods, zip streaming and
memory that does not grow with the file."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

from analytics.etl.readers import read_file

ROOT = Path(__file__).resolve().parents[1]

HEADER = (
    "region_id;mun_level;municipality;oktmo;mun_type;year;period;okved2;"
    "indicator_value\n"
)
ROWS = (
    "80;1;городской округ город Уфа;80701000;городской округ;2024;январь-декабрь;"
    "Всего;87313,0\n"
    "80;1;городской округ город Уфа;80701000;городской округ;2024;январь-декабрь;"
    "P Образование;60000\n"
    "80;1;городской округ город Уфа;80701000;городской округ;2024;январь-март;"
    "Всего;80000\n"
    "80;1;Уфимский район;80-652-000-000;муниципальный район;2024;январь-декабрь;"
    "Всего;-\n"
    "80;1;Уфимский район;80652000;муниципальный район;2024;январь-декабрь;"
    "Всего;abc\n"
    "80;1;Иглинский район;8630000;муниципальный район;2023;январь-декабрь;Всего;1;2\n"
)


def _zip(path: Path, name: str, text: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text.encode("utf-8"))
    return path


def test_zip_breakdowns_periods_and_rejects(tmp_path):
    result = read_file(_zip(tmp_path / "wage.zip", "wage.csv", HEADER + ROWS))
    records = result.all_records()
    names = {k: i.name_ru for k, i in result.indicators.items()}
    got = sorted(
        (r.territory_code, names[r.indicator_key], r.year, r.value)
        for r in records.itertuples()
    )
    # the total row is the indicator; the breakdown row is its own indicator;
    # the January-March row is not annual; '-' is empty; 'abc' is rejected
    assert got == [
        ("80701000", "wage", 2024, 87313.0),
        ("80701000", "wage — P Образование", 2024, 60000.0),
    ]
    assert [r["raw_value"] for r in result.rejects if r["kind"] == "invalid"][-1:] == [
        "abc"
    ]
    ragged = [r for r in result.rejects if "число полей" in r["reason"]]
    assert [r["cell"] for r in ragged] == ["строка 7"]
    notes = " ".join(result.notes)
    assert "1 значений за части года" in notes and "okved2" in notes
    assert result.layouts == {"wage.csv": "bdmo_mirror"}


def test_plain_csv_with_indicator_columns_and_code(tmp_path):
    path = tmp_path / "Y48313004.csv"
    path.write_text(
        "region_id;mun_level;municipality;oktmo;mun_type;year;indicator_code;"
        "indicator_name;indicator_unit;indicator_value\n"
        "80;1;Уфа;80701000;ГО;2023;Y48313004;Расходы на ОМСУ на жителя;Рубль;1543.6\n",
        encoding="utf-8-sig",
    )
    result = read_file(path)
    (indicator,) = result.indicators.values()
    assert (indicator.code, indicator.unit) == ("Y48313004", "Рубль")
    assert result.all_records().value.tolist() == [1543.6]


_MEASURE = textwrap.dedent(
    """
    import json, sys, tracemalloc, zipfile, random
    from pathlib import Path
    import pyarrow as pa
    from analytics.etl.readers.base import ReadResult
    from analytics.etl.readers.bdmo_mirror import read_mirror
    path, rows = Path(sys.argv[1]), int(sys.argv[2])
    random.seed(1)
    okved = ["Всего", "A Сельское хозяйство", "P Образование", "Q Здравоохранение"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("w.csv", "w") as f:
            f.write(("region_id;mun_level;municipality;oktmo;mun_type;year;"
                     "okved2;indicator_value\\n").encode())
            for start in range(0, rows, 10000):
                f.write("".join(
                    f"{i // 40 % 90};1;Муниципальный район номер {i // 40};"
                    f"{i // 40 % 90:02d}{600 + i // 40 % 300:03d}000;"
                    "муниципальный район;"
                    f"{2000 + i // 4 % 25};{okved[i % 4]};"
                    f"{random.random() * 1e5:.1f}\\n"
                    for i in range(start, min(rows, start + 10000))).encode())
    size = zipfile.ZipFile(path).infolist()[0].file_size
    tracemalloc.start()
    result = ReadResult()
    kept = read_mirror(path, result)
    peak = tracemalloc.get_traced_memory()[1]
    print(json.dumps({"csv": size, "peak": peak, "kept": kept,
                      "arrow": pa.default_memory_pool().max_memory()}))
    """
)


def _measure(tmp_path: Path, rows: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(tmp_path / f"m{rows}.zip"), str(rows)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={
            "PYTHONPATH": str(ROOT),
            "ARROW_DEFAULT_MEMORY_POOL": "system",
            # small blocks: the bounded read-ahead (~30 blocks) stays far below
            # the test files, as 1 MB blocks do for real downloads
            "AGGLO_MIRROR_BLOCK_KB": "64",
        },
    )
    return json.loads(out.stdout)


def test_zip_memory_does_not_grow_with_the_file(tmp_path):
    small, large = _measure(tmp_path, 40_000), _measure(tmp_path, 160_000)
    assert (small["kept"], large["kept"]) == (40_000, 160_000)
    grown = large["csv"] - small["csv"]  # about 17 MB of text more
    # Python memory grows by the values kept (26 bytes each, twice while the
    # blocks' arrays are joined), not by the text (145 bytes a row): reading
    # the CSV whole would take several times the text.
    per_value = (large["peak"] - small["peak"]) / (large["kept"] - small["kept"])
    assert per_value < 64, (small, large)
    assert large["peak"] - small["peak"] < 0.5 * grown
    assert large["arrow"] < 16 << 20
