"""The store as a function of the raw folder, and inputs that must not get in.

Each test here failed before its fix: derived values from the value that lost
a conflict, a revert undone by the next run, non-finite values stored by the
fast CSV path, header-only files loaded, tracebacks on an unwritable store,
forged console lines, symlinks followed silently.
"""

from __future__ import annotations

import errno
import functools
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.etl import pipeline
from analytics.etl import uploads as up
from analytics.etl.__main__ import main as etl_main
from analytics.etl.pipeline import run_etl
from analytics.store import open_store

HEADER = "territory,year,indicator,value,unit\n"
CITY, TOWN = "92730000", "92701000"  # Набережные Челны, Казань


@pytest.fixture(autouse=True)
def _cached_reference(monkeypatch):
    """The reference tables read once for the module (0.5 s a run otherwise);
    the ETL only reads them."""
    monkeypatch.setattr(pipeline, "load_resolver", _resolver)
    monkeypatch.setattr(pipeline.indicator_catalog, "load_catalog", _catalog)


_resolver = functools.cache(pipeline.load_resolver)
_catalog = functools.cache(pipeline.indicator_catalog.load_catalog)


def resolved(store: Path) -> pd.DataFrame:
    """The store's resolved observations, in a canonical order."""
    obs = open_store(store).observations
    key = ["territory_id", "indicator_id", "year"]
    return (
        obs[[*key, "value"]]
        .astype({"indicator_id": str, "territory_id": str, "year": int})
        .sort_values(key)
        .reset_index(drop=True)
    )


def tables(store: Path) -> dict[str, pd.DataFrame]:
    """The store's other tables in a canonical order (sources without the
    time of loading)."""
    opened = open_store(store)
    out = {}
    for name, drop in (
        ("territories", []),
        ("indicators", []),
        ("rejects", []),
        ("sources", ["loaded_at"]),
    ):
        table = getattr(opened, name).drop(columns=drop).astype(str)
        out[name] = table.sort_values(list(table.columns)).reset_index(drop=True)
    return out


def per_capita(store: Path, territory: str, year: int) -> float:
    obs = resolved(store)
    hit = obs[
        (obs.territory_id == territory)
        & (obs.indicator_id == "budget_revenue_per_capita")
        & (obs.year == year)
    ]
    assert len(hit) == 1
    return float(hit.value.iloc[0])


# ------------------------------------------------------------------ item 6


def test_derived_value_comes_from_the_conflict_winner(tmp_path):
    """The issue's case: a file added later says the 2020 population is 1;
    it loses the conflict (earlier path), and revenue per capita must stay
    revenue / the winning population, as a fresh rebuild gives."""
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "b_main.csv").write_text(
        HEADER
        + f"{CITY},2020,population,530000,чел.\n"
        + f"{CITY},2020,budget_revenue,11587000,тыс. руб.\n",
        encoding="utf-8",
    )
    store = tmp_path / "store"
    run_etl([raw], store)
    assert per_capita(store, CITY, 2020) == pytest.approx(11_587_000_000 / 530_000)
    (raw / "a_typo.csv").write_text(
        HEADER + f"{CITY},2020,population,1,чел.\n", encoding="utf-8"
    )
    report = run_etl([raw], store)
    assert report.conflicts == 1
    assert report.conflict_examples[0]["kept_value"] == 530000
    assert per_capita(store, CITY, 2020) == pytest.approx(11_587_000_000 / 530_000)
    fresh = tmp_path / "fresh"
    run_etl([raw], fresh)
    pd.testing.assert_frame_equal(resolved(store), resolved(fresh))


FILES = ["a.csv", "b.csv", "sub/c.csv"]
ROWS = st.lists(
    st.tuples(
        st.sampled_from([CITY, TOWN]),
        st.just(2020),
        st.sampled_from(["population", "budget_revenue", "Свободный показатель"]),
        st.sampled_from([1, 500, 530000]),
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda r: r[:3],
)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.sampled_from(FILES), ROWS),
        st.tuples(st.just("remove"), st.sampled_from(FILES), st.just(None)),
        st.tuples(st.just("pin"), st.sampled_from([*FILES, None]), st.just(None)),
    ),
    min_size=2,
    max_size=3,
)


