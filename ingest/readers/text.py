"""Plain text and Markdown.

Lines with ``|`` separators are table rows: consecutive row lines form one
table; Markdown separator rows (``|---|``) are dropped, and Markdown headings
(``## …``) become paragraphs. Grids are ragged: column positions in such text
are not reliable. Plain text without ``|`` rows may be a dump of a page: tab-
separated (a browser's copy) or one cell per line; :mod:`.dump` rebuilds its
rows. Other text is paragraphs, one per line.
"""

from __future__ import annotations

import re

from .. import limits
from ..encoding import decode
from ..model import Document, Paragraph, Quarantine, Table
from . import register
from .dump import looks_like_cell_dump, rebuild, tab_blocks

MIN_ROWS = 3  # lines with a separator needed before a text is read as a table of that kind

_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def parse_lines(text: str, fmt: str, encoding: str | None) -> Document:
    lines = 1 + sum(text.count(ch) for ch in _BREAKS) - text.count("\r\n")  # as str.splitlines splits
    if lines > limits.MAX_LINES:
        raise Quarantine(
            "too_many_lines",
            f"the text has {lines:,} lines (limit {limits.MAX_LINES:,}); reports have "
            f"a few thousand, and each costs memory to read",
        )
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
                raise Quarantine(
                    "too_many_cells",
                    f"the tables hold over {limits.MAX_DOC_CELLS:,} cells together "
                    f"(limit {limits.MAX_DOC_CELLS:,} per document)",
                )
            continue
        flush()
        if stripped:
            blocks.append(Paragraph(re.sub(r"^#+\s*", "", stripped) if fmt == "markdown" else stripped))
    flush()
    return Document(blocks=blocks, format=fmt, encoding=encoding)


def read_plain(text: str, encoding: str | None) -> Document:
    """Plain text: ``|`` rows, else tab rows, else one cell per line, else paragraphs."""
    lines = text.splitlines()
    if sum(1 for ln in lines if "|" in ln) >= MIN_ROWS:
        return parse_lines(text, "text", encoding)
    if sum(1 for ln in lines if "\t" in ln.strip()) >= MIN_ROWS:
        return Document(blocks=tab_blocks(lines), format="text", encoding=encoding)
    if looks_like_cell_dump(lines):
        out = rebuild(lines)
        return Document(blocks=out.blocks, format="text", encoding=encoding, notes=out.notes)
    return parse_lines(text, "text", encoding)


@register("text")
def read_text(data: bytes) -> Document:
    text, enc = decode(data)
    return read_plain(text, enc)


@register("markdown")
def read_markdown(data: bytes) -> Document:
    text, enc = decode(data)
    lines = text.splitlines()
    if sum(1 for ln in lines if "|" in ln) < MIN_ROWS and looks_like_cell_dump(lines):
        # Markdown whose tables were flattened to one cell per line
        out = rebuild([re.sub(r"^\s*#+\s*", "", ln) for ln in lines])
        return Document(blocks=out.blocks, format="markdown", encoding=enc, notes=out.notes)
    return parse_lines(text, "markdown", enc)
