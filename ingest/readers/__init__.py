"""Readers: one per source format, each ``bytes -> Document``.

``sniff`` decides the format from evidence in the content; the extension only
breaks ties. The evidence travels with the format (``Format.evidence``) and
``read`` stores it in ``Document.meta["format_evidence"]``, so ``xxgk inspect``
can say why a file was read the way it was. ``read`` also applies the one text
normalisation (:func:`ingest.model.normalise_document`) to whatever a reader
returns, so readers do not normalise and no step after them does again. New
formats (an OCR reader, say) plug in with :func:`register`.
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

from ..encoding import utf16_kind
from ..model import Document, Paragraph, Quarantine, normalise_document

Reader = Callable[[bytes], Document]
_READERS: dict[str, Reader] = {}

HTML_EXTENSIONS = (".html", ".htm", ".shtml", ".xhtml", ".mht", ".mhtml")
WORD_EXTENSIONS = (".doc", ".dot", ".wps", ".wpt")
SNIFF_WINDOW = 256 * 1024  # bytes of a file that are searched for markup


class Format(str):
    """A format name that also carries the evidence it was decided on."""

    evidence: str = ""

    def __new__(cls, name: str, evidence: str) -> Format:
        obj = super().__new__(cls, name)
        obj.evidence = evidence
        return obj


def register(fmt: str) -> Callable[[Reader], Reader]:
    def deco(fn: Reader) -> Reader:
        _READERS[fmt] = fn
        return fn

    return deco


# Readers of formats whose libraries take long to import (pdfplumber, python-docx, OpenCV): imported at their
# first use, so a command that meets no such file does not load them (format -> module of this package).
_LAZY = {"pdf": "pdf", "docx": "docx", "doc": "legacy", "image": "ocr"}


_MISSING: set[str] = set()  # lazy formats whose libraries are not installed (tried once)


def _load(fmt: str) -> None:
    """Import the module of a lazily registered reader (an OCR reader whose libraries are absent stays unregistered).
    The PDF reader brings the OCR reader with it: the OCR module installs the PDF reader's hooks for scanned
    pages and files (``pdf.OCR_PAGE``, ``pdf.OCR_FALLBACK``)."""
    if fmt in _LAZY and fmt not in _READERS and fmt not in _MISSING:
        try:
            importlib.import_module(f"{__name__}.{_LAZY[fmt]}")
        except ImportError:
            if fmt != "image":  # the OCR reader needs OpenCV and the OCR engine (installed with the dev group)
                raise
            _MISSING.add(fmt)
    if fmt == "pdf":
        _load("image")


def formats() -> list[str]:
    for fmt in _LAZY:
        _load(fmt)
    return sorted(_READERS)


def reader(fmt: str) -> Reader:
    """The reader registered for ``fmt`` (KeyError when there is none)."""
    _load(fmt)
    return _READERS[fmt]


# ---------------------------------------------------------------- markup evidence

_OPEN_TAG = re.compile(
    rb"<(?:p|div|span|td|th|tr|table|tbody|font|br|b|strong|a|img|li|ul|ol|h[1-6]|ucapcontent|section|article"
    rb"|center|em|i|u|sup|sub|hr|o:p|meta|link|title|style|script)(?=[\s>/])",
    re.I,
)
_CLOSE_TAG = re.compile(
    rb"</(?:p|div|span|td|th|tr|table|tbody|font|b|strong|a|li|ul|ol|h[1-6]|ucapcontent|section|article|center"
    rb"|em|u|o:p|title|style|script|body|html|head)\s*>",
    re.I,
)
_ENTITY = re.compile(rb"&(?:nbsp|lt|gt|amp|quot|ldquo|rdquo|mdash|emsp|ensp|middot|#\d{2,6}|#x[0-9a-f]{2,5});", re.I)
_DOC_MARK = re.compile(rb"<!doctype\s+html|<html[\s>]|<body[\s>]|<head[\s>]|<table[\s>]", re.I)
_MIME_HEAD = re.compile(rb"(?:[A-Za-z][A-Za-z0-9-]*:[^\r\n]*\r?\n(?:[ \t][^\r\n]*\r?\n)*){1,40}")


# Every tag name, counted against the known ones: one scan instead of an alternation tried at every "<".
# A known name is the whole run of characters up to whitespace, ">" or "/", so the counts equal
# those of _OPEN_TAG and _CLOSE_TAG.
_ANY_OPEN = re.compile(rb"<([^\s>/<]+)(?=[\s>/])")
_ANY_CLOSE = re.compile(rb"</([^\s>/<]+)\s*>")
_OPEN_NAMES = frozenset(
    _OPEN_TAG.pattern[4 : _OPEN_TAG.pattern.index(b")")].replace(b"h[1-6]", b"h1|h2|h3|h4|h5|h6").split(b"|")
)
_CLOSE_NAMES = frozenset(
    _CLOSE_TAG.pattern[5 : _CLOSE_TAG.pattern.index(b")")].replace(b"h[1-6]", b"h1|h2|h3|h4|h5|h6").split(b"|")
)


def _count_names(pattern: re.Pattern, window: bytes, names: frozenset) -> int:
    return sum(n for name, n in Counter(pattern.findall(window)).items() if name.lower() in names)


def _markup(window: bytes) -> tuple[int, int, int, bool]:
    """Counts of known opening tags, closing tags and entities, and whether a document-level tag occurs."""
    return (
        _count_names(_ANY_OPEN, window, _OPEN_NAMES),
        _count_names(_ANY_CLOSE, window, _CLOSE_NAMES),
        len(_ENTITY.findall(window)),
        _DOC_MARK.search(window) is not None,
    )


def _ole2_evidence(data: bytes, lower_name: str) -> str | None:
    """Why an OLE2 compound file is a Word/WPS document (a text stream, or its name), or None."""
    if any(n.encode("utf-16-le") in data for n in ("WordDocument", "WpsContent")):
        return "OLE2 compound file with a Word/WPS text stream"
    if lower_name.endswith(WORD_EXTENSIONS):
        return "OLE2 compound file named " + lower_name.rsplit(".", 1)[-1]
    return None


def sniff(data: bytes, name: str = "") -> Format:
    """The format of a file judged by evidence in its bytes; the extension only breaks ties.

    Rules, in order (the evidence goes into ``Format.evidence``):

    1. empty -> quarantine ``empty``; ``%PDF`` -> pdf;
    2. ZIP: ``word/`` parts -> docx; OpenDocument text -> doc; any other ZIP -> quarantine ``archive``;
    3. OLE2 with a WordDocument/WpsContent stream, or named .doc/.dot/.wps/.wpt -> doc; other OLE2
       (.xls, .ppt), gzip, rar, 7z -> quarantine ``unsupported_format``; ``{\\rtf`` -> doc;
    4. MIME headers (MIME-Version or Content-Type) with a multipart or text/html type -> mhtml;
    5. the first 256 KB, decoded first when UTF-16 (BOM or byte pattern), are searched for markup:
       ``<table>`` blocks between plain lines (no doctype/html/body/head tag, at most one tag per twenty
       lines outside the tables) -> markdown_html (``.md`` name or Markdown headings) or text_html;
       a document-level tag (doctype, ``<html``, ``<body``, ``<head``, ``<table``) anywhere -> html;
       two or more closing tags with tags and entities at least six and at least one per ten lines -> html;
       a single tag and an HTML extension (.html .htm .shtml .xhtml .mht .mhtml) -> html;
    6. control bytes -> quarantine ``binary``; ``.md`` name or pipe-table separators -> markdown; else text.
    """
    lower = name.lower()
    ext = next((e for e in HTML_EXTENSIONS if lower.endswith(e)), "")
    head = data[:4096].lstrip()
    if not data.strip():
        raise Quarantine("empty", "the file is empty")
    if head.startswith(b"%PDF"):
        return Format("pdf", "magic %PDF")
    if data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")):
        return Format("image", "image magic bytes (PNG, JPEG or TIFF): read by OCR")
    if head.startswith(b"PK\x03\x04"):
        if b"word/" in data[:65536] or b"[Content_Types].xml" in data[:65536]:
            return Format("docx", "zip with word/ parts")
        if b"mimetypeapplication/vnd.oasis.opendocument.text" in data[:200]:
            return Format("doc", "zip with OpenDocument text mimetype (converted like a Word file)")
        raise Quarantine("archive", "the file is a zip archive, not a report; unpack it and ingest its files")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        ole = _ole2_evidence(data, lower)
        if ole:
            return Format("doc", ole)
        raise Quarantine(
            "unsupported_format", "ole2 files other than Word/WPS documents (.xls, .ppt) are not supported"
        )
    for magic, kind in ((b"\x1f\x8b", "gzip"), (b"Rar!", "rar"), (b"7z\xbc\xaf", "7z")):
        if head.startswith(magic):
            raise Quarantine("unsupported_format", f"{kind} files are not supported")
    if head.startswith(b"{\\rtf"):
        return Format("doc", "RTF header {\\rtf (converted like a Word file)")
    mime = _mime_evidence(head)
    if mime:
        return Format("mhtml", mime)
    enc16 = utf16_kind(data)
    window = data[:SNIFF_WINDOW]
    if enc16:
        window = window[: len(window) - len(window) % 2].decode(enc16, errors="replace").encode("utf-8")
    n_open, n_close, n_ent, doc_mark = _markup(window)
    counts = f"{n_open} tags, {n_close} closing tags, {n_ent} entities in the first {len(window) // 1024 or 1} KB"
    if enc16:
        counts += f" ({enc16})"
    tags = n_open + n_close
    embedded = _tables_in_text(window, doc_mark)
    if embedded:
        lines_fmt = "markdown" if lower.endswith((".md", ".markdown")) or _MD_SIGNS.search(window) else "text"
        return Format(f"{lines_fmt}_html", f"HTML tables between plain lines: {embedded}")
    if doc_mark or (n_close >= 2 and tags + n_ent >= max(6, window.count(b"\n") // 10)):
        why = "document-level tag" if doc_mark else "markup"
        return Format("html", f"{why}: {counts}" + (f"; extension {ext} agrees" if ext else ""))
    if ext and tags:
        return Format("html", f"extension {ext} breaks the tie: {counts}")
    if not enc16 and _binary(data[:8192]):
        raise Quarantine("binary", "the file is binary data of an unknown format")
    if lower.endswith((".md", ".markdown")):
        return Format("markdown", f"extension .md; {counts}")
    probe = window if enc16 else data
    if b"\n|---" in probe or b"\n| ---" in probe or b"|---|" in probe:
        return Format("markdown", f"pipe-table separator rows; {counts}")
    return Format("text", f"no markup: {counts}" + (f" (extension {ext} outweighed)" if ext else ""))


_PAGE_MARK = re.compile(rb"<!doctype\s+html|<html[\s>]|<body[\s>]|<head[\s>]", re.I)
_TABLE_BLOCK = re.compile(rb"<table\b.*?(?:</table\s*>|\Z)", re.I | re.S)
_MD_SIGNS = re.compile(rb"^#{1,6} |^\|?\s*:?-{3,}", re.M)


def _tables_in_text(window: bytes, doc_mark: bool) -> str | None:
    """Evidence that the markup is only tables between plain lines, or None: no page-level tag, and outside the
    tables at most one tag per twenty lines (a stray ``<br>``)."""
    if not doc_mark or _PAGE_MARK.search(window):
        return None
    rest = _TABLE_BLOCK.sub(b"\n", window)
    n_tables = len(_TABLE_BLOCK.findall(window))
    n_open, n_close, _, _ = _markup(rest)
    lines = sum(1 for ln in rest.splitlines() if ln.strip())
    if n_tables == 0 or n_open + n_close > lines // 20:
        return None
    return f"{n_tables} tables, {n_open + n_close} tags and {lines} lines outside them"


def _mime_evidence(head: bytes) -> str | None:
    """Evidence that the bytes are a MIME message holding a web page (MHTML), or None."""
    m = _MIME_HEAD.match(head)
    if not m:
        return None
    headers = m.group(0).lower()
    if b"mime-version:" not in headers and b"content-type:" not in headers:
        return None
    ctype = re.search(rb"content-type:\s*([a-z]+/[a-z0-9.+-]+)", headers)
    if ctype and (ctype.group(1).startswith(b"multipart/") or ctype.group(1) == b"text/html"):
        return f"MIME headers, Content-Type {ctype.group(1).decode()}"
    return None


def _binary(chunk: bytes) -> bool:
    if b"\x00" in chunk:
        return True
    ctrl = sum(1 for b in chunk if b < 9 or 13 < b < 32)
    return ctrl > len(chunk) * 0.02


def read(data: bytes, fmt: str) -> Document:
    _load(fmt)
    try:
        reader = _READERS[fmt]
    except KeyError:
        raise Quarantine("unsupported_format", f"no reader for format {fmt!r}") from None
    doc = normalise_document(reader(data))  # the one normalisation of every document's text
    evidence = getattr(fmt, "evidence", "")
    if evidence:
        doc.meta.setdefault("format_evidence", evidence)
    simplify_traditional(doc)
    return doc


_CJK = re.compile("[\u4e00-\u9fff]+")  # runs of CJK ideographs (counted by their lengths)
TRADITIONAL_SHARE = 0.03  # share of CJK characters that t2s changes, above which a text is traditional


def simplify_traditional(doc: Document) -> None:
    """Print traditional-script text in simplified script, so labels and metadata match the seeds.

    Conversion is character by character (OpenCC ``t2s``); digits and punctuation are untouched, so every
    number keeps its printed text. The document records that it was converted (``meta["script"]``)."""
    texts = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    texts += [c for t in doc.tables for row in t.rows for c in row]
    sample = "".join(texts)[:50_000]
    if sample.isascii():
        return
    convert = _t2s()
    # converted before the CJK characters are counted: most texts change in next to no place, and need no count
    try:
        simplified = convert(sample)
    except Exception:  # (a lone surrogate, say) where the count would have stopped first, nothing happens
        if _cjk_count(sample) < 20:
            return
        raise
    changed = 0 if simplified == sample else _differing(sample, simplified)
    if changed < 5:
        return
    cjk = _cjk_count(sample)
    if cjk < 20 or changed < cjk * TRADITIONAL_SHARE:
        return
    for b in doc.blocks:
        if isinstance(b, Paragraph):
            b.text = convert(b.text)
        else:
            b.rows = [[convert(c) if c else c for c in row] for row in b.rows]
    for key, value in list(doc.meta.items()):
        if key != "format_evidence":
            doc.meta[key] = convert(value)
    doc.meta["script"] = f"traditional ({changed} of {cjk} sampled characters), converted to simplified (OpenCC t2s)"


def _cjk_count(sample: str) -> int:
    """CJK ideographs in ``sample``."""
    return sum(map(len, _CJK.findall(sample)))


def _differing(a: str, b: str, step: int = 1024, chunk: int = 32) -> int:
    """Positions (up to the shorter length) where two texts differ, compared a block at a time, and within a
    differing block a chunk at a time (equal blocks and chunks are compared in C)."""
    changed = 0
    for i in range(0, min(len(a), len(b)), step):
        x, y = a[i : i + step], b[i : i + step]
        if x != y:
            for j in range(0, len(x), chunk):
                u, v = x[j : j + chunk], y[j : j + chunk]
                if u != v:
                    changed += sum(map(str.__ne__, u, v))
    return changed


@lru_cache(maxsize=1)
def _t2s() -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC("t2s").convert


# Register the built-in readers (those of _LAZY at their first use).
from . import html, mhtml, mixed, text  # noqa: E402,F401
