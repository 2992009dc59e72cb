"""Presentations of one report that keep its numbers (article fragment, MHTML, Word HTML as .doc, UTF-16,
GB18030, Big5 traditional, legacy Word via LibreOffice), and the comparison of parsed cells with a golden.

Each transform is a small named function from the report's HTML (or text) to ``(bytes, file name)``.
"""

from __future__ import annotations

import base64
import quopri
import re
import subprocess
import tempfile
from functools import cache
from pathlib import Path

PROSE = (
    "为深入贯彻落实党中央、国务院关于全面推进政务公开工作的决策部署，本机关坚持以公开为常态、不公开为例外，"
    "持续完善主动公开目录，规范依申请公开办理流程，加强政策解读和回应关切，推动政务公开标准化规范化建设。"
)
_META_CHARSET = re.compile(r"""<meta[^>]*charset\s*=\s*["']?[A-Za-z0-9_-]+["']?[^>]*>""", re.I)


def prose(kb: int = 3) -> str:
    """About ``kb`` KB (UTF-8) of plain narrative without years, names or figures."""
    return PROSE * max(1, kb * 1024 // len(PROSE.encode("utf-8")) + 1)


def body_of(html: str) -> str:
    """The markup inside ``<body>`` (the whole text when there is none), without the charset declarations."""
    m = re.search(r"<body[^>]*>(.*)</body>", html, re.S | re.I)
    inner = m.group(1) if m else html
    return _META_CHARSET.sub("", inner)


def title_of(html: str) -> str:
    m = re.search(r"<title>(.*?)</title>", html, re.S | re.I)
    return m.group(1).strip() if m else ""


def heading(html: str) -> str:
    """The page title as a heading, as article pages print it above the text."""
    t = title_of(html)
    return f"<h1>{t}</h1>" if t else ""


# ---------------------------------------------------------------- HTML presentations


def fragment_trs(html: str) -> tuple[bytes, str]:
    """A CMS article fragment: no <html>/<body>, 3 KB of paragraphs before the page's tables, no extension."""
    paras = "".join(f'<p style="text-indent:2em">{p}。</p>\n' for p in prose(3).split("。") if p)
    return f'<div class="TRS_Editor">{heading(html)}\n{paras}{body_of(html)}</div>\n'.encode(), "article"


def fragment_ucap(html: str) -> tuple[bytes, str]:
    """A ``<ucapcontent>`` fragment whose 3 KB of prose are bare text lines before any tag, named .txt."""
    lines = "\n".join(p + "。" for p in prose(3).split("。") if p)
    return f"{lines}\n<ucapcontent>{heading(html)}{body_of(html)}</ucapcontent>\n".encode(), "page.txt"


def fragment_shtml(html: str) -> tuple[bytes, str]:
    """A fragment with few tags before a late table, named .shtml (the extension is the tie-breaker)."""
    return (f"{prose(3)}\n{heading(html)}{body_of(html)}\n".encode(), "report.shtml")


_GB2312_HEAD = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>'


def gb18030_declared(html: str) -> tuple[bytes, str]:
    page = f"{_GB2312_HEAD}<body>{heading(html)}{body_of(html)}</body></html>"
    return page.encode("gb18030"), "report.htm"


def gb18030_undeclared(html: str) -> tuple[bytes, str]:
    return f"<div>{heading(html)}{body_of(html)}</div>".encode("gb18030"), "report"


def word_html_doc(html: str) -> tuple[bytes, str]:
    """Word's "Web page" save (namespaced HTML, GB2312) under a .doc name."""
    page = (
        '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">\n<head>'
        '<meta http-equiv=Content-Type content="text/html; charset=gb2312"><meta name=ProgId content=Word.Document>'
        '<meta name=Generator content="Microsoft Word 15"><!--[if gte mso 9]><xml><w:WordDocument><w:View>Print'
        "</w:View></w:WordDocument></xml><![endif]--></head>\n"
        f'<body lang=ZH-CN style="tab-interval:21.0pt"><div class=WordSection1>{heading(html)}{body_of(html)}</div></body></html>'
    )
    return page.encode("gb18030"), "report.doc"


def utf16_le_bom(html: str) -> tuple[bytes, str]:
    return b"\xff\xfe" + f"<html><body>{heading(html)}{body_of(html)}</body></html>".encode("utf-16-le"), "report.html"


def utf16_be_no_bom(html: str) -> tuple[bytes, str]:
    return f"<div>{heading(html)}{body_of(html)}</div>".encode("utf-16-be"), "report"


def big5_traditional(html: str) -> tuple[bytes, str]:
    """The page in traditional script, Big5 without a charset declaration (characters outside Big5 as entities)."""
    page = _s2t(f"<div>{heading(html)}{body_of(html)}</div>")
    return page.encode("big5", errors="xmlcharrefreplace"), "report.html"


def big5_declared(html: str) -> tuple[bytes, str]:
    """The page in traditional script, Big5 with its charset declared."""
    page = _s2t(f'<html><head><meta charset="big5"></head><body>{heading(html)}{body_of(html)}</body></html>')
    return page.encode("big5", errors="xmlcharrefreplace"), "report.htm"


def utf8_declared_gb2312(html: str) -> tuple[bytes, str]:
    """A crawled page re-encoded to UTF-8 that kept its GB2312 declaration."""
    page = f"{_GB2312_HEAD}<body>{heading(html)}{body_of(html)}</body></html>"
    return page.encode("utf-8"), "report.html"


def _s2t(text: str) -> str:
    import opencc

    return opencc.OpenCC("s2t").convert(text)


def mhtml(html: str, charset: str = "utf-8", cte: str = "quoted-printable", style: str = "blink") -> bytes:
    """A "single file web page": the page as the text/html part of a multipart/related message, an image beside it."""
    page = f'<html><head><meta charset="{charset}"><title>{title_of(html)}</title></head><body>{body_of(html)}</body></html>'
    raw = page.encode("gb18030" if charset.lower() in ("gb2312", "gbk", "gb18030") else charset)
    payload = (quopri.encodestring(raw) if cte == "quoted-printable" else base64.encodebytes(raw)).decode("ascii")
    boundary = "----MultipartBoundary--xxgkTest0123456789----"
    image = base64.encodebytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256))).decode("ascii")
    if style == "blink":
        head = (
            "From: <Saved by Blink>\r\nSnapshot-Content-Location: http://www.example.gov.cn/art/1.html\r\n"
            "Subject: =?utf-8?Q?report?=\r\nDate: Mon, 1 Jan 2024 00:00:00 -0000\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/related;\r\n\ttype="text/html";\r\n\tboundary="{boundary}"\r\n\r\n\r\n'
        )
    else:  # Word's .mht
        head = (
            f'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="{boundary}"\r\n\r\n'
            "This document is a Single File Web Page, also known as a Web Archive file.\r\n\r\n"
        )
    parts = (
        f'--{boundary}\r\nContent-Type: text/html; charset="{charset}"\r\nContent-ID: <frame-1@mhtml.blink>\r\n'
        f"Content-Transfer-Encoding: {cte}\r\nContent-Location: http://www.example.gov.cn/art/1.html\r\n\r\n"
        f"{payload}\r\n--{boundary}\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
        f"Content-Location: http://www.example.gov.cn/logo.png\r\n\r\n{image}\r\n--{boundary}--\r\n"
    )
    return (head + parts).encode("ascii")


