"""PDFs with only an owner password (printing/copying restricted, no password to open) are read in full;
a PDF that needs a password to open stays quarantined ``encrypted``."""

import tempfile
from pathlib import Path

import pytest

from ingest.readers import read, sniff
from presentations import cell_mismatches, gold_of_truth, parse


def _owner_only_report(monkeypatch, strength: int) -> tuple[bytes, dict]:
    """A generated PDF report written with an owner password only (empty user password)."""
    import reportlab.platypus
    from reportlab.lib.pdfencrypt import StandardEncryption

    from ingest.synthetic import generate

    plain = reportlab.platypus.SimpleDocTemplate

    class OwnerLocked(plain):
        def __init__(self, *args, **kwargs):
            kwargs["encrypt"] = StandardEncryption(
                userPassword="",
                ownerPassword="owner-secret",
                canPrint=0,
                canModify=0,
                canCopy=0,
                canAnnotate=0,
                strength=strength,
            )
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(reportlab.platypus, "SimpleDocTemplate", OwnerLocked)
    with tempfile.TemporaryDirectory() as tmp:
        truth = generate(tmp, n_agencies=1, years=range(2024, 2025), seed=8, formats=("pdf",), quirk_rates={})[0]
        data = (Path(tmp) / truth.file).read_bytes()
    monkeypatch.setattr(reportlab.platypus, "SimpleDocTemplate", plain)
    return data, gold_of_truth(truth)


@pytest.mark.parametrize("strength", [40, 128])
def test_owner_password_pdf_gives_golden_cells(monkeypatch, strength):
    data, gold = _owner_only_report(monkeypatch, strength)
    assert b"/Encrypt" in data
    assert sniff(data, "report.pdf") == "pdf"
    parsed = parse(data, "report.pdf")
    assert parsed.status != "quarantined", parsed.reject
    assert cell_mismatches(parsed, gold) == []
    doc = read(data, "pdf")
    assert any("政府信息公开" in line for line in doc.lines())


def test_user_password_pdf_stays_quarantined():
    from fixtures_build import encrypted_pdf

    parsed = parse(encrypted_pdf(), "report.pdf")
    assert parsed.reject["reason_code"] == "encrypted"


def test_security_handler_pdfminer_cannot_open_falls_back_to_pdfium(monkeypatch):
    """A file pdfminer refuses as encrypted but that opens without a password is saved plain and read."""
    import io

    from pdfminer.pdfdocument import PDFEncryptionError
    from pdfplumber.utils.exceptions import PdfminerException
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    from ingest.readers import pdf as pdf_reader

    buf = io.BytesIO()
    c = canvas.Canvas(buf, encrypt=StandardEncryption(userPassword="", ownerPassword="o", canCopy=0))
    c.drawString(72, 700, "Annual report on government information disclosure 2024")
    c.save()
    real_open = pdf_reader.pdfplumber.open

    def picky_open(stream, *args, **kwargs):
        if b"/Encrypt" in stream.getvalue():
            raise PdfminerException(PDFEncryptionError("unsupported security handler"))
        return real_open(stream, *args, **kwargs)

    monkeypatch.setattr(pdf_reader.pdfplumber, "open", picky_open)
    doc = read(buf.getvalue(), "pdf")
    assert doc.lines() == ["Annual report on government information disclosure 2024"]
    from fixtures_build import encrypted_pdf

    with pytest.raises(Exception) as e:  # a user password is still needed: no fallback opens it
        read(encrypted_pdf(), "pdf")
    assert getattr(e.value, "reason", None) == "encrypted"