def _apply(raw: Path, step) -> None:
    action, name, rows = step
    path = raw / name if name else None
    if action == "write":
        path.parent.mkdir(parents=True, exist_ok=True)
        units = {
            "population": "чел.",
            "budget_revenue": "тыс. руб.",
            "Свободный показатель": "ед.",
        }
        path.write_text(
            HEADER + "".join(f"{t},{y},{i},{v},{units[i]}\n" for t, y, i, v in rows),
            encoding="utf-8",
        )
    elif action == "remove":
        if path.exists():
            path.unlink()
    else:
        pins = raw / "pins.yaml"
        if name is None:
            pins.unlink(missing_ok=True)
        else:
            pins.write_text(f"pinned:\n  - {name}\n", encoding="utf-8")


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
)
@given(steps=STEPS)
def test_incremental_store_equals_a_fresh_rebuild(tmp_path_factory, steps):
    """Random sequences of added, changed and removed files and pins: after
    every step the store kept up to date run by run holds what a store built
    from scratch out of the same raw folder holds."""
    base = tmp_path_factory.mktemp("seq")
    raw, store = base / "raw", base / "store"
    raw.mkdir()
    # b.csv publishes what a.csv (an earlier path) may contradict
    rows = [(CITY, 2020, "population", 530000), (CITY, 2020, "budget_revenue", 500)]
    _apply(raw, ("write", "b.csv", rows))
    run_etl([raw], store)
    for number, step in enumerate(steps):
        _apply(raw, step)
        run_etl([raw], store)
        fresh = base / f"fresh{number}"
        run_etl([raw], fresh)
        pd.testing.assert_frame_equal(resolved(store), resolved(fresh), obj=str(step))
        for name, table in tables(store).items():
            pd.testing.assert_frame_equal(table, tables(fresh)[name], obj=name)


# ------------------------------------------------------------------ item 7


def test_revert_restores_the_uploads_and_survives_the_next_run(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "base.csv").write_text(
        HEADER + f"{CITY},2020,population,530000,чел.\n", encoding="utf-8"
    )
    (raw / "uploads").mkdir()
    first = HEADER + f"{CITY},2021,population,531000,чел.\n"
    (raw / "uploads" / "fix.csv").write_text(first, encoding="utf-8")
    store = tmp_path / "store"
    monkeypatch.setenv("AGGLO_RAW", str(raw))
    run_etl([raw], store)
    before = resolved(store)
    version = open_store(store).version

    # an upload that replaces fix.csv and one that is new
    changed = first.replace("531000", "999")
    staged = up.stage(
        [
            up.check_upload("fix.csv", changed.encode()),
            up.check_upload(
                "new.csv", (HEADER + f"{TOWN},2020,population,5,чел.\n").encode()
            ),
        ],
        store=store,
    )
    up.commit(staged, store=store)
    assert len(resolved(store)) > len(before)

    assert up.revert(store) == version
    assert (raw / "uploads" / "fix.csv").read_text(encoding="utf-8") == first
    assert not (raw / "uploads" / "new.csv").exists()
    assert list((raw / up.REVERTED).rglob("new.csv"))  # set aside, not deleted
    pd.testing.assert_frame_equal(resolved(store), before)
    # the next run finds the inputs of the version restored: nothing changes
    report = run_etl([raw], store)
    assert not report.changed and report.version == version
    pd.testing.assert_frame_equal(resolved(store), before)


# ------------------------------------------------------------------ item 8


@pytest.mark.parametrize("text", ["inf", "-inf", "1e309", "Infinity", "-1e400"])
def test_non_finite_values_are_rejected_with_their_cell(tmp_path, text):
    raw = tmp_path / "raw"
    raw.mkdir()
    rows = [f"{CITY},{2000 + i},population,{500 + i},чел.\n" for i in range(20)]
    rows[7] = f"{CITY},2007,Произвольный показатель,{text},ед.\n"
    # big enough for the fast Arrow path (more than 64 KB)
    filler = "".join(f"{CITY},{1950 + i % 50},x_filler,{i},ед.\n" for i in range(3000))
    (raw / "big.csv").write_text(HEADER + "".join(rows) + filler, encoding="utf-8")
    (raw / "small.csv").write_text(HEADER + rows[7], encoding="utf-8")
    store = tmp_path / "store"
    report = run_etl([raw], store)
    obs = open_store(store).observations
    assert obs.value.map(lambda v: v == v and abs(v) != float("inf")).all()
    big = {f.path: f for f in report.files}["big.csv"]
    assert big.rejected >= 1
    assert any("строка 9" in e and "«value»" in e for e in big.reject_examples), (
        big.reject_examples
    )
    assert {f.path: f.status for f in report.files}["small.csv"] == "rejected"