def _plain_lines(markup: str) -> list[str]:
    """Markup outside tables as plain lines: block ends become line breaks, tags go, entities are resolved."""
    from html import unescape

    text = re.sub(r"<(?:br|/p|/div|/h\d|/li|/section|/article)\b[^>]*>", "\n", markup, flags=re.I)
    text = re.sub(r"<(?:script|style)\b.*?</(?:script|style)>", "", text, flags=re.I | re.S)
    text = unescape(re.sub(r"<[^>]+>", "", text))
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def _tables_between_lines(html: str, heading_mark: str) -> str:
    from ingest.readers.mixed import table_spans

    body = f"{heading(html)}{body_of(html)}"
    out, pos = [], 0
    for start, end in [*table_spans(body), (len(body), len(body))]:
        for line in _plain_lines(body[pos:start]):
            out.append(heading_mark + line if heading_mark and re.match(r"^[一二三四五六七八九十]+、", line) else line)
        if end > start:
            out.append(body[start:end])
        pos = end
    return "\n\n".join(out) + "\n"


def markdown_html_tables(html: str) -> tuple[bytes, str]:
    """A PDF-to-Markdown conversion that keeps merged-cell tables as HTML: ``## `` headings, ``<table>`` blocks."""
    return _tables_between_lines(html, "## ").encode("utf-8"), "report.md"


def text_html_tables(html: str) -> tuple[bytes, str]:
    """A crawler's text dump that kept the tables' markup: plain lines, ``<table>`` blocks, no name."""
    return _tables_between_lines(html, "").encode("utf-8"), "dump"


