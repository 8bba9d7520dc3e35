# ruff: noqa: E501 — one hostile input a line reads better than wrapped
"""Hostile raw inputs, generated: each is a name and a way to put it into a
raw folder. What each must do is judged by ``test_hostile_inputs``."""

from __future__ import annotations

import io
import os
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl

HEADER = "territory,year,indicator,value,unit\n"
CITY = "92730000"  # Набережные Челны
TOWN = "92701000"  # Казань


@dataclass(frozen=True)
class Hostile:
    """One input: ``name`` is its path in the raw folder (what the report
    must name), ``build(path)`` writes it; ``kind`` groups it in the count."""

    kind: str
    name: str
    build: Callable[[Path], None]


def _bytes(data: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(data)


def _text(text: str, encoding: str = "utf-8") -> Callable[[Path], None]:
    return _bytes(text.encode(encoding))


def _tidy(value: str, *, indicator: str = "Показатель проверки", year: int = 2020):
    return _text(HEADER + f'{CITY},{year},{indicator},"{value}",ед.\n')


def _xlsx(rows: list[list], *, formulas: dict[str, str] | None = None) -> Callable:
    def build(path: Path) -> None:
        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "Т1"
        for row in rows:
            sheet.append(row)
        for cell, formula in (formulas or {}).items():
            sheet[cell] = formula  # openpyxl writes no cached value
        book.save(path)

    return build


def _xlsx_titled(title: str, rows: list[list]) -> Callable:
    def build(path: Path) -> None:
        book = openpyxl.Workbook()
        book.active.title = title
        for row in rows:
            book.active.append(row)
        book.save(path)

    return build


REGION_TABLE = [
    ["Регионы России. 2024"],
    ["ЧИСЛЕННОСТЬ ВРАЧЕЙ"],
    ["На 10 000 человек населения"],
    ["(человек)"],
    [None, 2021, 2022],
    ["Российская Федерация", "50,1", 51.2],
    ["г. Севастополь", 45, 46],
]


def _zip_bomb_declared(path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<x/>" * 100)
    data = bytearray(buffer.getvalue())
    at = data.find(b"PK\x01\x02")
    while at != -1:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_len] == b"xl/worksheets/sheet1.xml":
            struct.pack_into("<I", data, at + 24, 0xFFFF0000)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def _zip_bomb_ratio(path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (4 << 20))
    path.write_bytes(buffer.getvalue())


def _nested_zip(path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.csv", "x" * 100_000)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("inner.zip", inner.getvalue())


def _truncated_xlsx(path: Path) -> None:
    buffer = io.BytesIO()
    _xlsx(REGION_TABLE)(path)
    data = path.read_bytes()
    buffer.write(data[: len(data) // 2])
    path.write_bytes(buffer.getvalue())


def _link(target: str) -> Callable[[Path], None]:
    """A symbolic link to ``target`` (relative to the raw folder's parent)."""

    def build(path: Path) -> None:
        outside = path.parent.parent / "outside"
        outside.mkdir(exist_ok=True)
        (outside / "secret.csv").write_text(
            HEADER + f"{TOWN},2020,population,1,чел.\n", encoding="utf-8"
        )
        path.symlink_to(outside / target if target else path.parent / "missing.csv")

    return build


def _loop(path: Path) -> None:
    path.symlink_to(path.parent)


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _numbers() -> list[Hostile]:
    values = [
        "1e308", "1e309", "-1e309", "inf", "-inf", "+inf", "Infinity", "-Infinity",
        "NaN", "nan", "-0", "0", "1e-320", "-5", "+5", "1,234", "1,234.5", "1 234,5",
        "1.234,5", "12,5%", "١٢٣", "１２３", "0x1F", "1_000", "5e", "--5", "5-", "(5)",
        "1e", ".", ",", "1,2,3", "99,72)", "12,5¹", "2397О", "9" * 400, "-" * 3,
        "1e+308", "4.9e-324", "1.7976931348623157e308",
    ]  # fmt: skip
    return [
        Hostile("числа", f"number_{i:02d}.csv", _tidy(value))
        for i, value in enumerate(values)
    ]


def _encodings() -> list[Hostile]:
    lines = [f"{CITY},{2000 + i},Показатель обеспеченности,{i},ед.\n" for i in range(4)]
    body = "".join(lines)
    mixed = HEADER.encode() + b"".join(
        line.encode("cp1251" if i == 1 else "utf-8") for i, line in enumerate(lines)
    )
    return [
        Hostile("кодировки", "enc_utf8.csv", _text(HEADER + body)),
        Hostile("кодировки", "enc_utf8_bom.csv", _text(HEADER + body, "utf-8-sig")),
        Hostile("кодировки", "enc_cp1251.csv", _text(HEADER + body, "cp1251")),
        Hostile("кодировки", "enc_mixed_lines.csv", _bytes(mixed)),
        Hostile("кодировки", "enc_utf16.csv", _text(HEADER + body, "utf-16")),
        Hostile("кодировки", "enc_koi8r.csv", _text(HEADER + body, "koi8-r")),
        Hostile("кодировки", "enc_latin1.csv", _text(HEADER + "92730000,2020,é,1,u\n", "latin-1")),
        Hostile("кодировки", "enc_invalid.csv", _bytes(HEADER.encode() + b"\xff\xfe\x81\x98\n")),
        Hostile("кодировки", "enc_bom_only.csv", _bytes(b"\xef\xbb\xbf")),
        Hostile("кодировки", "enc_crlf.csv", _text((HEADER + body).replace("\n", "\r\n"))),
        Hostile("кодировки", "enc_cr_only.csv", _text((HEADER + body).replace("\n", "\r"))),
    ]  # fmt: skip


def _separators() -> list[Hostile]:
    rows = [["territory", "year", "indicator", "value", "unit"]]
    rows += [[CITY, "2020", "Показатель разделителей", "1,5", "ед."]]

    def joined(sep: str, quote: bool = False) -> Callable:
        q = '"' if quote else ""
        return _text("".join(sep.join(f"{q}{c}{q}" for c in r) + "\n" for r in rows))

    return [
        Hostile("разделители", "sep_semicolon.csv", joined(";")),
        Hostile("разделители", "sep_tab.tsv", joined("\t")),
        Hostile("разделители", "sep_pipe.csv", joined("|")),
        Hostile("разделители", "sep_quoted.csv", joined(",", quote=True)),
        Hostile("разделители", "sep_mixed.csv", _text(HEADER + f"{CITY};2020,x;1\n")),
        Hostile("разделители", "sep_newline_in_cell.csv", _text(HEADER + f'{CITY},2020,"две\nстроки",1,ед.\n')),
        Hostile("разделители", "sep_trailing.csv", _text(HEADER.rstrip() + ",\n" + f"{CITY},2020,x,1,ед.,\n")),
        Hostile("разделители", "sep_unbalanced_quote.csv", _text(HEADER + f'{CITY},2020,"x,1,ед.\n')),
    ]  # fmt: skip


def _empty() -> list[Hostile]:
    return [
        Hostile("пустые", "empty.csv", _bytes(b"")),
        Hostile("пустые", "header_only.csv", _text(HEADER)),
        Hostile("пустые", "header_blank_lines.csv", _text(HEADER + "\n\n\n")),
        Hostile("пустые", "whitespace.csv", _text("   \n\t\n")),
        Hostile("пустые", "newline.csv", _text("\n")),
        Hostile("пустые", "header_no_newline.csv", _text(HEADER.rstrip())),
        Hostile("пустые", "only_missing.csv", _text(HEADER + f"{CITY},2020,x,…,ед.\n")),
        Hostile("пустые", "empty.xlsx", _bytes(b"")),
        Hostile("пустые", "empty_sheet.xlsx", _xlsx([])),
    ]  # fmt: skip


def _formulas() -> list[Hostile]:
    link = '=HYPERLINK("http://example.invalid","клик")'
    return [
        Hostile("формулы", "cell_formula_value.csv", _tidy(link)),
        Hostile("формулы", "cell_formula_indicator.csv", _tidy("5", indicator=link)),
        Hostile("формулы", "cell_plus.csv", _tidy("5", indicator="+cmd|' /C calc'!A0")),
        Hostile("формулы", "cell_at.csv", _tidy("5", indicator="@SUM(1+1)*cmd")),
        Hostile("формулы", "cell_minus.csv", _tidy("5", indicator="-2+3+cmd")),
        Hostile("формулы", "xlsx_formula_strings.xlsx", _xlsx([*REGION_TABLE[:5], [link, 1, 2]])),
        Hostile("формулы", "xlsx_uncached_formulas.xlsx", _xlsx(REGION_TABLE, formulas={"B7": "=B6*2", "C7": "=SUM(C6)"})),
        Hostile("формулы", "xlsx_text_numbers.xlsx", _xlsx([*REGION_TABLE[:5], ["Российская Федерация", "1e309", "inf"], ["г. Севастополь", "1,234", "NaN"]])),
        Hostile("формулы", "xlsx_huge.xlsx", _xlsx([*REGION_TABLE[:5], ["Российская Федерация", 1e308, -1e308], ["г. Севастополь", 1e-320, 0]])),
        Hostile("формулы", "xlsx_markdown_sheet.xlsx", _xlsx_titled("__лист__ <b>x<b> `код`", REGION_TABLE)),
        Hostile("формулы", "xlsx_markdown_cells.xlsx", _xlsx([*REGION_TABLE[:5], ["**Атлантида**\nОТКЛОНЁН", 1, 2], ["=HYPERLINK(\"x\")", 3, 4]])),
    ]  # fmt: skip


#: File names with control characters, Markdown and HTML, formula starts.
NAMES = [
    "name_newline\nОТКЛОНЁН good.csv: подделка.csv",
    "name_cr\rОТКЛОНЁН.csv",
    "name_ansi\x1b[31mred\x1b[0m\x1b[2J.csv",
    "name_tab\tx.csv",
    "name_bidi\u202egnp.csv",
    "name_zero_width\u200b.csv",
    "name_bell\x07.csv",
    "name_**bold**.csv",
    "name_[link](javascript:alert(1)).csv",
    "name_<script>alert(1)<\\script>.csv",
    "name_<img src=x onerror=alert(1)>.csv",
    '=HYPERLINK("x","y").csv',
    "+cmd.csv",
    "-2+3.csv",
    "@SUM(A1).csv",
    "name_:red[красный].csv",
    "name_$x^2$.csv",
    "name_# heading.csv",
    "name_`code`.csv",
    "name_|table|.csv",
    "name_&amp;.csv",
    "name_\u2028line_separator.csv",
]


def _names() -> list[Hostile]:
    body = HEADER + f"{CITY},2019,Показатель имени,7,ед.\n"
    return [Hostile("имена", name, _text(body)) for name in NAMES]


def _cells() -> list[Hostile]:
    texts = [
        "строка\nОТКЛОНЁН good.csv: подделка",
        "\x1b[31mкрасный\x1b[0m",
        "**жирный** [ссылка](javascript:alert(1))",
        "<script>alert(1)</script>",
        "Атлантида\r\nОТКЛОНЁН",
        "=cmd|' /C calc'!A0",
    ]
    out = []
    for i, text in enumerate(texts):
        quoted = text.replace('"', '""')
        out.append(
            Hostile(
                "ячейки",
                f"cell_territory_{i}.csv",
                _text(HEADER + f'"{quoted}",2020,population,5,чел.\n'),
            )
        )
        out.append(
            Hostile("ячейки", f"cell_indicator_{i}.csv", _tidy("5", indicator=quoted))
        )
    return out  # fmt: skip


def _links() -> list[Hostile]:
    return [
        Hostile("ссылки", "link_outside.csv", _link("secret.csv")),
        Hostile("ссылки", "link_folder", _link("")),
        Hostile("ссылки", "link_dangling.csv", lambda p: p.symlink_to(p.parent / "nothing.csv")),
        Hostile("ссылки", "link_loop", _loop),
        Hostile("ссылки", "fifo.csv", _fifo),
    ]  # fmt: skip


def _archives() -> list[Hostile]:
    return [
        Hostile("архивы", "bomb_declared.xlsx", _zip_bomb_declared),
        Hostile("архивы", "bomb_ratio.xlsx", _zip_bomb_ratio),
        Hostile("архивы", "bomb_nested.xlsx", _nested_zip),
        Hostile("архивы", "truncated.xlsx", _truncated_xlsx),
        Hostile("архивы", "garbage.xlsx", _bytes(bytes(range(256)) * 16)),
        Hostile("архивы", "csv_as.xlsx", _text(HEADER + f"{CITY},2020,x,1,ед.\n")),
        Hostile("архивы", "xlsx_as.csv", _xlsx(REGION_TABLE)),
        Hostile("архивы", "ole_header.xls", _bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)),
    ]  # fmt: skip


def _shapes() -> list[Hostile]:
    return [
        Hostile("строки", "ragged_short.csv", _text(HEADER + f"{CITY},2020,x\n{CITY},2021,x,1,ед.\n")),
        Hostile("строки", "ragged_long.csv", _text(HEADER + f"{CITY},2020,x,1,ед.,лишнее,ещё\n")),
        Hostile("строки", "header_duplicate.csv", _text("territory,year,indicator,value,value\n" + f"{CITY},2020,x,1,2\n")),
        Hostile("строки", "header_empty_names.csv", _text(",,,,\n1,2,3,4,5\n")),
        Hostile("строки", "panel_ragged.csv", _text("oktmo,year,t8112027_11\n92730000,2020\n92730000,2021,530000,7\n")),
        Hostile("строки", "over_row_limit.csv", _text(HEADER + "".join(f"{CITY},{1900 + i},x_limit,{i},ед.\n" for i in range(60)))),
        Hostile("строки", "wide.csv", _text("oktmo,year," + ",".join(f"t{8000000 + i}" for i in range(300)) + "\n" + "92730000,2020," + ",".join("1" for _ in range(300)) + "\n")),
        Hostile("строки", "year_text.csv", _text(HEADER + f"{CITY},двадцатый,x,1,ед.\n")),
        Hostile("строки", "year_far.csv", _text(HEADER + f"{CITY},3020,x,1,ед.\n{CITY},1066,x,1,ед.\n")),
        Hostile("строки", "nul_bytes.csv", _bytes(HEADER.encode() + b"\0\0\0\n")),
    ]  # fmt: skip


def _duplicates() -> list[Hostile]:
    return [
        Hostile("повторы", "dup_same.csv", _text(HEADER + f"{CITY},2020,population,530000,чел.\n" * 2)),
        Hostile("повторы", "dup_differ.csv", _text(HEADER + f"{CITY},2021,population,530000,чел.\n{CITY},2021,population,1,чел.\n")),
        Hostile("повторы", "conflict_a.csv", _text(HEADER + f"{CITY},2020,population,1,чел.\n")),
        Hostile("повторы", "conflict_z.csv", _text(HEADER + f"{CITY},2020,population,2,чел.\n")),
        Hostile("повторы", "conflict_revenue.csv", _text(HEADER + f"{CITY},2020,budget_revenue,11587000,тыс. руб.\n")),
        Hostile("повторы", "sub/conflict_deep.csv", _text(HEADER + f"{CITY},2020,population,3,чел.\n")),
        Hostile("повторы", "share_out_of_range.csv", _text(HEADER + f"{CITY},2020,municipal_staff_higher_education_share,1000,%\n{CITY},2021,municipal_staff_higher_education_share,-50,%\n")),
        Hostile("повторы", "negative_count.csv", _text(HEADER + f"{CITY},2022,population,-5,чел.\n")),
        Hostile("повторы", "unit_mismatch.csv", _text(HEADER + f"{CITY},2023,population,5,%\n")),
    ]  # fmt: skip


def _odd_names() -> list[Hostile]:
    body = HEADER + f"{CITY},2018,Показатель названия,3,ед.\n"
    return [
        Hostile("имена", "..data.csv", _text(body)),
        Hostile("имена", ".hidden.csv", _text(body)),
        Hostile("имена", "~$lock.xlsx", _text(body)),
        Hostile("имена", "README.md", _text("# readme\n")),
        Hostile("имена", "notes.docx", _bytes(b"PK\x03\x04")),
        Hostile("имена", "UPPER.CSV", _text(body)),
        Hostile("имена", "пробел в имени.csv", _text(body)),
        Hostile("имена", "n" * 200 + ".csv", _text(body)),
        Hostile("имена", "е\u0308-nfd.csv", _text(body)),
        Hostile("имена", ".dotfolder/inside.csv", _text(body)),
    ]  # fmt: skip


def hostile_inputs() -> list[Hostile]:
    return [
        *_numbers(),
        *_encodings(),
        *_separators(),
        *_empty(),
        *_formulas(),
        *_names(),
        *_cells(),
        *_links(),
        *_archives(),
        *_shapes(),
        *_duplicates(),
        *_odd_names(),
    ]