def test_values_outside_the_catalog_range_are_rejected(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "shares.csv").write_text(
        HEADER
        + f"{CITY},2020,municipal_staff_higher_education_share,1000,%\n"
        + f"{CITY},2021,municipal_staff_higher_education_share,-50,%\n"
        + f"{CITY},2022,municipal_staff_higher_education_share,75.5,%\n",
        encoding="utf-8",
    )
    report = run_etl([raw], tmp_path / "store")
    file = report.files[0]
    assert file.rejected == 2 and file.observations == 1
    assert "строка 2" in file.reject_examples[0]
    assert "от 0 до 100 %" in file.reject_examples[0]
    assert "строка 3" in file.reject_examples[1]


# ------------------------------------------------------------------ item 10


def test_header_only_file_is_rejected_and_writes_no_version(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "good.csv").write_text(
        HEADER + f"{CITY},2020,population,530000,чел.\n", encoding="utf-8"
    )
    store = tmp_path / "store"
    version = run_etl([raw], store).version
    (raw / "header.csv").write_text(HEADER, encoding="utf-8")
    report = run_etl([raw], store)
    header = {f.path: f for f in report.files}["header.csv"]
    assert header.status == "rejected" and "только заголовок" in header.error
    assert report.exit_code == 1 and not report.changed and report.version == version


