"""The common document model every reader produces.

A reader turns one source file into a :class:`Document`: an ordered list of
blocks, each either a paragraph of text or a table whose merged cells are
already resolved into a rectangular (or, for text-like formats, ragged) grid
of strings. Everything downstream (layout mapping, metadata, sections) works
on this model only, so format-specific code never leaks past its reader.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Table:
    """A table as a grid of cell strings, rows top to bottom.

    ``rows[r][c]`` is the text of the cell at source row ``r``, column ``c``;
    a cell spanning several grid positions repeats its text in each of them.
    ``ragged`` is true where the source has no reliable column grid (plain
    text, Markdown): trailing empty cells there are layout padding, not data.
    """

    rows: list[list[str]]
    index: int = 0          # position of the table among the document's tables
    ragged: bool = False
    page: int | None = None  # 1-based page for paged formats
    # covered[r][c] is true where the grid position repeats a merged cell whose
    # text stands at an earlier position (rowspan/colspan); None: no merges known
    covered: list[list[bool]] | None = None
    # confidence[r][c]: the OCR engine's confidence in the cell's text (0..1); None: the text was not OCR'd
    confidence: list[list[float | None]] | None = None

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


@dataclass
class Paragraph:
    text: str
    page: int | None = None
    confidence: float | None = None   # OCR engine's confidence in the line; None: not OCR'd


Block = Table | Paragraph


@dataclass
class Document:
    """What a reader extracted from one file."""

    blocks: list[Block]
    format: str                      # text | html | markdown | docx | pdf | mhtml | doc | markdown_html | text_html | image
    encoding: str | None = None      # detected text encoding, where relevant
    meta: dict[str, str] = field(default_factory=dict)  # e.g. html <title>, pdf metadata
    # what the reader had to decide, as (table_id, code, message); the rules turn each into a finding
    notes: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def lines(self) -> list[str]:
        """All paragraph text, one entry per paragraph, in reading order."""
        return [b.text for b in self.blocks if isinstance(b, Paragraph)]


class Quarantine(Exception):
    """Raised by any ingest step that cannot read a file; carries a reason code."""

    def __init__(self, reason: str, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
