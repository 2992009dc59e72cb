"""Format detection by evidence: markup anywhere in the first 256 KB, the extension only as a tie-breaker,
and every real presentation of a report (fragments, Word HTML as .doc, UTF-16, GB18030, Big5) read to its
golden cells."""

import pytest

from ingest.model import Quarantine
from ingest.readers import SNIFF_WINDOW, read, sniff
from presentations import (
    HTML_TRANSFORMS,
    MIXED_TRANSFORMS,
    PROSE,
    cell_mismatches,
    generated,
    parse,
    prose,
    shared_report,
)

TABLE = "<table><tr><td>自然人</td><td>1</td></tr></table>"


def _fmt(data: bytes, name: str = "x") -> tuple[str, str]:
    f = sniff(data, name)
    return str(f), f.evidence


@pytest.mark.parametrize(
    "data,name,fmt",
    [
        (b"%PDF-1.7 ...", "report.html", "pdf"),
        (f"<div class=TRS_Editor><p>{prose(3)}</p>{TABLE}</div>".encode(), "x.txt", "html"),  # table after 3 KB
        (f"{prose(3)}\n<ucapcontent>{TABLE}</ucapcontent>".encode(), "x", "html"),  # bare prose first
        (f"{prose(300)}\n<p>尾</p><table><tr><td>1</td></tr></table>".encode(), "x", "text"),  # markup past the window
        (f"{prose(1)}\n第一段<br>\n".encode(), "report.html", "html"),  # one tag + .html name
        (f"{prose(1)}\n第一段<br>\n".encode(), "report.txt", "text"),  # one tag, no tie to break
        ("\n".join([PROSE] * 200 + ["说明</p>", "备注</p>"]).encode(), "r.txt", "text"),  # stray tags in a dump
        (f"{prose(1)}\n&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;\n".encode(), "r", "text"),  # entities alone
        (f"{prose(1)}".encode(), "report.html", "text"),  # .html without markup
        ("规章 | 1 |\n|---|---|\n".encode(), "r.txt", "markdown"),
        ("规章 | 1 |\n".encode(), "r.txt", "text"),
        ("{\\rtf1\\ansi 政府}".encode(), "r.doc", "doc"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le") + b"\x00" * 64, "noname", "doc"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "report.wps", "doc"),
        (b'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="b"\r\n\r\n--b--\r\n', "x.doc", "mhtml"),
        (
            b'From: <Saved by Blink>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n\tboundary="b"\r\n\r\n',
            "x",
            "mhtml",
        ),
        (b"\xff\xfe" + f"<div>{TABLE}</div>".encode("utf-16-le"), "x", "html"),
        (f"<p>{prose(2)}</p>{TABLE}".encode("utf-16-be"), "x", "html"),
        (f"{prose(2)}\n规章 | 1 |\n".encode("utf-16-le"), "x", "text"),
    ],
)
def test_sniff_rules(data, name, fmt):
    got, evidence = _fmt(data, name)
    assert got == fmt, evidence
    assert evidence


def test_window_is_the_first_256_kb():
    assert SNIFF_WINDOW == 256 * 1024
    late = (PROSE * (SNIFF_WINDOW // len(PROSE.encode()) + 1)).encode()
    assert _fmt(late[: SNIFF_WINDOW - 200] + TABLE.encode(), "x")[0] == "text_html"  # a table between plain lines
    assert _fmt(late[: SNIFF_WINDOW + 200] + TABLE.encode(), "x")[0] == "text"


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "Workbook".encode("utf-16-le"), "unsupported_format"),  # .xls
        (b"PK\x03\x04 zip", "archive"),
        (b"\x00\x01\x02binary" * 50, "binary"),
    ],
)
def test_sniff_rejects(data, reason):
    with pytest.raises(Quarantine) as e:
        sniff(data, "x.doc" if reason == "archive" else "x")
    assert e.value.reason == reason


def test_read_records_the_evidence():
    data = f"<div class=TRS_Editor><p>{prose(3)}</p>{TABLE}</div>".encode()
    doc = read(data, sniff(data, "page"))
    assert doc.tables[0].rows == [["自然人", "1"]]
    assert "document-level tag" in doc.meta["format_evidence"]
    assert "tags" in doc.meta["format_evidence"]