def test_row_limit_does_not_count_the_header(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    raw.mkdir()
    monkeypatch.setenv("AGGLO_MAX_ROWS", "3")
    rows = "".join(f"{CITY},{2020 + i},population,{i + 1},чел.\n" for i in range(3))
    (raw / "three.csv").write_text(HEADER + rows, encoding="utf-8")
    (raw / "four.csv").write_text(
        HEADER + rows + f"{TOWN},2020,population,9,чел.", encoding="utf-8"
    )
    report = run_etl([raw], tmp_path / "store")
    status = {f.path: f for f in report.files}
    assert status["three.csv"].status == "loaded"
    assert status["four.csv"].status == "rejected"
    assert "4 строк" in status["four.csv"].error


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.EROFS, "только для чтения"), (errno.ENOSPC, "нет места")],
)
def test_unwritable_store_gives_a_russian_message_and_exit_2(
    tmp_path, monkeypatch, capsys, code, words
):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "good.csv").write_text(
        HEADER + f"{CITY},2020,population,530000,чел.\n", encoding="utf-8"
    )
    store = tmp_path / "store"
    assert etl_main(["--raw", str(raw), "--store", str(store), "--quiet"]) == 0
    live = open_store(store).version
    (raw / "more.csv").write_text(
        HEADER + f"{TOWN},2020,population,1000,чел.\n", encoding="utf-8"
    )

    def full(*args, **kwargs):
        raise OSError(code, os.strerror(code), str(store / "versions"))

    # root ignores file modes: the failure is made where the version is written
    monkeypatch.setattr("analytics.etl.writer._write_table", full)
    capsys.readouterr()
    assert etl_main(["--raw", str(raw), "--store", str(store), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert words in err and str(store) in err and "Traceback" not in err
    assert open_store(store).version == live


# ------------------------------------------------------------------ item 11


def test_file_names_cannot_forge_console_lines(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    forged = "x\nОТКЛОНЁН good.csv: подделка\x1b[2J.csv"
    (raw / forged).write_text("a,b\n1,2\n", encoding="utf-8")
    (raw / "good.csv").write_text(
        HEADER + f"{CITY},2020,population,530000,чел.\n", encoding="utf-8"
    )
    summary = run_etl([raw], tmp_path / "store").summary_table()
    lines = summary.splitlines()
    assert not any(line.startswith("ОТКЛОНЁН good.csv") for line in lines)
    assert "\x1b" not in summary
    assert "x\\nОТКЛОНЁН good.csv: подделка\\x1b[2J.csv" in summary


# ------------------------------------------------------------------ item 12


def test_links_are_not_followed_and_every_skipped_path_is_listed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_text(
        HEADER + f"{TOWN},2020,population,1,чел.\n", encoding="utf-8"
    )
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "good.csv").write_text(
        HEADER + f"{CITY},2020,population,530000,чел.\n", encoding="utf-8"
    )
    (raw / "link.csv").symlink_to(outside / "secret.csv")
    (raw / "linked_folder").symlink_to(outside)
    (raw / "..data.csv").write_text(HEADER, encoding="utf-8")
    (raw / "notes.docx").write_bytes(b"PK")
    (raw / ".hidden").mkdir()
    (raw / ".hidden" / "x.csv").write_text(HEADER, encoding="utf-8")
    report = run_etl([raw], tmp_path / "store")
    assert [f.path for f in report.files] == ["good.csv"]
    skipped = {s["path"]: s["reason"] for s in report.skipped}
    assert skipped == {
        "link.csv": pipeline.SKIP_LINK,
        "linked_folder": pipeline.SKIP_LINK,
        "..data.csv": pipeline.SKIP_HIDDEN,
        ".hidden": pipeline.SKIP_HIDDEN,
        "notes.docx": pipeline.SKIP_TYPE,
    }
    summary = report.summary_table()
    for path, reason in skipped.items():
        assert f"ПРОПУЩЕН {path}: {reason}" in summary
    assert set(open_store(tmp_path / "store").observations.territory_id) == {CITY}
    shutil.rmtree(outside)


# ------------------------------------------------------------------ item 9


def test_utf8_file_with_one_cp1251_line_is_decoded_line_by_line(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    lines = [f"{CITY},{2000 + i},Показатель обеспеченности,{i},ед.\n" for i in range(5)]
    data = HEADER.encode() + b"".join(
        line.encode("cp1251" if i == 2 else "utf-8") for i, line in enumerate(lines)
    )
    (raw / "mixed.csv").write_bytes(data)
    store = tmp_path / "store"
    report = run_etl([raw], store)
    assert report.files[0].observations == 5 and report.files[0].rejected == 0
    obs = open_store(store).observations
    names = open_store(store).indicators.set_index("indicator_id").name_ru
    assert {names[i] for i in obs.indicator_id.astype(str)} == {
        "Показатель обеспеченности"
    }


@pytest.mark.parametrize("rows", [20, 4000])  # pandas, and Arrow (over 64 KB)
def test_thousands_separators_are_decided_per_file(tmp_path, rows):
    raw = tmp_path / "raw"
    raw.mkdir()
    filler = "".join(
        f"{CITY},{1900 + i % 100},x_{i // 100},{i},ед.\n" for i in range(rows)
    )
    (raw / "comma_thousands.csv").write_text(
        HEADER
        + f'{CITY},2020,Выручка,"1,234.5",ед.\n'
        + f'{CITY},2021,Выручка,"1,234",ед.\n'
        + filler,
        encoding="utf-8",
    )
    (raw / "both.csv").write_text(
        HEADER
        + f'{TOWN},2020,Выручка,"1,234.5",ед.\n'
        + f'{TOWN},2021,Выручка,"1,234",ед.\n'
        + f'{TOWN},2022,Выручка,"12,5",ед.\n',
        encoding="utf-8",
    )
    store = tmp_path / "store"
    report = {f.path: f for f in run_etl([raw], store).files}
    obs = open_store(store).observations.astype({"territory_id": str})
    ids = open_store(store).indicators.set_index("name_ru").indicator_id
    got = obs[obs.indicator_id == ids["Выручка"]].set_index(["territory_id", "year"])
    assert got.value[(CITY, 2020)] == 1234.5 and got.value[(CITY, 2021)] == 1234
    assert got.value[(TOWN, 2020)] == 1234.5 and got.value[(TOWN, 2022)] == 12.5
    assert (TOWN, 2021) not in got.index
    assert report["both.csv"].rejected == 1
    assert "строка 3" in report["both.csv"].reject_examples[0]
    assert "запятая" in report["both.csv"].reject_examples[0]


def test_formulas_without_saved_values_are_reported_as_such(tmp_path):
    from tests.robustness.hostile import REGION_TABLE, _xlsx

    raw = tmp_path / "raw"
    raw.mkdir()
    # openpyxl writes formulas without a computed value, as scripts do
    _xlsx(REGION_TABLE, formulas={"B7": "=B6*2", "C7": "=SUM(C6)"})(raw / "f.xlsx")
    report = run_etl([raw], tmp_path / "store")
    file = report.files[0]
    assert file.status == "loaded" and file.observations == 2
    assert file.rejected == 2 and file.missing == 0
    assert file.reject_examples[0].startswith("лист «Т1», B7: формула без")
    rejects = open_store(tmp_path / "store").rejects
    assert set(rejects[rejects.reason.str.startswith("формула")].cell) == {"B7", "C7"}
