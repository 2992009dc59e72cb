import pytest

from ingest.numbers import is_value_like, parse_cell


@pytest.mark.parametrize(
    "raw,value",
    [
        ("0", 0),
        ("26", 26),
        ("１２３", 123),
        ("3,985,758", 3985758),
        ("7730.28", 7730.28),
        ("42.2", 42.2),
        ("22（其中修订 16 件）", 22),
        ("55（含自然失效 29 件）", 55),
        ("-5", -5),
        ("+3", 3),
        ("20 23", 2023),
        ("251000元", 251000),
        ("1.5万元", 1.5),
        (" 8 ", 8),
    ],
)
def test_numbers(raw, value):
    p = parse_cell(raw)
    assert p.value == value and not p.is_blank and p.raw_text == raw


@pytest.mark.parametrize("raw", ["", " ", "\xa0", "—", "——", "－", "-", "/", "／", "无", None])
def test_blanks_are_not_zero(raw):
    p = parse_cell(raw)
    assert p.is_blank and p.value is None


def test_annotation_and_unit_kept():
    p = parse_cell("22（其中修订 16 件）")
    assert p.note == "(其中修订 16 件)"
    assert parse_cell("251000元").unit == "元"
    assert parse_cell("1.5万元").unit == "万元"


@pytest.mark.parametrize("raw", ["十二", "约20", "见附件", "1.属于国家秘密", "12abc"])
def test_unreadable_is_neither_blank_nor_number(raw):
    p = parse_cell(raw)
    assert p.unreadable and not is_value_like(raw)


@pytest.mark.parametrize(
    "raw,value,unit",
    [
        ("1.2万", 12000, None),
        ("3万件", 30000, "件"),
        ("1.5亿", 150000000, None),
        ("1.2万元", 1.2, "万元"),
        ("2万（其中x）", 20000, None),
    ],
)
def test_scale_words_multiply_units_do_not(raw, value, unit):
    p = parse_cell(raw)
    assert p.value == value and p.unit == unit and p.raw_text == raw
