"""Text or Markdown with HTML tables: PDF-to-Markdown converters and crawlers keep merged-cell tables as
``<table>`` markup between plain lines.

The HTML tables are read by the HTML reader (spans resolved); the lines between them by the text or
Markdown reader, so headings and paragraphs stay one per line.
"""

from __future__ import annotations

import re

from ..encoding import decode
from ..model import Document, Paragraph, Table
from . import reader, register
from .html import parse_html

_TABLE_TAG = re.compile(r"<(/?)table\b[^>]*>", re.I)
_STRAY_BREAK = re.compile(r"<(?:br|/p|/div)\b[^>]*>", re.I)
_STRAY_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:]*\b[^>]*>")


def table_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each outermost ``<table>…</table>``; an unclosed table runs to the end."""
    spans, depth, start = [], 0, 0
    for m in _TABLE_TAG.finditer(text):
        if not m.group(1):
            if depth == 0:
                start = m.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                spans.append((start, m.end()))
    if depth:
        spans.append((start, len(text)))
    return spans


def _read_mixed(data: bytes, lines_fmt: str) -> Document:
    text, enc = decode(data)
    read_lines = reader(lines_fmt)
    blocks: list = []
    pos = 0
    for start, end in [*table_spans(text), (len(text), len(text))]:
        segment = _STRAY_BREAK.sub("\n", text[pos:start])
        segment = _STRAY_TAG.sub("", segment)
        if segment.strip():
            blocks += read_lines(segment.encode("utf-8")).blocks
        if end > start:
            blocks += parse_html(text[start:end]).blocks
        pos = end
    n = 0
    for b in blocks:
        if isinstance(b, Table):
            b.index = n
            n += 1
    return Document(
        blocks=[b for b in blocks if isinstance(b, Table) or (isinstance(b, Paragraph) and b.text)],
        format=f"{lines_fmt}_html",
        encoding=enc,
    )


@register("markdown_html")
def read_markdown_html(data: bytes) -> Document:
    return _read_mixed(data, "markdown")


@register("text_html")
def read_text_html(data: bytes) -> Document:
    return _read_mixed(data, "text")