HTML_TRANSFORMS = {
    f.__name__: f
    for f in (
        fragment_trs,
        fragment_ucap,
        fragment_shtml,
        gb18030_declared,
        gb18030_undeclared,
        word_html_doc,
        utf16_le_bom,
        utf16_be_no_bom,
        big5_traditional,
        big5_declared,
        utf8_declared_gb2312,
    )
}
MIXED_TRANSFORMS = {f.__name__: f for f in (markdown_html_tables, text_html_tables)}
MHTML_VARIANTS = {
    "qp_utf8_blink": dict(charset="utf-8", cte="quoted-printable", style="blink"),
    "base64_gb18030_blink": dict(charset="gb18030", cte="base64", style="blink"),
    "qp_gb2312_word": dict(charset="gb2312", cte="quoted-printable", style="word"),
    "base64_utf8_word": dict(charset="utf-8", cte="base64", style="word"),
}


# ---------------------------------------------------------------- LibreOffice


def soffice_convert(data: bytes, suffix: str, target: str) -> bytes:
    """``data`` (a file with ``suffix``) converted by LibreOffice to ``target`` (e.g. ``doc:MS Word 97``)."""
    from ingest.readers.legacy import soffice

    exe = soffice()
    with tempfile.TemporaryDirectory(prefix="xxgk-test-soffice-") as tmp:
        work = Path(tmp)
        (work / f"in{suffix}").write_bytes(data)
        subprocess.run(
            [
                exe,
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(work / "out"),
                str(work / f"in{suffix}"),
            ],
            check=True,
            capture_output=True,
            timeout=180,
            env={"HOME": tmp, "PATH": "/usr/bin:/bin"},
        )
        (out,) = (work / "out").iterdir()
        return out.read_bytes()


# ---------------------------------------------------------------- cells vs golden


def gold_of_truth(truth) -> dict:
    """A generated report's truth in the golden format."""
    gold: dict = {"t2": {}, "t3": {}, "t4": {}}
    for key, v in truth.cells.items():
        table, rk, ck = key.split("|")
        gold[table][f"{rk}|{ck}"] = v
    return gold


def parse(data: bytes, name: str):
    from ingest.pipeline import parse_report

    return parse_report(data, name)


def cell_mismatches(parsed, gold: dict) -> list[str]:
    """Golden cells that are missing or wrong, and non-zero cells the golden does not have (invented)."""
    if parsed.status == "quarantined":
        return [f"quarantined {parsed.reject['reason_code']}: {parsed.reject['message']}"]
    c = parsed.cell_columns
    got = {
        f"{t}|{r}|{k}": (v, b)
        for t, r, k, v, b in zip(c["table_id"], c["row_key"], c["col_key"], c["value"], c["is_blank"])
    }
    unknown = set(gold.get("unknown", []))
    out = []
    for table in ("t2", "t3", "t4"):
        for key, expected in gold.get(table, {}).items():
            k = f"{table}|{key}"
            if k not in got:
                out.append(f"missing {k}")
                continue
            value, blank = got[k]
            same = (
                blank
                if expected is None
                else (not blank and value is not None and abs(float(value) - float(expected)) < 1e-9)
            )
            if not same:
                out.append(f"wrong {k}: expected {expected}, got {None if blank else value}")
    for k, (value, blank) in got.items():
        table, key = k.split("|", 1)
        if key not in gold.get(table, {}) and k not in unknown and not blank and value:
            out.append(f"invented {k}={value}")
    return out


# ---------------------------------------------------------------- sources


@cache
def generated(fmt: str, seed: int = 5, year: int = 2023) -> tuple[bytes, dict]:
    """A clean generated report in ``fmt`` and its truth as a golden."""
    from ingest.synthetic import generate

    with tempfile.TemporaryDirectory() as tmp:
        truth = generate(tmp, n_agencies=1, years=range(year, year + 1), seed=seed, formats=(fmt,), quirk_rates={})[0]
        return (Path(tmp) / truth.file).read_bytes(), gold_of_truth(truth)


def shared_report(stem: str) -> tuple[bytes, dict] | None:
    """A real report of ../shared and its golden, or None where the corpus is absent."""
    from helpers import SHARED, load_golden

    gold_path = SHARED / "golden" / f"{stem}.json"
    if not gold_path.is_file():
        return None
    gold = load_golden(gold_path)
    return (SHARED / gold["source"]).read_bytes(), gold
