"""Presentation transforms to text dumps, for tests: a parsed Document in, the bytes of a dump out.

Document -> Document transforms (``labels_broken``, ``number_split``) put line breaks inside cells;
the renderers (``one_cell_per_line``, ``browser_tab_text``) write a Document as text the way crawlers
and browsers do. ``crlf`` turns line ends into CR LF. ``golden_diff`` compares parsed cells with
expected ones.
"""

from __future__ import annotations

import copy
import re

from ingest.model import Document, Paragraph, Table
from ingest.numbers import parse_cell

_NUMBERING = re.compile(
    r"^(?:[(（][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十]{1,3}[、.．]|\d{1,2}[、.．])"
)


def _value(text: str) -> bool:
    p = parse_cell(text)
    return bool(text.strip()) and (p.is_blank or p.value is not None)


def _cells(table: Table, r: int) -> list[str]:
    """The cells of one row as a page shows them: a merged cell once, grid padding dropped."""
    row = table.rows[r]
    cov = table.covered[r] if table.covered else [False] * len(row)
    if table.ragged:
        end = len(row)
        while end and not row[end - 1].strip():
            end -= 1
    else:
        end = 1 + max((c for rr in table.rows for c, t in enumerate(rr) if t.strip()), default=-1)
    return [t or "" for t, hidden in zip(row[:end], cov[:end]) if not hidden]


def _lines(doc: Document, sep: str | None) -> list[str]:
    out: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            out.append(block.text)
        elif isinstance(block, Table):
            for r in range(len(block.rows)):
                cells = _cells(block, r)
                if sep is None:
                    out.extend(cells)
                elif cells:
                    out.append(sep.join(cells))
    return out


def one_cell_per_line(doc: Document) -> bytes:
    """Every cell on its own line (empty cells as empty lines), paragraphs one per line."""
    return ("\n".join(_lines(doc, None)) + "\n").encode("utf-8")


def browser_tab_text(doc: Document) -> bytes:
    """A browser's copy: one line per row, cells separated by tabs, a merged cell written once."""
    return ("\n".join(_lines(doc, "\t")) + "\n").encode("utf-8")


def double_spaced(data: bytes) -> bytes:
    """An empty line after every line (cells joined with blank lines, as some crawlers write them)."""
    return b"\n".join(line + b"\n" for line in data.split(b"\n")).rstrip(b"\n") + b"\n"


def headings_dropped(doc: Document) -> Document:
    """The section headings of parts 二, 三 and 四 removed, so tables are known by their content only."""
    out = copy.deepcopy(doc)
    out.blocks = [
        b
        for b in out.blocks
        if not (isinstance(b, Paragraph) and re.match(r"^\s*[二三四]\s*[、.．]", b.text) and len(b.text) < 40)
    ]
    return out


def crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _label_break(text: str) -> str:
    m = _NUMBERING.match(text)
    if m and m.end() < len(text):
        return text[: m.end()] + "\n" + text[m.end() :]
    half = len(text) // 2
    return text[:half] + "\n" + text[half:]


def labels_broken(doc: Document, min_chars: int = 4, header_chars: int = 10) -> Document:
    """Row labels (text cells of rows that hold values) of min_chars or more, and short header cells,
    broken over two lines: after the numbering (``1.`` / ``属于国家秘密``), else in the middle (``商业`` / ``企业``)."""
    out = copy.deepcopy(doc)
    for t in out.tables:
        for row in t.rows:
            has_values = any(_value(c) for c in row)
            row[:] = [
                _label_break(c)
                if min_chars <= len(c.strip())
                and (has_values or len(c) <= header_chars)
                and not _value(c)
                and "\n" not in c
                else c
                for c in row
            ]
    return out


def number_split(doc: Document, min_value: int = 10, nth: int = 0) -> tuple[Document, str]:
    """The ``nth`` count of two or more digits in rows of table 三 (seven values whose six first sum to the
    last) printed over two lines (``1`` / ``62``). Returns the document and the number split; LookupError if none."""
    out = copy.deepcopy(doc)
    seen = 0
    for t in out.tables:
        for r in range(len(t.rows)):
            shown = _cells(t, r)
            vals = shown[-7:]
            if len(vals) < 7 or not all(v.strip().isdigit() or not v.strip() for v in vals):
                continue
            nums = [int(v) if v.strip() else 0 for v in vals]
            if sum(nums[:6]) != nums[6]:
                continue
            for v in vals:
                if v.strip() and int(v) >= min_value:
                    seen += 1
                    if seen <= nth:
                        continue
                    col = max(
                        c for c, text in enumerate(t.rows[r]) if text == v and not (t.covered and t.covered[r][c])
                    )
                    s = v.strip()
                    t.rows[r][col] = s[:1] + "\n" + s[1:]
                    return out, s
    raise LookupError("no count of two or more digits in a balanced row of table 三")


def golden_diff(cells: list[dict], gold: dict) -> tuple[int, list, list]:
    """(exact cells, [(key, expected, got)] of wrong or missing cells, [invented non-zero cells])."""
    got = {f"{c['table_id']}|{c['row_key']}|{c['col_key']}": (c["value"], c["is_blank"]) for c in cells}
    unknown = set(gold.get("unknown", []))
    exact, bad = 0, []
    for table in ("t2", "t3", "t4"):
        for key, expected in gold.get(table, {}).items():
            value = got.get(f"{table}|{key}")
            if value is not None and (
                (expected is None and value[1]) or (expected is not None and not value[1] and value[0] == expected)
            ):
                exact += 1
            else:
                bad.append((f"{table}|{key}", expected, value))
    invented = [
        (k, v)
        for k, (v, blank) in got.items()
        if k.split("|", 1)[1] not in gold.get(k.split("|", 1)[0], {}) and k not in unknown and not blank and v
    ]
    return exact, bad, invented
