import math

from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.etl.clean import clean_label, normalize_name, parse_value, parse_year


def test_conventional_signs_are_missing_with_reasons():
    for sign in ["…", "...", "-", "–", "x", "х", "Х", "н/д", "", "  ", None, "NA"]:
        parsed = parse_value(sign)
        assert parsed.kind == "missing", sign
        assert parsed.value is None
        assert parsed.reason
    assert "отсутствует" in parse_value("-").reason  # «-»: no such phenomenon, not 0


def test_numbers_as_rosstat_writes_them():
    assert parse_value("1\u00a0234,5").value == 1234.5
    assert parse_value("1 234 567").value == 1234567.0
    assert parse_value("99,72)").value == 99.7  # footnote «2)» glued to 99,7
    assert parse_value("111,51)").value == 111.5
    assert parse_value("…4)").kind == "missing"
    assert parse_value(1474882.0000000002).value == 1474882.0000000002
    assert parse_value("-676,99").value == -676.99
    assert parse_value("12¹").value == 12.0


def test_cyrillic_lookalike_digits_are_rejected_not_guessed():
    parsed = parse_value(" 2397О")  # Cyrillic О, from the official agglomeration list
    assert parsed.kind == "invalid"
    assert "U+041E" in parsed.reason
    assert parse_value("abc").kind == "invalid"


def test_labels_and_years():
    assert clean_label("ЧИСЛО БОЛЬНИЧНЫХ КОЕК1)") == "ЧИСЛО БОЛЬНИЧНЫХ КОЕК"
    assert clean_label("Российская Федерация 2") == "Российская Федерация"
    assert normalize_name("Хабаровский край ") == "хабаровский край"
    assert normalize_name("Алтайский кpай") == "алтайский край"  # Latin «p»
    assert parse_year("на 1 января 2023") == 2023
    assert parse_year(2018.0) == 2018
    assert parse_year("декабрь") is None


@settings(max_examples=200, deadline=None)
@given(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
)
def test_well_formed_numbers_parse_exactly(number):
    text = repr(number)
    assert parse_value(text).value == number
    comma = f"{number:.6f}".replace(".", ",")
    assert math.isclose(parse_value(comma).value, float(f"{number:.6f}"))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=30), st.none(), st.integers(), st.floats()))
def test_parse_value_never_raises(raw):
    parsed = parse_value(raw)
    assert parsed.kind in ("ok", "missing", "invalid")
    assert (parsed.value is not None) == (parsed.kind == "ok")