def test_inspect_shows_the_evidence(tmp_path):
    from warehouse.inspect import inspect_file

    data, _ = generated("html")
    path = tmp_path / "page.txt"
    path.write_bytes(HTML_TRANSFORMS["fragment_ucap"](data.decode("utf-8"))[0])
    out = inspect_file(path)
    line = next(ln for ln in out.splitlines() if ln.startswith("format"))
    assert line.startswith("format    html (") and "closing tags" in line


# ---------------------------------------------------------------- presentations of whole reports


def _sources():
    yield "generated", lambda: generated("html")
    yield "shuyangxian", lambda: shared_report("2023_shuyangxian_fgj")


def _presented(source: str, transform) -> tuple[bytes, str, str, object]:
    """The source report in one presentation: its bytes, name, sniffed format and parse; skips without the corpus."""
    got = dict(_sources())[source]()
    if got is None:
        pytest.skip("../shared/corpus is not beside the checkout")
    data, gold = got
    presented, name = transform(data.decode("utf-8"))
    fmt = sniff(presented, name)
    parsed = parse(presented, name)
    assert cell_mismatches(parsed, gold) == []
    return presented, name, fmt, parsed


@pytest.mark.parametrize("transform", sorted(HTML_TRANSFORMS))
@pytest.mark.parametrize("source", [s for s, _ in _sources()])
def test_html_presentations_give_golden_cells(source, transform):
    _, _, fmt, parsed = _presented(source, HTML_TRANSFORMS[transform])
    assert fmt == "html", fmt.evidence
    if transform == "big5_traditional":
        assert parsed.report["encoding"] in ("big5", "cp950", "big5hkscs")
    if transform.startswith("utf16"):
        assert parsed.report["encoding"].startswith("utf-16")


@pytest.mark.parametrize("transform", sorted(MIXED_TRANSFORMS))
@pytest.mark.parametrize("source", [s for s, _ in _sources()])
def test_html_tables_between_plain_lines_give_golden_cells(source, transform):
    """Markdown or text whose tables stayed HTML: lines read one per line, tables with their spans."""
    presented, _, fmt, _ = _presented(source, MIXED_TRANSFORMS[transform])
    assert fmt == ("markdown_html" if transform.startswith("markdown") else "text_html"), fmt.evidence
    doc = read(presented, fmt)
    assert "二、主动公开政府信息情况" in doc.lines()  # headings stay lines of their own


def test_table_spans_nested_and_unclosed():
    from ingest.readers.mixed import table_spans

    text = "a<table><tr><td><table><tr><td>1</td></tr></table></td></tr></table>b<TABLE border=1><tr><td>2"
    assert [text[s:e][:8] for s, e in table_spans(text)] == ["<table><", "<TABLE b"]
    assert table_spans(text)[0][1] == text.index("b<TABLE")
    assert table_spans(text)[1][1] == len(text)


TEXT_ENCODINGS = {
    "utf16le_bom": lambda t: b"\xff\xfe" + t.encode("utf-16-le"),
    "utf16le": lambda t: t.encode("utf-16-le"),
    "utf16be": lambda t: t.encode("utf-16-be"),
    "gb18030": lambda t: t.encode("gb18030"),
    "big5_traditional": lambda t: _s2t(t).encode("big5", errors="replace"),
    "utf8_traditional": lambda t: _s2t(t).encode("utf-8"),
}


def _s2t(text: str) -> str:
    import opencc

    return opencc.OpenCC("s2t").convert(text)


@pytest.mark.parametrize("encoding", sorted(TEXT_ENCODINGS))
@pytest.mark.parametrize("source", ["generated", "2024_taian_xzspfwj", "2025_shanghai_szfbgt"])
def test_text_encodings_give_golden_cells(source, encoding):
    got = generated("text") if source == "generated" else shared_report(source)
    if got is None:
        pytest.skip("../shared/corpus is not beside the checkout")
    data, gold = got
    presented = TEXT_ENCODINGS[encoding](data.decode("utf-8"))
    fmt = sniff(presented, "report")
    assert fmt in ("text", "markdown"), fmt.evidence
    parsed = parse(presented, "report")
    assert cell_mismatches(parsed, gold) == []
    doc = read(presented, fmt)
    assert ("script" in doc.meta) == ("traditional" in encoding)
    if "traditional" in encoding:  # numbers keep their printed text
        raw = [r for r in parsed.cell_columns["raw_text"] if r and r.strip().isdigit()]
        assert raw and all(r in presented.decode(parsed.report["encoding"]) for r in raw)
