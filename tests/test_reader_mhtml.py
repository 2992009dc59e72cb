"""MHTML ("single file web page"): MIME parts decoded with the standard library, the page's charset honoured,
sniffed by content whatever the name."""

import pytest

from ingest.model import Quarantine
from ingest.readers import read, sniff
from presentations import MHTML_VARIANTS, body_of, cell_mismatches, generated, mhtml, parse, shared_report


def _source(name):
    return generated("html") if name == "generated" else shared_report(name)


@pytest.mark.parametrize("variant", sorted(MHTML_VARIANTS))
@pytest.mark.parametrize("source", ["generated", "2023_shuyangxian_fgj"])
def test_mhtml_gives_golden_cells(source, variant):
    got = _source(source)
    if got is None:
        pytest.skip("../shared/corpus is not beside the checkout")
    data, gold = got
    presented = mhtml(data.decode("utf-8"), **MHTML_VARIANTS[variant])
    for name in ("report.mht", "report.mhtml", "download", "report.doc"):
        fmt = sniff(presented, name)
        assert fmt == "mhtml", fmt.evidence
    parsed = parse(presented, "report.mht")
    assert parsed.report["source_format"] == "mhtml"
    assert cell_mismatches(parsed, gold) == []


def test_charset_of_the_part_is_honoured():
    html = "<html><body><p>三、收到和处理政府信息公开申请情况</p><table><tr><td>自然人</td><td>１</td></tr></table></body></html>"
    doc = read(mhtml(html, charset="gb18030", cte="base64"), "mhtml")
    assert doc.tables[0].rows == [["自然人", "1"]]  # read as GB18030, then NFKC
    assert doc.encoding == "gb18030" and doc.format == "mhtml"
    # quoted-printable soft line breaks inside a multi-byte character
    long_cell = "政府信息公开" * 40
    doc = read(mhtml(f"<table><tr><td>{long_cell}</td></tr></table>", charset="utf-8"), "mhtml")
    assert doc.tables[0].rows == [[long_cell]]


def test_single_part_message():
    page = "<table><tr><td>结果维持</td><td>3</td></tr></table>".encode("gb18030")
    data = b'MIME-Version: 1.0\r\nContent-Type: text/html; charset="gbk"\r\n\r\n' + page
    assert sniff(data, "x") == "mhtml"
    assert read(data, "mhtml").tables[0].rows == [["结果维持", "3"]]


def test_message_without_a_page_is_quarantined():
    data = (
        b'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n"
    )
    with pytest.raises(Quarantine) as e:
        read(data, sniff(data, "x.mht"))
    assert e.value.reason == "corrupt_mhtml"


def test_body_helper_drops_charset_declarations():
    assert body_of('<html><body><meta charset="utf-8"><p>x</p></body></html>') == "<p>x</p>"
