"""Plain text and Markdown: lines with ``|`` separators are table rows.

Consecutive row lines form one table; Markdown separator rows (``|---|``) are
dropped, and Markdown headings (``## …``) become paragraphs. Grids are ragged:
column positions in text dumps are not reliable.
"""
from __future__ import annotations

import re

from ..encoding import decode
from ..model import Document, Paragraph, Table
from . import register

_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def parse_lines(text: str, fmt: str, encoding: str | None) -> Document:
    blocks: list = []
    rows: list[list[str]] = []
    n_tables = 0

    def flush() -> None:
        nonlocal rows, n_tables
        if rows:
            blocks.append(Table(rows=rows, index=n_tables, ragged=True))
            n_tables += 1
            rows = []

    for line in text.splitlines():
        stripped = line.strip()
        if _SEPARATOR.match(stripped):
            continue
        if "|" in stripped:
            cells = stripped.split("|")
            if fmt == "markdown" and stripped.startswith("|"):
                cells = cells[1:]
            if fmt == "markdown" and stripped.endswith("|") and len(cells) > 1:
                cells = cells[:-1]
            rows.append([c.strip() for c in cells])
            continue
        flush()
        if stripped:
            blocks.append(Paragraph(re.sub(r"^#+\s*", "", stripped) if fmt == "markdown" else stripped))
    flush()
    return Document(blocks=blocks, format=fmt, encoding=encoding)


@register("text")
def read_text(data: bytes) -> Document:
    text, enc = decode(data)
    return parse_lines(text, "text", enc)


@register("markdown")
def read_markdown(data: bytes) -> Document:
    text, enc = decode(data)
    return parse_lines(text, "markdown", enc)
