"""Rebuild table rows from text dumps of report pages.

Two kinds of dump are read:

* one cell per line (crawlers, copy-paste): every table cell stands on its own
  line. A row is a label (one or more text lines) followed by a run of value
  lines; the run is cut into rows of the template's width (seven for table 三,
  five or fifteen for table 四, all of it for table 二).
* a browser's copy (cells separated by tabs, a merged cell written once): each
  tabbed line is a row; a text line broken out of a label cell is joined back.

Rules of the one-cell-per-line rebuilder:

1. Values. A value line is a number or a printed blank (``—``, ``/``, ``无``, ``空``).
   An empty line inside a run of values is a blank cell; empty lines at the edges
   of a run count only where they complete a row. A double-spaced dump (an empty
   line after every cell) is first brought back to single spacing.
2. Context. The table a run belongs to is the one named by the last section
   heading or by the last label only that table prints (行政许可, 自然人, 结果维持).
3. Labels. A bare numbering line (``1.``, ``（三）``) is joined to the next line; a
   line is joined to the one before it where together they spell a template label
   (``商业`` / ``企业``). Of the label lines before a run only the last labels the
   row, unless it is a bare column heading (``总计``); the others are paragraphs.
4. Rows. A run is cut into rows of the table's width (table 二: the whole run;
   table 三: seven; table 四: fifteen, or blocks of five); only the first row takes
   the label. Empty lines between two rows are a lost label, not blank values
   (fewest such gaps, then most rows that add up; a tie is not cut).
5. Split numbers. A run one value longer than whole rows holds a number printed
   over two lines. Each join of two neighbouring digit lines (the first not
   starting with 0) is tried; a join is accepted only when exactly one makes its
   row add up (table 三: the six applicant columns sum to 总计; table 四:
   维持+纠正+其他+尚未审结 = 总计). The join keeps the printed break (``1 62``) and
   is recorded as a ``digits_joined`` note of the document, which the rules turn
   into a finding. A run that fits no row shape (an ambiguous split, a lost cell)
   and a row of table 二 with more values than its columns (nothing settles a split
   there) are kept as text, unread, with a ``values_unread`` note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from ..model import Block, Paragraph, Table, normalise_text
from ..numbers import parse_cell
from ..template import LAYOUTS, distinctive_labels, keys, norm_label, section_markers, select, t2_columns_for

T3_WIDTH = 7
T4_BLOCK = 5
T4_VALUES = 15
_NUMBERED = re.compile(
    r"^(?:[(（]\s*[一二三四五六七八九十\d]{1,3}\s*[)）]|[一二三四五六七八九十]{1,3}\s*[、.．]|\d{1,2}\s*[、.．])"
)
_MARKER = re.compile(_NUMBERED.pattern + r"\s*$")  # a numbering alone on its line
_DIGITS = re.compile(r"^\d+$")


def is_value_line(text: str) -> bool:
    """A non-empty line that is a number or a printed blank."""
    if not text.strip():
        return False
    p = parse_cell(text)
    return p.is_blank or p.value is not None


@lru_cache(maxsize=1)
def _known_labels() -> frozenset[str]:
    return frozenset(lab for k in keys() for lab in k.labels)


@lru_cache(maxsize=1)
def _column_labels() -> frozenset[str]:
    return frozenset(lab for k in keys() if k.kind == "column" for lab in k.labels)


def section_of(text: str) -> str | None:
    """The table a section heading introduces (t2, t3, t4), 's5'/'s6' for later parts, else None."""
    t = normalise_text(text).replace(" ", "")
    if len(t) > 40:
        return None
    for sec, pat in section_markers().items():
        if pat.search(t):
            return {"s2": "t2", "s3": "t3", "s4": "t4"}.get(sec, sec)
    return None


@lru_cache(maxsize=1)
def _table_of_label() -> dict[str, str]:
    """Normalised labels that belong to one table only (行政许可 -> t2, 自然人 -> t3, 结果维持 -> t4)."""
    tables: dict[str, set[str]] = {}
    for k in keys():
        for lab in k.labels:
            tables.setdefault(lab, set()).add(k.table)
    return {lab: next(iter(ts)) for lab, ts in tables.items() if len(ts) == 1}


def undouble(lines: list[str]) -> list[str]:
    """Double-spaced dumps (an empty line after every cell): k empty lines between two lines
    stand for (k - 1) // 2 empty cells."""
    gaps = [0]
    for ln in lines:
        if ln.strip():
            gaps.append(0)
        else:
            gaps[-1] += 1
    inner = gaps[1:-1]
    if len(inner) < 10 or sum(1 for g in inner if g >= 1) < 0.9 * len(inner):
        return lines
    out: list[str] = []
    empties = 0
    for ln in lines:
        if ln.strip():
            out += [""] * ((empties - 1) // 2 if out else 0)
            out.append(ln)
            empties = 0
        else:
            empties += 1
    return out


def _continues(prev: str, cur: str) -> bool:
    """Whether ``cur`` is the rest of the label ``prev`` broken over two lines."""
    if _MARKER.match(normalise_text(prev)):
        return True
    if _NUMBERED.match(normalise_text(cur)):
        return False
    joined, a, b = norm_label(prev + cur), norm_label(prev), norm_label(cur)
    known = _known_labels()
    if not a or not b:
        return False
    if joined in known:
        return True
    return a not in known and b not in known and any(joined in lab for lab in known)


def label_units(lines: list[str]) -> list[str]:
    """Join label lines broken over several lines (rule 2)."""
    units: list[str] = []
    for line in lines:
        if units and _continues(units[-1], line):
            units[-1] = units[-1] + line
        else:
            units.append(line)
    return units


# ------------------------------------------------------------------ splitting runs of values


def _num(text: str) -> float | None:
    p = parse_cell(text)
    return 0.0 if p.is_blank else p.value


def _balances(row: list[str], width: int) -> bool:
    """Table 三 rows: six applicant columns sum to 总计; table 四 blocks: four results sum to 总计."""
    nums = [_num(t) for t in row]
    if len(row) != width or any(n is None for n in nums):
        return False
    return abs(sum(nums[:-1]) - nums[-1]) < 1e-9


@dataclass
class Cut:
    """How a run of values was cut into rows."""

    rows: list[list[str]]
    joined: tuple[int, str] | None = None  # (row index, printed join) where a split number was joined
    fits: bool = True  # False: the run fits no row shape (kept whole, unread)


def _chunks(run: list[str], width: int) -> list[list[str]]:
    return [run[i : i + width] for i in range(0, len(run), width)]


def join_split(run: list[str], width: int) -> Cut | None:
    """Rule 3: the one join of two neighbouring digit lines that makes its row add up, else None."""
    if len(run) % width != 1 or len(run) < width + 1:
        return None
    fits = []
    for p in range(len(run) - 1):
        a, b = run[p].strip(), run[p + 1].strip()
        if not (_DIGITS.match(a) and _DIGITS.match(b)) or a.startswith("0"):
            continue  # only digits join, and no number starts with 0
        joined = run[:p] + [f"{a} {b}"] + run[p + 2 :]
        rows = _chunks(joined, width)
        r = p // width
        if _balances(rows[r], width):
            fits.append(Cut(rows, (r, f"{a} {b}")))
    return fits[0] if len(fits) == 1 else None


def rows_with_gaps(run: list[str], width: int) -> list[list[str]] | None:
    """Cut a run into rows of ``width`` where empty lines between rows are empty label cells (a row
    whose label was lost): fewest such gaps, then most rows that add up; None if no cut or a tie."""
    best: dict[int, tuple[int, int, list[list[str]], bool]] = {0: (0, 0, [], False)}
    for i in range(len(run)):
        if i not in best:
            continue
        gaps, unbalanced, rows, tie = best[i]
        steps = []
        if not run[i].strip():
            steps.append((i + 1, gaps + 1, unbalanced, rows))
        if i + width <= len(run):
            row = run[i : i + width]
            steps.append((i + width, gaps, unbalanced - _balances(row, width), rows + [row]))
        for j, g, u, r in steps:
            if j not in best or (g, u) < best[j][:2]:
                best[j] = (g, u, r, tie)
            elif (g, u) == best[j][:2]:
                best[j] = (*best[j][:3], True)
    end = best.get(len(run))
    return end[2] if end is not None and not end[3] and end[2] else None


def cut_run(run: list[str], context: str | None) -> Cut | None:
    """Cut a run of value cells into rows, or None where its length fits no row shape.

    ``context`` is the table whose section the run stands in (None: unknown): table 二 rows
    are read whole; table 三 rows have seven values; table 四 has fifteen, or blocks of five."""
    if context == "t2" or (context is None and len(run) <= 3):
        return Cut([run])
    widths = {"t3": [T3_WIDTH], "t4": [T4_BLOCK]}.get(context or "", [T3_WIDTH, T4_BLOCK])
    if len(run) == T4_VALUES and context != "t3":
        # fifteen values are table 四, unless (section unknown) two rows of table 三 that add up
        t3 = rows_with_gaps(run, T3_WIDTH) if context is None else None
        if t3 is None or not all(_balances(r, T3_WIDTH) for r in t3):
            return Cut([run])
        return Cut(t3)
    for w in widths:
        if len(run) % w == 0:
            return Cut(_chunks(run, w))
    for w in widths:
        cut = join_split(run, w)
        if cut is not None:
            return cut
    for w in widths:
        rows = rows_with_gaps(run, w)
        if rows is not None:
            return Cut(rows)
    if len(run) == T4_VALUES:
        return Cut([run])  # table 四 under a heading that was not recognised
    return None


def cut_with_edges(lead: int, core: list[str], trail: int, context: str | None) -> Cut:
    """Rule 1: try the run as printed, then with empty lines at its edges as blank cells."""
    for extra_trail in range(trail + 1):
        for extra_lead in range(lead + 1):
            cut = cut_run([""] * extra_lead + core + [""] * extra_trail, context)
            if cut is not None:
                return cut
    return Cut([core], fits=False)


# ------------------------------------------------------------------ the rebuilder


@dataclass
class Rebuilt:
    blocks: list[Block] = field(default_factory=list)
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # (table_id, code, message)


def _is_header(unit: str) -> bool:
    """A bare column heading (总计, 自然人), which labels no row."""
    return not _NUMBERED.match(normalise_text(unit)) and norm_label(unit) in _column_labels()


def rebuild(lines: list[str]) -> Rebuilt:
    """One-cell-per-line text -> paragraphs and tables, by the rules of this module."""
    items: list[tuple[str, list[str]]] = []  # ("row", cells) | ("text", [line])
    notes: list[tuple[str, str, str]] = []
    context: str | None = None
    lines = undouble([ln.strip() for ln in lines])
    t2_layout = t2_layout_of(lines)
    i, n = 0, len(lines)
    pending: list[str] = []
    while i < n:
        if not is_value_line(lines[i]):
            if lines[i]:
                sec = section_of(lines[i])
                if sec is not None:
                    items += [("text", [u]) for u in label_units(pending)]
                    pending = []
                    items.append(("text", [lines[i]]))
                    context = sec if sec in ("t2", "t3", "t4") else None
                else:
                    pending.append(lines[i])
            i += 1
            continue
        # a run of values: value lines and the empty lines among them, up to the next text line
        start = i
        while i < n and (not lines[i] or is_value_line(lines[i])):
            i += 1
        j = i
        while j > start and not lines[j - 1]:
            j -= 1
        run = lines[start:j]
        lead = 0
        # empty lines just before the first value were skipped as text gaps; count them back
        back = start - 1
        while back >= 0 and not lines[back]:
            lead += 1
            back -= 1
        units = label_units(pending)
        pending = []
        for unit in units:  # labels only one table prints tell the table (broken labels joined first)
            hint = _table_of_label().get(norm_label(unit))
            context = hint or context
        label = units.pop() if units and not _is_header(units[-1]) else ""
        items += [("text", [u]) for u in units]
        _emit_run(label, cut_with_edges(lead, run, i - j, context), context, t2_layout, items, notes)
    items += [("text", [u]) for u in label_units(pending)]
    return Rebuilt(_assemble(items), notes)


def _emit_run(label: str, cut: Cut, context: str | None, t2_layout: str | None, items: list, notes: list) -> None:
    """The rows of one run of values; the first takes the label. A run that fits no row shape, and a
    row of table 二 with more values than its columns (a number split over lines, which no total can
    settle), are kept as text, unread, with a ``values_unread`` note: missing, never misread."""
    width = _t2_widths(t2_layout).get(norm_label(label)) if label and context not in ("t3", "t4") else None
    if width is not None and len(cut.rows) == 1 and len(cut.rows[0]) > width:
        notes.append(
            (
                "t2",
                "values_unread",
                f"row {label!r}: {len(cut.rows[0])} values printed for {width} "
                "column(s); a number split over lines cannot be told without a total, so the row is not read",
            )
        )
        items.append(("text", [f"{label}：{'、'.join(cut.rows[0])}"]))
        return
    if not cut.fits:
        table = context if context in ("t3", "t4") else "t3"
        notes.append(
            (
                table,
                "values_unread",
                f"row {label or '(no label)'!r}: {len(cut.rows[0])} values fit no row "
                "of the table (a cell lost, or a split number no total settles); not read",
            )
        )
        items.append(("text", [f"{label}：{'、'.join(cut.rows[0])}"]))
        return
    for r, row in enumerate(cut.rows):
        items.append(("row", [label if r == 0 else "", *row]))
    if cut.joined is not None:
        r, printed = cut.joined
        where = label if label and r == 0 else "(no label)"
        notes.append(
            (
                context or ("t4" if len(cut.rows[r]) == T4_BLOCK else "t3"),
                "digits_joined",
                f"row {where!r}: a number printed over two lines was joined ({printed!r}); the row total confirms it",
            )
        )


def t2_layout_of(lines: list[str]) -> str | None:
    """The layout of table 二 where the text prints more labels only that layout has, else None."""
    text = norm_label("".join(lines))
    hits = {lay: sum(1 for lab in labs if lab and lab in text) for lay, labs in distinctive_labels("t2").items()}
    top = max(hits.values())
    return next(lay for lay, h in hits.items() if h == top) if list(hits.values()).count(top) == 1 else None


@cache
def _t2_widths(layout: str | None) -> dict[str, int]:
    """Normalised label of each row of table 二 -> its number of value columns (None: the widest layout)."""
    out: dict[str, int] = {}
    for lay in (layout,) if layout else LAYOUTS:
        for key in select(lay, "t2", "row"):
            for lab in key.labels:
                out[lab] = max(out.get(lab, 0), len(t2_columns_for(lay, key)))
    return out


def _assemble(items: list[tuple[str, list[str]]]) -> list[Block]:
    """Consecutive rows form a table; every other line is a paragraph (the layout reads
    paragraphs as rows too, so headers kept as paragraphs lose nothing)."""
    blocks: list[Block] = []
    rows: list[list[str]] = []
    n_tables = 0
    for kind, cells in items + [("text", [])]:
        if kind == "row":
            rows.append(cells)
            continue
        if rows:
            blocks.append(Table(rows=rows, index=n_tables, ragged=False))
            n_tables += 1
            rows = []
        if cells:
            blocks.append(Paragraph(cells[0]))
    return blocks


# ------------------------------------------------------------------ detection and the tab form


def looks_like_cell_dump(lines: list[str]) -> bool:
    """A run of seven or more value lines (a row of table 三 or 四; empty lines among them count as
    blank cells), or many lone values."""
    longest = cur = total = 0
    for ln in lines:
        s = ln.strip()
        if is_value_line(s):
            cur += 1
            total += 1
            longest = max(longest, cur)
        elif s:
            cur = 0
        elif cur:
            cur += 1
    return longest >= T3_WIDTH or total >= 3 * T3_WIDTH


def tab_blocks(lines: list[str]) -> list[Block]:
    """Tab-separated text (a browser's copy): tabbed lines are table rows, merged cells written once.

    A text line without tabs that is the first part of the next row's label (broken in its
    cell) is joined to it; other untabbed lines, and tabbed lines without a value (headers, a
    signature beside its date), are paragraphs.
    """
    items: list[tuple[str, list[str]]] = []
    for raw in lines:
        cells = [c.strip() for c in raw.split("\t")]
        if "\t" in raw.strip() and not any(is_value_line(c) for c in cells):
            # a signature or a date beside a name; or a header line, whose merged cells stand once and so
            # do not line up with the value columns: kept as text, it cannot pass for a grid header
            items.append(("text", [" ".join(c for c in cells if c)]))
        elif "\t" in raw.strip():
            if (
                items
                and items[-1][0] == "text"
                and cells
                and cells[0]
                and not is_value_line(cells[0])
                and _continues(items[-1][1][0], cells[0])
            ):
                cells[0] = items.pop()[1][0] + cells[0]
            items.append(("row", cells))
        elif raw.strip():
            items.append(("text", [raw.strip()]))
    return _assemble(items)
