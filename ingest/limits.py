"""Budgets per file: what one input may cost before it is quarantined with a reason.

Real reports sit far below every limit (a few hundred table cells, a few thousand
HTML tags, tens of pages); each limit bounds what a hostile or broken file can
make a reader hold, so no single file up to the size limit needs 1 GB of memory
or holds up a batch. The README's "Reliability" section lists them.
"""

from __future__ import annotations

from .model import Quarantine

MAX_BYTES = 50 * 2**20  # a file (read at most this plus one byte); ``too_large``
MAX_ELEMENTS = 2_000_000  # tags in an HTML page or a DOCX XML part; ``too_many_elements``
MAX_TABLE_CELLS = 200_000  # grid positions of one table (rows x columns after spans); ``too_many_cells``
MAX_DOC_CELLS = 500_000  # grid positions of all tables of a document; ``too_many_cells``
MAX_ROWSPAN = 1_000  # a rowspan is also clamped to the rows left in its table
MAX_COLSPAN = 200
MAX_LINES = 200_000  # lines of a text or Markdown file; ``too_many_lines``
MAX_PAGES = 500  # pages of a PDF; ``too_many_pages``
MAX_PART_BYTES = 64 * 2**20  # one decompressed part of a DOCX (zip entry); ``too_large_unzipped``
MAX_UNZIPPED_BYTES = 200 * 2**20  # all parts of a DOCX together; ``too_large_unzipped``
FILE_SECONDS = 180.0  # wall-clock time to read one file; ``too_slow``
MEMORY_BYTES = 1 << 30  # memory a worker may add while reading one file; ``too_much_memory``
STUB_HEAD = 1024  # bytes of a file kept in the quarantine stub of a file not copied whole


def memory_message() -> str:
    return f"reading it needed over {MEMORY_BYTES // 2**20} MB of memory (the budget per file)"


def check_cells(n_rows: int, width: int, total: int = 0, what: str = "a table") -> None:
    """Raise ``too_many_cells`` when a grid of ``n_rows`` x ``width`` (after ``total`` cells already read) is too big."""
    cells = n_rows * width
    if cells > MAX_TABLE_CELLS:
        raise Quarantine(
            "too_many_cells",
            f"{what} resolves to {n_rows} rows x {width} columns = {cells:,} cells "
            f"(limit {MAX_TABLE_CELLS:,} per table); reports have a few hundred",
        )
    if total + cells > MAX_DOC_CELLS:
        raise Quarantine(
            "too_many_cells",
            f"the tables hold over {MAX_DOC_CELLS:,} cells together "
            f"(limit {MAX_DOC_CELLS:,} per document); reports have a few hundred",
        )


def check_elements(count: int, what: str) -> None:
    if count > MAX_ELEMENTS:
        raise Quarantine(
            "too_many_elements",
            f"{what} has {count:,} tags (limit {MAX_ELEMENTS:,}); "
            f"reports have a few thousand, and each costs memory to read",
        )
