"""The attack corpus as generators: each function writes one kind of hostile input into a folder.

Nothing here is committed as a file; every bomb is built at test time, small on disk where the attack
allows it (a sparse file, a deflated zip, a short HTML page that expands when its spans are resolved).
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from fixtures.reports import good_report

FILLER_ROW = "<tr>" + "".join(f"<td>{k}</td>" for k in range(8)) + "</tr>\n"


def good_files(folder: Path, n: int = 2) -> list[Path]:
    """``n`` clean reports (text and HTML, different years) that must land whatever else is in the batch."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        fmt = ("text", "html")[i % 2]
        p = folder / f"good-{i}.{'txt' if fmt == 'text' else 'html'}"
        p.write_text(good_report(fmt, 2021 + i, seed=20 + i), encoding="utf-8")
        out.append(p)
    return out


def long_name(folder: Path, good: bool = False) -> Path:
    """A file whose name is 250 bytes (83 three-byte characters): ``<sha16>-<name>`` would pass 255 bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / ("年" * 81 + (".txt" if good else ".bin"))
    assert 240 < len(os.fsencode(p.name)) <= 255
    p.write_bytes(good_report("text", 2020, seed=31).encode() if good else bytes(range(256)) * 8)
    return p


def non_utf8_name(folder: Path, good: bool = True) -> Path:
    """A file whose name is not valid UTF-8 (GBK bytes of 报告, as an old archive unpacks them)."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = "报告".encode("gbk") + (b"-ok.txt" if good else b"-bad.bin")
    path = os.path.join(os.fsencode(folder), raw)
    with open(path, "wb") as f:
        f.write(good_report("text", 2019, seed=32).encode() if good else b"\x00\x01\x02" * 300)
    return Path(os.fsdecode(path))


def unreadable(folder: Path) -> Path:
    """A report the reading process has no permission to open (mode 000; root reads it regardless)."""
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "no-permission.txt"
    p.write_text(good_report("text", 2022, seed=33), encoding="utf-8")
    p.chmod(0)
    return p


def secret_outside(folder: Path, outside: Path) -> tuple[Path, Path]:
    """A 0600 file outside the ingested folder, and a link to it inside: (link, secret)."""
    outside.mkdir(parents=True, exist_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    secret = outside / "secret.txt"
    secret.write_text("token=do-not-copy\n" + good_report("text", 2020, seed=34), encoding="utf-8")
    secret.chmod(0o600)
    link = folder / "looks-like-a-report.txt"
    link.symlink_to(secret)
    return link, secret


def dangling_link(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / "gone.txt"
    link.symlink_to(folder / "no-such-target.txt")
    return link


def fifo(folder: Path) -> Path:
    """A named pipe: opening it for reading would wait for a writer for ever."""
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "pipe.txt"
    os.mkfifo(p)
    return p


def docx_bomb(path: Path, expanded_mb: int = 120) -> Path:
    """A small DOCX whose ``word/document.xml`` expands to ``expanded_mb`` MB of empty paragraphs."""
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    )
    tail = b"</w:body></w:document>"
    para = b"<w:p/>" * (1 << 14)
    ctypes = (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        b'<Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'wordprocessingml.document.main+xml"/></Types>'
    )
    rels = (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        b'Target="word/document.xml"/></Relationships>'
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", ctypes)
        zf.writestr("_rels/.rels", rels)
        with zf.open("word/document.xml", "w", force_zip64=True) as w:
            w.write(head)
            for _ in range(expanded_mb * 2**20 // len(para)):
                w.write(para)
            w.write(tail)
    return path


def span_bomb_html(path: Path, cells: int = 1500) -> Path:
    """A ~55 KB page of cells with ``rowspan=200 colspan=200``: resolved naively, 60 million grid positions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = "".join("<tr>" + '<td rowspan="200" colspan="200">1</td>' * 30 + "</tr>" for _ in range(cells // 30))
    path.write_text(
        f"<html><body><p>2022年政府信息公开工作年度报告</p><table>{rows}</table></body></html>", encoding="utf-8"
    )
    return path


def big_html_report(path: Path, mb: int = 47) -> Path:
    """A real-looking HTML report padded with filler tables of plain cells to ``mb`` MB."""
    path.parent.mkdir(parents=True, exist_ok=True)
    report = good_report("html", 2022, seed=35)
    cut = report.rfind("</body>")
    block = "<table>" + FILLER_ROW * 200 + "</table>\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(report[:cut])
        for _ in range(mb * 2**20 // len(block)):
            f.write(block)
        f.write(report[cut:])
    return path


def many_pages_pdf(path: Path, pages: int = 2000) -> Path:
    """A PDF of ``pages`` pages with a line of text each (written by reportlab in a second or two)."""
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for i in range(pages):
        c.drawString(72, 720, f"2022 annual report page {i + 1}")
        c.showPage()
    c.save()
    path.write_bytes(buf.getvalue())
    return path


def sparse_file(path: Path, size: int = 1 << 30) -> Path:
    """A 1 GB file that takes a few KB on disk: a short header, then a hole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"2022 report header " * 50)
        f.truncate(size)
    return path


def home_inside(folder: Path) -> Path:
    """A home (lake, quarantine, database) inside the folder about to be ingested."""
    home = folder / "home"
    for sub in ("inbox", "lake", "quarantine", "logs"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    (home / "quarantine" / "0123456789abcdef-old.bin").write_bytes(b"\x00" * 100)
    (home / "xxgk.duckdb").write_bytes(b"DUCK" * 100)
    return home
