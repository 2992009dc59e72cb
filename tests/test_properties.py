"""Property-based tests: the number normaliser and the text and HTML readers never let an exception escape,
and every input ends as a report or a reject."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures.reports import good_report
from ingest.numbers import is_number_word, is_value_like, parse_cell
from ingest.pipeline import parse_report

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# text that looks like report cells: digits, separators, CJK numerals, units, brackets, dashes, spaces
CELLISH = st.text(
    alphabet=st.sampled_from(list("0123456789０１２３,.，．-—+ 　\xa0元万件()（）其中含修订十二三无/／abc")),
    max_size=24,
)


@FAST
@given(st.one_of(st.text(max_size=80), CELLISH, st.none()))
def test_parse_cell_never_raises_and_is_one_of_three_things(raw):
    p = parse_cell(raw)
    assert p.raw_text == (raw if raw is not None else "")
    kinds = [p.is_blank, p.value is not None, p.unreadable]
    assert sum(kinds) == 1
    assert is_value_like(raw) == (p.is_blank or p.value is not None)
    if p.is_blank:
        assert p.value is None
    if is_number_word(raw):
        assert p.unreadable


@FAST
@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_parse_cell_reads_integers_exactly(n):
    assert parse_cell(str(n)).value == n
    assert parse_cell(f"{n:,}").value == n


def _is_report_or_reject(parsed) -> None:
    assert parsed.status in ("parsed", "parsed_with_findings", "quarantined")
    if parsed.status == "quarantined":
        assert parsed.report is None and parsed.reject["reason_code"] and parsed.reject["message"]
        # reader_error is the safety net for a reader bug: the readers themselves must not raise
        assert parsed.reject["reason_code"] != "reader_error", parsed.reject["message"]
    else:
        assert parsed.reject is None and parsed.report["report_year"] is not None
        assert len(parsed.cells) == parsed.report["n_cells"] > 0


@FAST
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_end_as_report_or_reject(data):
    _is_report_or_reject(parse_report(data, "x.txt"))


@FAST
@given(st.text(max_size=400), st.sampled_from(["x.txt", "x.md", "x.html"]))
def test_arbitrary_text_ends_as_report_or_reject(text, name):
    _is_report_or_reject(parse_report(text.encode("utf-8"), name))


@FAST
@given(st.data())
def test_damaged_text_report_ends_as_report_or_reject(data):
    """A real-looking report with a slice cut out, a slice repeated or noise spliced in."""
    text = good_report()
    n = len(text)
    a = data.draw(st.integers(0, n))
    b = data.draw(st.integers(a, min(n, a + 600)))
    noise = data.draw(st.text(alphabet=st.sampled_from(list("|0123456789 \n一二三、（）总计-—/无")), max_size=60))
    how = data.draw(st.sampled_from(["cut", "repeat", "splice"]))
    damaged = {
        "cut": text[:a] + text[b:],
        "repeat": text[:b] + text[a:b] + text[b:],
        "splice": text[:a] + noise + text[b:],
    }[how]
    _is_report_or_reject(parse_report(damaged.encode("utf-8"), "r.txt"))


_TAGS = st.sampled_from(["table", "tr", "td", "th", "p", "div", "span", "tbody", "font", "o:p", "br", "body"])
_ATTRS = st.sampled_from(["", ' rowspan="3"', ' colspan="2"', ' rowspan="0"', ' colspan="x"', ' colspan="99999"'])


@st.composite
def html_fragments(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.integers(0, 3))
        tag = draw(_TAGS)
        if kind == 0:
            parts.append(f"<{tag}{draw(_ATTRS)}>")
        elif kind == 1:
            parts.append(f"</{tag}>")
        else:
            parts.append(
                draw(
                    st.text(
                        alphabet=st.sampled_from(list("0123 自然人总计三、收到和处理政府信息公开申请情况&<>;")),
                        max_size=20,
                    )
                )
            )
    return "".join(parts)


@FAST
@given(html_fragments())
def test_arbitrary_html_ends_as_report_or_reject(fragment):
    _is_report_or_reject(parse_report(f"<html><body>{fragment}</body></html>".encode(), "x.html"))


@FAST
@given(st.data())
def test_damaged_html_report_ends_as_report_or_reject(data):
    html = good_report("html")
    a = data.draw(st.integers(0, len(html)))
    b = data.draw(st.integers(a, min(len(html), a + 2000)))
    fragment = data.draw(html_fragments())
    _is_report_or_reject(parse_report((html[:a] + fragment + html[b:]).encode(), "r.html"))
