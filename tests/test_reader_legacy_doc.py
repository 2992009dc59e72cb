"""Legacy Word ``.doc``, WPS ``.wps`` and RTF: converted by LibreOffice and read by the DOCX reader.

The test files are made here from a generated DOCX and from the real HTML report by LibreOffice itself;
no binary fixture is committed. Without LibreOffice the conversion tests skip and the quarantine is checked."""

import pytest

from ingest.model import Quarantine
from ingest.readers import legacy, read, sniff
from presentations import body_of, cell_mismatches, generated, heading, parse, shared_report, soffice_convert

needs_soffice = pytest.mark.skipif(
    legacy.soffice() is None, reason="LibreOffice not installed: soffice (Debian package libreoffice-writer-nogui)"
)


@pytest.fixture(scope="module")
def generated_doc():
    data, gold = generated("docx")
    return soffice_convert(data, ".docx", "doc:MS Word 97"), gold


@pytest.fixture(scope="module")
def shared_doc():
    got = shared_report("2023_shuyangxian_fgj")
    if got is None:
        pytest.skip("../shared/corpus is not beside the checkout")
    data, gold = got
    html = data.decode("utf-8")
    page = f"<html><head><meta charset='utf-8'></head><body>{heading(html)}{body_of(html)}</body></html>"
    return soffice_convert(page.encode("utf-8"), ".html", "doc:MS Word 97"), gold


@needs_soffice
def test_generated_doc_gives_golden_cells(generated_doc):
    data, gold = generated_doc
    assert data[:4] == b"\xd0\xcf\x11\xe0"
    for name in ("report.doc", "report.wps", "download"):  # the content decides, whatever the name
        fmt = sniff(data, name)
        assert fmt == "doc" and "OLE2" in fmt.evidence
    parsed = parse(data, "report.wps")
    assert parsed.report["source_format"] == "doc"
    assert cell_mismatches(parsed, gold) == []


@needs_soffice
def test_real_report_as_doc_gives_golden_cells(shared_doc):
    data, gold = shared_doc
    assert cell_mismatches(parse(data, "report.doc"), gold) == []


@needs_soffice
def test_rtf_named_doc_gives_golden_cells():
    data, gold = generated("docx")
    rtf = soffice_convert(data, ".docx", "rtf")
    assert rtf.startswith(b"{\\rtf")
    assert sniff(rtf, "report.doc") == "doc"
    assert cell_mismatches(parse(rtf, "report.doc"), gold) == []


@needs_soffice
def test_conversion_time_limit():
    data, _ = generated("docx")
    with pytest.raises(Quarantine) as e:
        legacy.convert(data, ".docx", timeout=0.2)
    assert e.value.reason == "too_slow"


@needs_soffice
def test_unconvertible_file_is_quarantined():
    with pytest.raises(Quarantine) as e:
        read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "doc")
    assert e.value.reason in ("corrupt_doc", "corrupt_docx")


def test_without_libreoffice_the_file_is_quarantined(monkeypatch):
    monkeypatch.setattr(legacy.shutil, "which", lambda _name: None)
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "WordDocument".encode("utf-16-le") + b"\x00" * 64
    parsed = parse(data, "report.doc")
    assert parsed.status == "quarantined"
    assert parsed.reject["reason_code"] == "needs_libreoffice"
    assert "needs LibreOffice" in parsed.reject["message"]


def test_word_html_named_doc_is_read_as_html():
    html = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word">'
        '<head><meta http-equiv=Content-Type content="text/html; charset=gb2312"></head><body>'
        "<table><tr><td>自然人</td><td>3</td></tr></table></body></html>"
    ).encode("gb18030")
    fmt = sniff(html, "report.doc")
    assert fmt == "html"
    assert read(html, fmt).tables[0].rows == [["自然人", "3"]]


@needs_soffice
def test_opendocument_text_gives_golden_cells():
    data, gold = generated("docx")
    odt = soffice_convert(data, ".docx", "odt")
    fmt = sniff(odt, "report.odt")
    assert fmt == "doc" and "OpenDocument" in fmt.evidence
    assert cell_mismatches(parse(odt, "report.odt"), gold) == []


def test_docx_sliver_grid_columns_are_dropped():
    """Converters leave 1-twip grid columns where cell edges of two rows differ by a hair; they are no columns."""
    import io

    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    d = docx.Document()
    tbl = d.add_table(rows=0, cols=0)._tbl
    tbl.remove(tbl.tblGrid)
    tbl.append(
        parse_xml(
            f'<w:tblGrid {nsdecls("w")}><w:gridCol w:w="2000"/><w:gridCol w:w="1"/><w:gridCol w:w="2000"/></w:tblGrid>'
        )
    )

    def cell(text, span=1):
        pr = f'<w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr>' if span > 1 else ""
        return f"<w:tc>{pr}<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"

    for cells in ((cell("总计", 2), cell("3")), (cell("结果维持"), cell("1", 2))):
        tbl.append(parse_xml(f"<w:tr {nsdecls('w')}>{''.join(cells)}</w:tr>"))
    buf = io.BytesIO()
    d.save(buf)
    (table,) = read(buf.getvalue(), "docx").tables
    assert table.rows == [["总计", "3"], ["结果维持", "1"]]
    assert table.covered == [[False, False], [False, False]]
