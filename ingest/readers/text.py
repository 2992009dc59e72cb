"""Plain text and Markdown: lines with ``|`` separators are table rows.

Consecutive row lines form one table; Markdown separator rows (``|---|``) are
dropped, and Markdown headings (``## …``) become paragraphs. Grids are ragged:
column positions in text dumps are not reliable.
"""
from __future__ import annotations

import re

from .. import limits
from ..encoding import decode
from ..model import Document, Paragraph, Quarantine, Table
from . import register

_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def parse_lines(text: str, fmt: str, encoding: str | None) -> Document:
    lines = 1 + sum(text.count(ch) for ch in _BREAKS) - text.count("\r\n")     # as str.splitlines splits
    if lines > limits.MAX_LINES:
        raise Quarantine("too_many_lines", f"the text has {lines:,} lines (limit {limits.MAX_LINES:,}); reports have "
                                           f"a few thousand, and each costs memory to read")
    blocks: list = []
    rows: list[list[str]] = []
    n_tables = n_cells = 0

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
            n_cells += len(cells)
            if n_cells > limits.MAX_DOC_CELLS:
                raise Quarantine("too_many_cells", f"the tables hold over {limits.MAX_DOC_CELLS:,} cells together "
                                                   f"(limit {limits.MAX_DOC_CELLS:,} per document)")
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
