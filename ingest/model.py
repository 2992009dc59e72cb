"""The common document model every reader produces.

A reader turns one source file into a :class:`Document`: an ordered list of
blocks, each either a paragraph of text or a table whose merged cells are
already resolved into a rectangular (or, for text-like formats, ragged) grid
of strings. Everything downstream (layout mapping, metadata, sections) works
on this model only, so format-specific code never leaks past its reader.

Shared with dbt: ``ingest.agency_names`` (run by the dbt model ``int_agency_names``) normalises names
with :func:`normalise_text`, so this module is part of the dbt project's fingerprint and imports nothing
else from ``ingest``.

Two contracts live here so that each is written once: :func:`build_grid` is the
one span resolution (readers hand it cells with rowspan/colspan), and
:func:`normalise_text` is the one text normalisation, applied to every document
by the reader registry (:func:`normalise_document`); steps after the readers
read the text as it is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple, cast


@dataclass
class Table:
    """A table as a grid of cell strings, rows top to bottom.

    ``rows[r][c]`` is the text of the cell at source row ``r``, column ``c``;
    a cell spanning several grid positions repeats its text in each of them.
    ``ragged`` is true where the source has no reliable column grid (plain
    text, Markdown): trailing empty cells there are layout padding, not data.
    """

    rows: list[list[str]]
    index: int = 0  # position of the table among the document's tables
    ragged: bool = False
    page: int | None = None  # 1-based page for paged formats
    # covered[r][c] is true where the grid position repeats a merged cell whose
    # text stands at an earlier position (rowspan/colspan); None: no merges known
    covered: list[list[bool]] | None = None
    # confidence[r][c]: the OCR engine's confidence in the cell's text (0..1); None: the text was not OCR'd
    confidence: list[list[float | None]] | None = None
    # printed[r][c]: the reader's text of the cell before normalisation (what the source prints, for raw_text
    # and provenance); None: no cell changed when normalised
    printed: list[list[str]] | None = None

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


@dataclass
class Paragraph:
    text: str
    page: int | None = None
    confidence: float | None = None  # OCR engine's confidence in the line; None: not OCR'd


Block = Table | Paragraph


@dataclass
class Document:
    """What a reader extracted from one file."""

    blocks: list[Block]
    format: str  # text | html | markdown | docx | pdf | mhtml | doc | markdown_html | text_html | image
    encoding: str | None = None  # detected text encoding, where relevant
    meta: dict[str, str] = field(default_factory=dict)  # e.g. html <title>, pdf metadata
    # what the reader had to decide, as (table_id, code, message); the rules turn each into a finding
    notes: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def lines(self) -> list[str]:
        """All paragraph text, one entry per paragraph, in reading order."""
        return [b.text for b in self.blocks if isinstance(b, Paragraph)]


# ---------------------------------------------------------------- span resolution


@dataclass(frozen=True)
class SpanCell:
    """One cell as the source prints it: its text, its top-left grid position and the rows and columns it spans.

    ``col`` None places the cell at the first free column of its row after the row's previous cell (the
    HTML table model, where a rowspan from above pushes the cells of later rows right). Cells given the
    same ``merge`` key are parts of one merged cell (a Word vertical merge whose parts differ in width).
    """

    row: int
    col: int | None
    text: str
    rowspan: int = 1
    colspan: int = 1
    merge: object = None


class Grid(NamedTuple):
    """A span-resolved grid: texts, covered flags (as :attr:`Table.covered`) and which cell fills each position."""

    rows: list[list[str]]
    covered: list[list[bool]]
    owners: list[list[int | None]]  # index of the filling cell in the order given; None: no cell reaches it


def build_grid(
    cells: Iterable[SpanCell],
    n_rows: int | None = None,
    width: int | None = None,
    *,
    holes_covered: bool = False,
    drop_cols: Collection[int] = (),
    check: Callable[[int, int], None] | None = None,
) -> Grid:
    """Resolve cells with spans into a rectangular grid, the one span resolution every reader uses.

    Each cell holds its own top-left position; a position that several spans reach is the first
    spanning cell's, in the order given. Spans stop at the last row (``n_rows``) and column (``width``)
    where those are given; otherwise the grid grows to hold them. A position no cell reaches is empty,
    and covered where ``holes_covered`` (the source says it belongs to a merged cell it did not delimit).
    ``drop_cols`` are removed before covered flags are set: a position is covered where an earlier one
    (row by row, left to right) shows the same cell. ``check(rows, columns)`` is called before each cell
    is placed, so a grid too large to hold can be refused before it is built.
    """
    owner: dict[tuple[int, int], int] = {}
    origins: set[tuple[int, int]] = set()
    cursor: dict[int, int] = {}
    keys: list[object] = []
    texts: list[str] = []
    rows_seen = extent = 0
    for i, cell in enumerate(cells):
        keys.append(cell.merge if cell.merge is not None else ("cell", i))
        texts.append(cell.text)
        r = cell.row
        if n_rows is not None and r >= n_rows:
            continue
        c = cell.col
        if c is None:
            c = cursor.get(r, 0)
            while (r, c) in owner:
                c += 1
        rs = max(1, cell.rowspan if n_rows is None else min(cell.rowspan, n_rows - r))
        cs = max(1, cell.colspan)
        cursor[r] = c + cs
        if width is not None:
            cs = min(cs, width - c)
            if cs < 1:
                continue
        rows_seen, extent = max(rows_seen, r + rs), max(extent, c + cs)
        if check is not None:
            check(n_rows if n_rows is not None else rows_seen, extent)
        if (r, c) not in origins:
            owner[(r, c)] = i
            origins.add((r, c))
        if rs == 1 and cs == 1:
            continue
        for dr in range(rs):
            for dc in range(cs):
                owner.setdefault((r + dr, c + dc), i)
    n = n_rows if n_rows is not None else rows_seen
    w = width if width is not None else extent
    keep = [c for c in range(w) if c not in drop_cols] if drop_cols else range(w)
    grid: list[list[str]] = []
    covered: list[list[bool]] = []
    owners: list[list[int | None]] = []
    seen: set[object] = set()
    for r in range(n):
        row_t: list[str] = []
        row_c: list[bool] = []
        row_o: list[int | None] = []
        for c in keep:
            at = owner.get((r, c))
            row_o.append(at)
            if at is None:
                row_t.append("")
                row_c.append(holes_covered)
                continue
            row_t.append(texts[at])
            row_c.append(keys[at] in seen)
            seen.add(keys[at])
        grid.append(row_t)
        covered.append(row_c)
        owners.append(row_o)
    return Grid(grid, covered, owners)


def build_row_grid(
    rows: list[list[tuple[str, int, int]]], check: Callable[[int, int], None] | None = None
) -> tuple[list[list[str]], list[list[bool]]]:
    """:func:`build_grid` for cells placed by the HTML table model, row by row: the same texts and covered
    flags, without a cell object per cell. ``rows[r]`` holds the (text, rowspan, colspan) of row ``r``'s
    cells, each span at least 1 and a rowspan ending at the last row. ``check`` as for :func:`build_grid`
    (called with the same sizes; where the size is unchanged since its last call, not again)."""
    n = len(rows)
    texts: list[list[str | None]] = [[] for _ in range(n)]
    covered: list[list[bool]] = [[] for _ in range(n)]
    extent, checked = 0, -1
    holes = False
    for r, row in enumerate(rows):
        tr, cr = texts[r], covered[r]
        c = 0
        for text, rs, cs in row:
            while c < len(tr) and tr[c] is not None:
                c += 1
            end = c + cs
            if end > extent:
                extent = end
            if check is not None and extent != checked:
                check(n, extent)
                checked = extent
            if rs == 1 and cs == 1 and c == len(tr):
                tr.append(text)
                cr.append(False)
                c = end
                continue
            for rr in range(r, r + rs):
                t, cv = texts[rr], covered[rr]
                if len(t) < end:
                    holes = holes or len(t) < c
                    t.extend([None] * (end - len(t)))
                    cv.extend([False] * (end - len(cv)))
                for cc in range(c, end):
                    if t[cc] is None:
                        t[cc] = text
                        cv[cc] = rr != r or cc != c
            c = end
    for t, cv in zip(texts, covered):
        if holes and None in t:
            t[:] = ["" if x is None else x for x in t]
        if len(t) < extent:
            t.extend([""] * (extent - len(t)))
            cv.extend([False] * (extent - len(cv)))
    return cast(list[list[str]], texts), covered  # every None (a position no cell reaches) is now ""


# ---------------------------------------------------------------- text normalisation

# CJK ideographs, radicals, CJK punctuation and full-width forms: a space between two of these is layout
# (justified or letter-spaced text), never a word break
_CJK = r"\u2e80-\u2fdf\u3001-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_WS = re.compile(r"\s+")


def normalise_text(text: str | None) -> str:
    """The one text normalisation: what every Document's text is, and what printed text is compared as.

    Spaces between CJK characters are dropped (``号 ， 邮 编`` -> ``号，邮编``), then NFKC folds
    compatibility forms (full-width digits and brackets, Kangxi radicals such as ⽂ for 文, the
    ideographic space), then each run of white space becomes one space, and the ends are trimmed.
    The gap is dropped before NFKC (so ``（ 一 ）`` still reads as a numbering) and after it (so the
    result does not change when normalised again).
    """
    if not text:
        return ""
    if _WS.search(text) is None:  # most cell texts: no gap to drop, nothing to fold
        if text.isascii() or unicodedata.is_normalized("NFKC", text):
            return text
        text = _nfkc(text)
        return text if _WS.search(text) is None else _WS.sub(" ", _CJK_GAP.sub("", text)).strip()
    if text.isascii():
        return _WS.sub(" ", text).strip()
    text = _nfkc(_CJK_GAP.sub("", text))
    return _WS.sub(" ", _CJK_GAP.sub("", text)).strip()


# CJK unified ideographs are NFKC-inert (unchanged, starters, in no composition pair): NFKC of a text is the NFKC
# of the pieces between them, joined with them; the pieces (punctuation, numbers, Latin words) recur.
_IDEOGRAPHS = re.compile("([\u4e00-\u9fff]+)")
_nfkc_piece = lru_cache(maxsize=1 << 13)(lambda piece: unicodedata.normalize("NFKC", piece))


def _nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, piece by piece between runs of ideographs (short pieces kept)."""
    parts = _IDEOGRAPHS.split(text)
    if len(parts) < 3:
        return unicodedata.normalize("NFKC", text)
    parts[::2] = [_nfkc_piece(p) if len(p) < 64 else unicodedata.normalize("NFKC", p) for p in parts[::2]]
    return "".join(parts)


def join_lines(lines: Iterable[str]) -> str:
    """The lines of one cell as one text: joined without separator (``商业``, ``企业`` -> ``商业企业``), with a
    space between two Latin words; blank lines are skipped."""
    out = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if out and out[-1].isascii() and out[-1].isalpha() and line[0].isascii() and line[0].isalpha():
            out += " "
        out += line
    return out


normalise_short = lru_cache(maxsize=1 << 15)(normalise_text)
""":func:`normalise_text` remembered, for short texts (labels, counts: they recur across reports)."""


def normalise_document(doc: Document) -> Document:
    """Apply :func:`normalise_text` to every paragraph, table cell and metadata value of ``doc`` (in place).

    The reader registry calls it once after every reader, so no step after the readers normalises again.
    A table keeps its cells' text as read in ``printed``: the lake's ``raw_text`` is what the source prints."""
    for b in doc.blocks:
        if isinstance(b, Paragraph):
            b.text = normalise_text(b.text)
        else:  # each distinct cell text once (cells repeat: spans, zeros, labels)
            norm = {c: normalise_short(c) if c and len(c) < 64 else normalise_text(c) for c in set().union(*b.rows)}
            get = norm.__getitem__
            rows = [list(map(get, row)) for row in b.rows]
            if rows != b.rows:
                b.printed = b.rows
            b.rows = rows
    doc.meta = {k: normalise_text(v) for k, v in doc.meta.items()}
    return doc


class Quarantine(Exception):
    """Raised by any ingest step that cannot read a file; carries a reason code."""

    def __init__(self, reason: str, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
