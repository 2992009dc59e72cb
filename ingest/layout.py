"""Map a :class:`Document` onto the template keys of tables t2, t3 and t4.

The mapper never looks at table indexes. It flattens the document into rows
(table rows and paragraph lines alike) and locates each table. The section
headings of ``seeds/section_markers.csv`` are a hint: a table whose rows stand
under its heading is taken from there ("by heading"); otherwise it is found by
its own content wherever it stands, in any order ("by content"): table 三 as the
best run of rows ending in seven values (a run bridges page footers and repeated
headers), table 四 after a header of its own (维持/纠正/尚未审结, 行政复议/行政诉讼),
table 二 as the densest run of rows labelled as its rows. Then:

* t3: takes the rows of its copy that end in seven value cells (numbers or
  printed blanks; where the header prints an extra column or lacks one, the
  columns its header names) and aligns those rows to the template rows of each layout by a
  dynamic-programming alignment that rewards label matches and falls back to
  position where a label is missing. The better-scoring layout wins, so the
  layout is detected per table (a 2021 report may print the 2019 t3).
* t4: reads the fifteen values in order (three blocks of five), by block
  label where the source prints one row per block.
* t2: matches rows by label; the layout comes from the distinctive header
  labels of each layout.

A second full copy of table 三 is compared with the one read: the same numbers
are noted, different ones are an error finding. Every mapped cell keeps its raw
text and its source position; how each table was located and each row matched
(label, variant, position) is recorded for ``xxgk inspect``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from .model import Document, Paragraph, Table
from .numbers import ParsedCell, cell_kind, is_value_like, parse_cell
from .template import (
    Key,
    distinctive_labels,
    layout_for,
    norm_label,
    section_markers,
    seed_cache,
    select,
    shape,
    t2_columns_for,
    table_layouts,
)


def _t3_cols() -> int:
    """Value columns of table 三 (seed layouts)."""
    return shape("t3").n_columns


# ---------------------------------------------------------------- tolerances
# Label similarity is 0..1 (:func:`_similarity`); these are the bars a printed label must clear.
EXACT_LABEL = 0.999  # at or above: the label is the template's own ("label"); below: a "variant"
MIN_LABEL_SIMILARITY = 0.8  # a row of table 二 matches a template row (and is evidence of table 二)
MIN_COLUMN_SIMILARITY = 0.85  # a header cell names a column of table 三
MIN_BLOCK_SIMILARITY = 0.6  # a row of table 四 names its block (行政复议, 行政诉讼 …)
SAME_LABEL_SIMILARITY = 0.9  # a t3 label is its template row (fast path), a group heading, or the first row again
MIN_VARIANT_SIMILARITY = 0.5  # below: a t3 row is matched by position, not by its label
CONTAINED_BASE, CONTAINED_WEIGHT = 0.55, 0.4  # a label inside the other scores base + weight x length share
# Alignment of value rows to the template rows of table 三 (dynamic programming scores).
SKIP_VALUE_ROW, SKIP_TEMPLATE_ROW = -1.0, -1.2  # a value row left out; a template row left without a value row
NEUTRAL_MATCH = 0.5  # an unlabelled (or group-labelled) row placed by position
MATCH_WEIGHT, MATCH_OFFSET = 2.0, 0.6  # a labelled row scores weight x similarity - offset
ROW_COUNT_BONUS = 0.25  # the layout whose row count the table has wins a tie
# Sizes of text, in characters.
MAX_TRAILING_LABEL = 30  # a paragraph "label 1 2 3" is a row of values only with a label this short
MAX_HEADING_CELL, MAX_HEADING = 60, 40  # a heading's one cell, and its text without spaces
MAX_T4_ANCHOR = 40  # a line of text (or a label) longer than this is not the header of table 四
MIN_T4_RESULT_WORDS = 2  # result columns (维持, 纠正 …) a header of table 四 names
MIN_T3_HEADER_HITS = 3  # header cells that must name columns of table 三
T4_REACH = 16  # rows after a header of table 四 searched for its values


@dataclass
class Row:
    """One row of the flattened document: a table row or a paragraph line."""

    cells: list[str]
    table: int | None  # source table index, None for a paragraph
    row: int  # row within the table, or block index for a paragraph
    cols: list[int]  # source grid column of each cell
    ragged: bool
    covered: list[bool] | None = None  # cell repeats a merged cell to its left or above

    @property
    def text(self) -> str:
        """The row's distinct non-empty cells joined (kept once read: rows are read many times)."""
        text = self.__dict__.get("_text")
        if text is None:
            cells = self.cells
            text = cells[0] if len(cells) == 1 else "".join(dict.fromkeys(filter(None, cells)))
            self.__dict__["_text"] = text
        return text


@dataclass
class Cell:
    table_id: str
    layout: str
    row_key: str
    col_key: str
    parsed: ParsedCell
    src_table: int | None
    src_row: int
    src_col: int
    match: str


@dataclass
class RowMatch:
    table_id: str
    layout: str
    row_key: str
    label: str
    method: str  # label | variant | position
    score: float
    src_table: int | None
    src_row: int


@dataclass
class Mapping:
    cells: list[Cell] = field(default_factory=list)
    layouts: dict[str, str] = field(default_factory=dict)  # table_id -> layout
    rows: list[RowMatch] = field(default_factory=list)
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # (table_id, code, message)
    regions: dict[str, tuple[int, int]] = field(default_factory=dict)
    headings: dict[str, list[int]] = field(default_factory=dict)  # section -> rows standing as its heading
    located: dict[str, str] = field(default_factory=dict)  # table_id -> "heading" | "content": how its rows were found
    copies: dict[str, int] = field(default_factory=dict)  # table_id -> copies of the table the document prints

    def merge(self, other: Mapping) -> None:
        """Take the cells, rows, notes, layouts, how tables were located and their copies from a mapping
        made for one table."""
        self.cells += other.cells
        self.rows += other.rows
        self.notes += other.notes
        self.layouts.update(other.layouts)
        self.located.update(other.located)
        self.copies.update(other.copies)


# ---------------------------------------------------------------- flattening

_TRAILING_NUMS = re.compile(r"^(?P<label>.*?[^\d\s.,-])\s+(?P<nums>[-\d.,\s]+)$")


def flatten(doc: Document) -> list[Row]:
    rows: list[Row] = []
    for bi, block in enumerate(doc.blocks):
        if isinstance(block, Table):
            for ri, cells in enumerate(block.rows):
                cov = block.covered[ri] if block.covered else None
                own = [c or "" for c in cells] if None in cells else list(cells)
                rows.append(Row(own, block.index, ri, list(range(len(cells))), block.ragged, cov))
        elif isinstance(block, Paragraph):
            text = block.text  # normalised when the Document was made
            last = text[-1:]  # the pattern ends in a digit, one of ".,-" or a space: most lines do not
            m = _TRAILING_NUMS.match(text) if last.isdecimal() or last in ".,-" or last.isspace() else None
            cells = [text]
            if m and len(m.group("label")) <= MAX_TRAILING_LABEL:  # "行政许可 0" in text extracted from tables
                cells = [m.group("label").strip(), *m.group("nums").split()]
            rows.append(Row(cells, None, bi, list(range(len(cells))), True))
    return rows


def _heading_text(row: Row) -> str | None:
    """The text of a row that could be a section heading: one distinct non-empty cell, short."""
    filled = None
    for c in row.cells:
        if c.strip() and c != filled:
            if filled is not None:
                return None
            filled = c
    if filled is None or len(filled) > MAX_HEADING_CELL:
        return None
    text = filled.replace(" ", "")
    return text if len(text) <= MAX_HEADING else None


APPENDIX = "appendix"  # the marker of table and appendix titles: not a section of its own


def heading_hits(rows: list[Row]) -> dict[str, list[int]]:
    """Every row that stands as the heading of each section (s2 … s6), in order."""
    hits: dict[str, list[int]] = {sec: [] for sec in section_markers() if sec != APPENDIX}
    for i, row in enumerate(rows):
        text = _heading_text(row)
        if text is not None and (sec := _heading_section(text)) is not None:
            hits[sec].append(i)
    return hits


@seed_cache(maxsize=8192)
def _heading_section(text: str) -> str | None:
    """The section (s2 … s6) whose heading pattern a heading's text matches first, if any (cached per text)."""
    for sec, pat in section_markers().items():
        if sec != APPENDIX and pat.search(text):
            return sec
    return None


def heading_regions(rows: list[Row], hits: dict[str, list[int]] | None = None) -> dict[str, tuple[int, int]]:
    """Row ranges between the section headings that stand (first match of each): t2, t3, t4, s5, s6.

    A range is only a hint for the tables: tables printed elsewhere are located by their content."""
    hits = heading_hits(rows) if hits is None else hits
    found = {sec: idx[0] for sec, idx in hits.items() if idx}
    order = sorted(found.items(), key=lambda kv: kv[1])
    out: dict[str, tuple[int, int]] = {}
    for n, (sec, start) in enumerate(order):
        end = order[n + 1][1] if n + 1 < len(order) else len(rows)
        out[sec] = (start + 1, end)
    table_of = {"s2": "t2", "s3": "t3", "s4": "t4"}
    return {table_of.get(k, k): v for k, v in out.items()}


def _clusters(idx: list[int], max_gap: int) -> list[tuple[int, int]]:
    """Runs of row indexes no more than ``max_gap`` rows apart, as (first, last + 1)."""
    out: list[tuple[int, int]] = []
    for i in idx:
        if out and i - out[-1][1] < max_gap:
            out[-1] = (out[-1][0], i + 1)
        else:
            out.append((i, i + 1))
    return out


# ---------------------------------------------------------------- label similarity


@lru_cache(maxsize=65536)
def _similarity(label: str, key: Key) -> float:
    """How well a printed label matches a template key's label or variants, 0..1 (cached: labels repeat)."""
    lab = norm_label(label)
    return _label_score(lab, key, _sequence_ratio) if lab else 0.0


def _sequence_ratio(lab: str, cand: str) -> float:
    return difflib.SequenceMatcher(None, lab, cand).ratio()


def _length_bound(lab: str, cand: str) -> float:
    """The most :func:`_sequence_ratio` can be, from lengths alone (twice the shorter over both)."""
    return 2 * min(len(lab), len(cand)) / (len(lab) + len(cand))


def _label_score(lab: str, key: Key, ratio: Callable[[str, str], float]) -> float:
    """The best of the key's labels for the normalised label ``lab``: 1 for an equal one, a containment
    score, else ``ratio`` of the two."""
    best = 0.0
    for cand in key.labels:
        if lab == cand:
            return 1.0
        short, long_ = sorted((lab, cand), key=len)
        if len(short) >= 2 and short in long_:
            best = max(best, CONTAINED_BASE + CONTAINED_WEIGHT * len(short) / len(long_))
        best = max(best, ratio(lab, cand))
    return best


# ---------------------------------------------------------------- t3


@dataclass
class ValueRow:
    label_cells: list[str]
    values: list[tuple[str, int]]  # (raw text, source column)
    src: Row
    joined_at: int | None = None  # value index rebuilt from a number split over two cells
    keys: list[str] | None = None  # column key of each value where a header decided them (extra or missing columns)
    extra: int = 0  # columns of the header that are not template columns (left out)

    at: int = -1  # index of the source row among the flattened rows

    @property
    def label(self) -> str:
        """The last non-blank label cell."""
        for c in reversed(self.label_cells):
            if c.strip():
                return c
        return ""


def _grid_value_cols(rows: list[Row]) -> dict[int, int]:
    """For grid tables: the last used column of each table (all-empty trailing columns dropped)."""
    last: dict[int, int] = {}
    for r in rows:
        if r.table is None or r.ragged:
            continue
        before = last.get(r.table, -1)
        for c, text in zip(
            reversed(r.cols), reversed(r.cells)
        ):  # grid columns ascend: the last filled cell is the row's maximum
            if c <= before:
                break
            if text.strip():
                last[r.table] = c
                break
    return last


def _split_values(row: Row, n: int, last_col: dict[int, int]) -> ValueRow | None:
    """Split a row into labels and its last ``n`` value cells, or None if it does not end in n values."""
    texts = row.cells
    if len(texts) < n:  # too few cells, before any is read
        return None
    if len(row.cols) < len(texts):  # cells without a column are not read
        texts = texts[: len(row.cols)]
    if row.ragged or row.table is None:
        end = len(texts)
        while end and not texts[end - 1].strip():
            end -= 1
    else:
        end = len(texts[: last_col.get(row.table, len(texts) - 1) + 1])
    if end < n:
        return None
    all_values, all_blank, words = True, True, 0
    for t in texts[end - n : end]:
        vl, word, _, blank = cell_kind(t)
        all_blank = all_blank and blank
        if not vl:
            if not word:  # neither a value nor a count in words
                return None
            all_values = False
        words += word
    # a count or two written in words (十四) keeps its row: the cell is read as unreadable, not dropped
    if not all_values and (not words or words > n // 3):
        return None
    # labels must not hold numbers: a longer run of values belongs to another table
    for t in texts[: end - n]:
        if cell_kind(t)[2]:
            return None
    values = list(zip(texts[end - n : end], row.cols[end - n : end]))
    label_cells = list(dict.fromkeys(s for t in texts[: end - n] if (s := t.strip())))
    if all_blank:
        # An all-blank row is data only if it is labelled and its blanks are real cells, not merged header space.
        covered = row.covered or []
        if not label_cells or any(covered[c] for _, c in values if c < len(covered)):
            return None
    return ValueRow(label_cells, values, row)


def _join_split_number(row: Row, n: int, last_col: dict[int, int]) -> ValueRow | None:
    """A row with one value cell too many, where a number was split over two cells (``20 | 23``).

    Joining two neighbours is accepted only when exactly one join makes the row's own total
    (the last value) equal the sum of the others, so the source's arithmetic decides, not a guess.
    """
    vr = _split_values(row, n + 1, last_col)
    if vr is None or not all(t.strip().isdigit() for t, _ in vr.values):
        return None
    fits = []
    for k in range(n):
        vals = (
            vr.values[:k]
            + [(f"{vr.values[k][0].strip()} {vr.values[k + 1][0].strip()}", vr.values[k][1])]
            + vr.values[k + 2 :]
        )
        nums = [parse_cell(t).value for t, _ in vals]
        if sum(nums[:-1]) == nums[-1]:
            fits.append((k, vals))
    if len(fits) != 1:
        return None
    k, vals = fits[0]
    return ValueRow(vr.label_cells, vals, row, joined_at=k)


@seed_cache(maxsize=32768)
def _label_profile(label: str, layout: str) -> tuple[tuple[float, ...], bool]:
    """Similarity of a printed t3 label to each template row of a layout, and whether it is neutral
    (no label, or only a group heading such as （五）不予处理: then position decides). Cached per label."""
    if not label:
        return tuple(0.0 for _ in select(layout, "t3", "row")), True
    sims = tuple(_similarity(label, k) for k in select(layout, "t3", "row"))
    gbest = max((_similarity(label, g) for g in select(layout, "t3", "group")), default=0.0)
    return sims, gbest >= SAME_LABEL_SIMILARITY and gbest > max(sims)


def _align(vrows: list[ValueRow], layout: str) -> tuple[float, list[tuple[int, int, str, float]]]:
    """Order-preserving alignment of value rows to the layout's t3 rows; returns (score, [(vi, tj, method, sim)])."""
    m = len(select(layout, "t3", "row"))
    n = len(vrows)
    SKIP_V, SKIP_T = SKIP_VALUE_ROW, SKIP_TEMPLATE_ROW
    profiles = [_label_profile(vr.label, layout) for vr in vrows]
    sims = [p[0] for p in profiles]
    neutral = [p[1] for p in profiles]

    def match_score(i: int, j: int) -> float:
        return NEUTRAL_MATCH if neutral[i] else MATCH_WEIGHT * sims[i][j] - MATCH_OFFSET

    def method(i: int, j: int) -> str:
        s = sims[i][j]
        return "position" if neutral[i] or s < MIN_VARIANT_SIMILARITY else ("label" if s >= EXACT_LABEL else "variant")

    # Fast path: one value row per template row, each labelled as expected or unlabelled.
    if n == m and all(neutral[i] or sims[i][i] >= SAME_LABEL_SIMILARITY for i in range(n)):
        return sum(match_score(i, i) for i in range(n)), [(i, i, method(i, i), sims[i][i]) for i in range(n)]

    NEG = float("-inf")
    dp = [[NEG] * (m + 1) for _ in range(n + 1)]
    bt: list[list[tuple[int, int] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    dp[0][0] = 0.0
    for i in range(n + 1):
        here, bt_here = dp[i], bt[i]
        # each cell tries, in order: a match (down-right), a value row left out (down), a template row left out
        if i < n:
            below, bt_below = dp[i + 1], bt[i + 1]
            scores = [NEUTRAL_MATCH] * m if neutral[i] else [MATCH_WEIGHT * x - MATCH_OFFSET for x in sims[i]]
        for j in range(m + 1):
            cur = here[j]
            if cur == NEG:
                continue
            if i < n:
                if j < m and (s := cur + scores[j]) > below[j + 1]:
                    below[j + 1], bt_below[j + 1] = s, (i, j)
                if (s := cur + SKIP_V) > below[j]:
                    below[j], bt_below[j] = s, (i, j)
            if j < m and (s := cur + SKIP_T) > here[j + 1]:
                here[j + 1], bt_here[j + 1] = s, (i, j)
    pairs: list[tuple[int, int, str, float]] = []
    i, j = n, m
    while (i, j) != (0, 0):
        pi, pj = bt[i][j]
        if pi == i - 1 and pj == j - 1:
            pairs.append((pi, pj, method(pi, pj), sims[pi][pj]))
        i, j = pi, pj
    pairs.reverse()
    return dp[n][m], pairs


BOUND_MARGIN = 1e-9  # far above the rounding of a sum of scores, far below any difference of two alignments


def _align_bound(vrows: list[ValueRow], layout: str) -> float:
    """The most :func:`_align` can score: every value row at its best match (or left out), and the template
    rows that no value row can fill left out."""
    m = len(select(layout, "t3", "row"))
    total = 0.0
    for vr in vrows:
        sims, neutral = _label_profile(vr.label, layout)
        best = NEUTRAL_MATCH if neutral else max((MATCH_WEIGHT * x - MATCH_OFFSET for x in sims), default=NEUTRAL_MATCH)
        total += max(best, SKIP_VALUE_ROW)
    return total + SKIP_TEMPLATE_ROW * max(0, m - len(vrows))  # the fewest template rows left out


def _best_alignment(vrows: list[ValueRow]) -> tuple[float, str, list[Key], list[tuple[int, int, str, float]]]:
    """The better of the two layouts' alignments: (score, layout, template rows, pairs)."""
    best = None
    # Try the layout whose row count fits first; a full match on every label settles it.
    order = sorted(table_layouts("t3"), key=lambda lay: len(select(lay, "t3", "row")) != len(vrows))
    for layout in order:
        tkeys = select(layout, "t3", "row")
        # the row count is the tie-breaker (seed layouts: 25 rows for 2021, 23 for 2019)
        bonus = ROW_COUNT_BONUS if len(vrows) == len(tkeys) else 0.0
        if best is not None and layout == order[-1] and _align_bound(vrows, layout) + bonus + BOUND_MARGIN < best[0]:
            break  # the last layout cannot score higher: its alignment is not needed
        score, pairs = _align(vrows, layout)
        cand = (score + bonus, layout, tkeys, pairs)
        if best is None or cand[0] > best[0]:
            best = cand
        if len(pairs) == len(tkeys) == len(vrows) and all(p[2] == "label" for p in pairs):
            break
    return best


def map_t3(vrows: list[ValueRow], mapping: Mapping, aligned=None) -> None:
    """Map value rows onto the t3 rows of the better layout (``aligned``: that alignment, when known)."""
    if not vrows:
        mapping.notes.append(("t3", "table_missing", "no row of table 三 with seven value cells was found"))
        return
    _, layout, tkeys, pairs = aligned or _best_alignment(vrows)
    mapping.layouts["t3"] = layout
    col_keys = [c.key for c in select(layout, "t3", "column")]
    matched_v = {p[0] for p in pairs}
    add = mapping.cells.append
    for vi, tj, method, sim in pairs:
        vr, key = vrows[vi], tkeys[tj]
        table, row = vr.src.table, vr.src.row
        mapping.rows.append(RowMatch("t3", layout, key.key, vr.label, method, sim, table, row))
        for col, (raw, src_col) in zip(vr.keys or col_keys, vr.values):
            add(Cell("t3", layout, key.key, col, parse_cell(raw), table, row, src_col, method))
    for vi, vr in enumerate(vrows):
        if vr.joined_at is not None:
            mapping.notes.append(
                (
                    "t3",
                    "digits_joined",
                    f"row {vr.label or '(no label)'!r}: a number split over two cells "
                    f"was joined ({vr.values[vr.joined_at][0]!r}); the row total confirms it",
                )
            )
        if vi not in matched_v:
            mapping.notes.append(
                (
                    "t3",
                    "row_unmapped",
                    f"row {vr.label or '(no label)'!r} at table {vr.src.table} row {vr.src.row} matched no template row",
                )
            )
    matched_t = {p[1] for p in pairs}
    missing = [k.key for j, k in enumerate(tkeys) if j not in matched_t]
    if missing:
        mapping.notes.append(("t3", "rows_missing", "template rows not found: " + ", ".join(missing)))


# ---------------------------------------------------------------- t3: located by content

T3_GAP = 12  # rows between two value rows of one copy of table 三 (page footers, repeated headers)
T3_PAGE_GAP = 3 * T3_GAP  # rows between the halves of a copy broken over pages (one that never starts over)
MIN_COPY_ROWS = 5  # value rows a run needs to count as a copy of table 三


@dataclass
class ColumnMap:
    """Columns of table 三 decided by its printed header, where it prints more or fewer than seven."""

    keys: list[str | None]  # per value column: template column key, None for a column the template lacks
    cols: list[int] | None  # grid tables: the source column of each value column; None for ragged tables


def _similarity_bound(lab: str, key: Key) -> float:
    """An upper bound of :func:`_similarity` for the normalised label ``lab``, from lengths alone."""
    return _label_score(lab, key, _length_bound)


@seed_cache(maxsize=8192)
def _col_key(label: str) -> str | None:
    lab = norm_label(label)
    if not lab:
        return None
    keys = list({k.key: k for lay in table_layouts("t3") for k in select(lay, "t3", "column")}.values())
    if all(_similarity_bound(lab, k) < MIN_COLUMN_SIMILARITY for k in keys):
        return None  # no column comes near: a title or a date, not a column label
    best = max(keys, key=lambda k: _similarity(label, k))
    return best.key if _similarity(label, best) >= MIN_COLUMN_SIMILARITY else None


def _has_number(row: Row) -> bool:
    return any(cell_kind(c)[2] for c in row.cells)


def _header_rows(rows: list[Row]) -> list[Row]:
    """The rows of one table above its first number, if they print column labels of table 三."""
    head = []
    for r in rows:
        if _has_number(r):
            break
        head.append(r)
    hits = {k for r in head for c in r.cells if (k := _col_key(c))}
    return head if len(hits) >= MIN_T3_HEADER_HITS else []


def _column_map(rows: list[Row], head: list[Row]) -> ColumnMap | None:
    """The column map of one source table of table 三 from its header rows, when the header prints other
    than the seven template columns (an extra column, or one missing). None: the standard seven, or no header."""
    if not head:
        return None
    if rows[0].ragged or rows[0].table is None:
        leaves: list[str] = []
        for n, r in enumerate(head):
            if not any(_col_key(c) == "natural_person" for c in r.cells):
                continue
            below = [c for c in head[n + 1].cells if c.strip()] if n + 1 < len(head) else []
            for c in (c for c in r.cells if c.strip()):
                leaves += below if "法人" in c and below else [c]
            break
        keys = [_col_key(c) for c in leaves]
        while keys and keys[0] is None:  # the header of the label column
            keys.pop(0)
        return ColumnMap(keys, None) if _plausible(keys) else None
    width = max(len(r.cells) for r in head)
    labels = []
    for c in range(width):
        lab = ""
        for r in head:
            if c < len(r.cells) and r.cells[c].strip():
                lab = r.cells[c]
        labels.append(lab)
    keys = [_col_key(lab) for lab in labels]
    first = next((c for c, k in enumerate(keys) if k), None)
    if first is None:
        return None
    cols = [c for c in range(first, width) if keys[c] or labels[c].strip()]
    return ColumnMap([keys[c] for c in cols], cols) if _plausible([keys[c] for c in cols]) else None


def _plausible(keys: list[str | None]) -> bool:
    """A header worth following: other than seven columns, most template columns named, each once."""
    named = [k for k in keys if k]
    return len(keys) != _t3_cols() and len(named) >= _t3_cols() - 2 and len(set(named)) == len(named)


def _split_by_header(row: Row, cm: ColumnMap) -> ValueRow | None:
    """A value row of a table whose header decided its columns; columns the template lacks are left out."""
    if cm.cols is None:
        cells = list(zip(row.cells, row.cols))
        while cells and not cells[-1][0].strip():
            cells.pop()
        n = len(cm.keys)
        if len(cells) < n:
            return None
        vals, labels = cells[-n:], cells[:-n]
    else:
        if max(cm.cols) >= len(row.cells):
            return None
        vals = [(row.cells[c], c) for c in cm.cols]
        labels = [(row.cells[c], c) for c in range(min(cm.cols))]
    values = [v for v, k in zip(vals, cm.keys) if k]
    if not values or not all(is_value_like(t) for t, _ in values):
        return None
    if any(parse_cell(t).value is not None for t, _ in labels):
        return None
    label_cells = list(dict.fromkeys(t.strip() for t, _ in labels if t.strip()))
    if not label_cells and all(parse_cell(t).is_blank for t, _ in values):
        return None
    return ValueRow(label_cells, values, row, keys=[k for k in cm.keys if k], extra=sum(1 for k in cm.keys if not k))


def _t3_value_rows(rows: list[Row], last_col: dict[int, int]) -> list[ValueRow]:
    """Every row of the document that reads as a row of table 三, with its flattened index."""
    by_table: dict[int, list[Row]] = {}
    for r in rows:
        if r.table is not None:
            by_table.setdefault(r.table, []).append(r)
    heads = {t: _header_rows(rs) for t, rs in by_table.items()}
    maps = {t: _column_map(rs, heads[t]) for t, rs in by_table.items()}
    headed = {t for t, head in heads.items() if head}
    out: list[ValueRow] = []
    current: ColumnMap | None = None
    table = None
    n = _t3_cols()
    for i, r in enumerate(rows):
        if r.table is not None and r.table != table:
            table = r.table
            if table in headed:  # a table without a header of its own continues the one before
                current = maps[table]
        vr = None
        if current is not None and r.table is not None:
            vr = _split_by_header(r, current)
        vr = vr or _split_values(r, n, last_col) or _join_split_number(r, n, last_col)
        if vr:
            vr.at = i
            out.append(vr)
    return out


def t3_copies(rows: list[Row], last_col: dict[int, int]) -> list[list[ValueRow]]:
    """Runs of value rows of table 三 wherever they stand. A run continues across a few rows of other
    text (page footers, a repeated header) and restarts where the first template row comes again."""
    fewest = min(len(select(lay, "t3", "row")) for lay in table_layouts("t3"))
    copies: list[list[ValueRow]] = []
    for vr in _t3_value_rows(rows, last_col):
        run = copies[-1] if copies else None
        starts_over = _is_first_t3_row(vr.label)
        if run is not None and not (starts_over and len(run) >= MIN_COPY_ROWS):
            gap = vr.at - run[-1].at
            # a table broken over pages may have more between its halves; it never starts over
            near = gap <= T3_GAP or (gap <= T3_PAGE_GAP and not starts_over and len(run) < fewest)
        else:
            near = False
        if near:
            run.append(vr)
        else:
            copies.append([vr])
    return copies


@seed_cache(maxsize=8192)
def _is_first_t3_row(label: str) -> bool:
    """A printed label that is the first template row of table 三 in some layout (cached per label)."""
    firsts = {select(lay, "t3", "row")[0] for lay in table_layouts("t3")}
    return any(_similarity(label, first) >= SAME_LABEL_SIMILARITY for first in firsts)


def _cell_values(m: Mapping) -> dict[tuple[str, str], tuple[float | None, bool]]:
    return {(c.row_key, c.col_key): (c.parsed.value, c.parsed.is_blank) for c in m.cells}


def locate_t3(
    rows: list[Row], hint: tuple[int, int] | None, last_col: dict[int, int]
) -> tuple[Mapping, tuple[int, int] | None]:
    """Map table 三 from the copy its heading points at, else from the best copy found by content.
    Further full copies are compared with it: the same numbers are noted, different ones are an error."""
    m = Mapping()
    copies = t3_copies(rows, last_col)
    full = [c for c in copies if len(c) >= MIN_COPY_ROWS] or copies
    if not full:
        map_t3([], m)
        return m, None
    aligned = [_best_alignment(c) for c in full] if len(full) > 1 else [None]
    scored = [(a[0] if a else 0.0, n) for n, a in enumerate(aligned)]
    under = [sn for sn in scored if hint and any(hint[0] <= vr.at < hint[1] for vr in full[sn[1]])]
    _, pick = max(under or scored, key=lambda sn: (sn[0], -sn[1]))  # equal copies: the first
    chosen = full[pick]
    map_t3(chosen, m, aligned[pick])
    headed = next((vr for vr in chosen if vr.keys), None)
    if headed:
        cols = [c.key for c in select(m.layouts["t3"], "t3", "column")]
        lost = [c for c in cols if c not in headed.keys]
        if lost:
            m.notes.append(
                ("t3", "columns_missing", "table 三 prints no column " + ", ".join(lost) + "; its cells were not read")
            )
        if headed.extra:
            m.notes.append(
                (
                    "t3",
                    "extra_columns",
                    f"table 三 prints {headed.extra} column(s) the template lacks; "
                    "the columns were matched by their headers and the extra ones left out",
                )
            )
    m.located["t3"] = "heading" if under else "content"
    m.copies["t3"] = len(full)
    mine = None
    for n, other in enumerate(full):
        if n == pick or len(other) < MIN_COPY_ROWS:
            continue
        mine = mine or _cell_values(m)
        om = Mapping()
        map_t3(other, om, aligned[n])
        theirs = _cell_values(om)
        diff = sorted(k for k in mine.keys() & theirs.keys() if mine[k] != theirs[k])
        where = (
            f"table {other[0].src.table} row {other[0].src.row}"
            if other[0].src.table is not None
            else f"line {other[0].src.row}"
        )
        if diff:
            shown = ", ".join(f"{r}/{c}" for r, c in diff[:5]) + (" …" if len(diff) > 5 else "")
            m.notes.append(
                (
                    "t3",
                    "conflicting_copies",
                    f"another copy of table 三 ({where}) prints different numbers in "
                    f"{len(diff)} cells ({shown}); the copy at table {chosen[0].src.table} row {chosen[0].src.row} was read",
                )
            )
        else:
            m.notes.append(("t3", "duplicate_copy", f"table 三 is printed again ({where}) with the same numbers"))
    return m, (chosen[0].at, chosen[-1].at + 1)


# ---------------------------------------------------------------- t4


def _t4_anchor(row: Row) -> bool:
    """A row that reads as the header of table 四 (its result columns, or its two proceedings)."""
    text = row.text
    if (row.table is None and len(text) > MAX_T4_ANCHOR) or not ("复议" in text or "维持" in text or "审结" in text):
        return False
    return _t4_header_text(text)


@lru_cache(maxsize=4096)
def _t4_header_text(text: str) -> bool:
    """Text that names the result columns of table 四, or its two proceedings (cached: headers recur)."""
    t = norm_label(text)
    results = sum(1 for w in ("维持", "纠正", "其他结果", "尚未审结") if w in t)
    return results >= MIN_T4_RESULT_WORDS or ("行政复议" in t and "行政诉讼" in t and len(t) <= MAX_T4_ANCHOR)


def locate_t4(
    rows: list[Row],
    hint: tuple[int, int] | None,
    taken: tuple[int, int] | None,
    last_col: dict[int, int],
    end_hint: int,
    year_hint: int | None = None,
) -> tuple[Mapping, tuple[int, int] | None]:
    """Map table 四 under its heading, else after a header of its own, else right after table 三."""
    layout = layout_for("t4", year_hint)
    spans: list[tuple[tuple[int, int], str]] = []
    if hint:
        spans.append((hint, "heading"))
    for i, r in enumerate(rows):
        if _t4_anchor(r) and not (taken and taken[0] <= i < taken[1]):
            stop = taken[0] if taken and taken[0] > i else len(rows)
            spans.append(((i, min(stop, i + T4_REACH)), "content"))
    if taken:
        spans.append(((taken[1], max(end_hint, taken[1])), "content"))
    for span, how in spans:
        m = Mapping()
        map_t4(rows, span, m, last_col, layout)
        if m.cells:
            m.located["t4"] = how
            used = {(c.src_table, c.src_row) for c in m.cells}
            at = [i for i in range(*span) if (rows[i].table, rows[i].row) in used]
            start, table = at[0], rows[at[0]].table
            # the span starts at the table's header, not at an earlier line naming the proceedings
            while start > span[0] and (
                _t4_anchor(rows[start - 1]) or (table is not None and rows[start - 1].table == table)
            ):
                start -= 1
            return m, (start, at[-1] + 1)
    m = Mapping()
    map_t4(rows, hint or (0, 0), m, last_col, layout)
    return m, None


def map_t4(
    rows: list[Row], span: tuple[int, int], mapping: Mapping, last_col: dict[int, int], layout: str | None = None
) -> None:
    """Read table 四 in one layout (seed layouts: one for every year): its blocks in order, by label where printed."""
    layout = layout or shape("t4").layout
    region = rows[span[0] : span[1]]
    blocks = select(layout, "t4", "row")
    cols = select(layout, "t4", "column")
    n_values = len(blocks) * len(cols)
    values: list[tuple[str, int, Row]] = []
    labelled: dict[str, list[tuple[str, int, Row]]] = {}
    for r in region:
        for n in (n_values, len(cols)):
            vr = _split_values(r, n, last_col)
            if vr:
                break
        if not vr:
            continue
        vals = [(t, c, r) for t, c in vr.values]
        if len(vals) == len(cols) and vr.label:
            best = max(blocks, key=lambda k: _similarity(vr.label, k))
            if _similarity(vr.label, best) >= MIN_BLOCK_SIMILARITY and best.key not in labelled:
                labelled[best.key] = vals
                continue
        values.extend(vals)
        if len(values) >= n_values:
            break
    mapping.layouts["t4"] = layout
    if labelled:
        seq = [(k, labelled.get(k.key)) for k in blocks]
        rest = iter([values[i : i + len(cols)] for i in range(0, len(values), len(cols))])
        seq = [(k, v if v is not None else next(rest, None)) for k, v in seq]
        method = "label"
    else:
        if len(values) < n_values:
            if values:
                mapping.notes.append(
                    ("t4", "values_missing", f"table 四 has {len(values)} of {n_values} values; not mapped")
                )
            else:
                mapping.notes.append(("t4", "table_missing", "no row of table 四 with its values was found"))
            return
        seq = [(k, values[i * len(cols) : (i + 1) * len(cols)]) for i, k in enumerate(blocks)]
        method = "position"
    for key, vals in seq:
        if not vals:
            mapping.notes.append(("t4", "rows_missing", f"block {key.key} not found"))
            continue
        mapping.rows.append(
            RowMatch("t4", layout, key.key, key.label_zh, method, 1.0, vals[0][2].table, vals[0][2].row)
        )
        for col, (raw, src_col, r) in zip(cols, vals):
            mapping.cells.append(Cell("t4", layout, key.key, col.key, parse_cell(raw), r.table, r.row, src_col, method))


# ---------------------------------------------------------------- t2


def _dedupe_spans(row: Row) -> list[tuple[str, int]]:
    """Collapse consecutive identical cells of grid tables (one merged cell repeated by span resolution)."""
    if not row.covered:
        out = list(zip(row.cells, row.cols))
    else:
        out = []
        for text, col, cov in zip(row.cells, row.cols, row.covered):
            if cov and out and text == out[-1][0]:
                continue  # a colspan copy of the cell to its left
            out.append((text, col))
    while out and not out[-1][0].strip():
        out.pop()
    return out


def _t2_row(r: Row) -> tuple[str, list[tuple[str, int]]] | None:
    """(label, value cells) of a row that has the shape of a row of table 二: label cells, then values."""
    if len(r.cells) < 2:  # a line of text: no label and value
        return None
    cells = _dedupe_spans(r)
    while cells and not cells[0][0].strip():  # an empty layout column before the label
        cells.pop(0)
    if len(cells) < 2:
        return None
    if not cell_kind(cells[-1][0])[0]:  # the last cell is a value, if any is
        return None
    label_cells = []
    for text, _ in cells:
        if cell_kind(text)[0]:
            break
        label_cells.append(text)
    vals = cells[len(label_cells) :]
    label = "".join(t for t in label_cells if t.strip())
    if not label or not vals:
        return None
    for t, _ in vals:
        if not cell_kind(t)[0]:
            return None
    return label, vals


def _t2_evidence(r: Row) -> bool:
    lv = _t2_row(r)
    return lv is not None and _t2_label(lv[0])


@seed_cache(maxsize=8192)
def _t2_label(label: str) -> bool:
    """A printed label that names a row of table 二 in some layout (cached per label)."""
    return any(
        _similarity(label, k) >= MIN_LABEL_SIMILARITY for lay in table_layouts("t2") for k in select(lay, "t2", "row")
    )


T2_GAP = 6  # rows between two rows of table 二 (the header rows of its article parts)


def locate_t2(
    rows: list[Row], hint: tuple[int, int] | None, taken: list[tuple[int, int]], year_hint: int | None
) -> tuple[Mapping, tuple[int, int] | None]:
    """Map table 二 under its heading when its rows stand there, else from the densest run of its rows."""
    out = {i for a, b in taken for i in range(a, b)}  # rows of tables located before
    idx = [i for i, r in enumerate(rows) if i not in out and _t2_evidence(r)]
    runs = _clusters(idx, T2_GAP)
    count = {run: sum(1 for i in idx if run[0] <= i < run[1]) for run in runs}
    best = max(runs, key=lambda run: count[run], default=None)
    m = Mapping()

    def with_header(run: tuple[int, int]) -> tuple[int, int]:
        """A run with the header rows above its first value row (they name the layout's columns)."""
        floor = max([b for a, b in taken if b <= run[0]], default=0)
        return max(floor, run[0] - 3), run[1]

    under = hint and best is not None and best[0] < hint[1] and best[1] > hint[0]
    if best is None or (hint and not under and count[best] < 2):
        map_t2(rows, hint or (0, 0), m, year_hint)
        if hint and m.cells:
            m.located["t2"] = "heading"
        return m, hint
    span = hint if under else with_header(best)
    # other runs of two or more rows are parts of the table printed elsewhere (a split table, an appendix)
    more = [with_header(run) for run in runs if count[run] >= 2 and not (run[0] < span[1] and run[1] > span[0])]
    map_t2(rows, span, m, year_hint, more)
    m.located["t2"] = "heading" if under else "content"
    return m, span


def detect_t2_layout(region: list[Row], year_hint: int | None) -> tuple[str, str]:
    text = norm_label("".join(r.text for r in region))
    hits = {lay: sum(1 for lab in labs if lab and lab in text) for lay, labs in distinctive_labels("t2").items()}
    best = max(hits.values(), default=0)
    if list(hits.values()).count(best) == 1:
        return max(hits, key=hits.get), "header"
    if year_hint is not None:
        return layout_for("t2", year_hint), "year"  # seed layouts: the years each layout is printed for
    return layout_for("t2", None), "default"


@seed_cache(maxsize=8192)
def _t2_ranked(label: str, layout: str) -> tuple[tuple[float, Key], ...]:
    """The layout's rows of table 二 by their similarity to a printed label, best first (cached per label)."""
    return tuple(sorted(((_similarity(label, k), k) for k in select(layout, "t2", "row")), key=lambda x: -x[0]))


def map_t2(
    rows: list[Row], span: tuple[int, int], mapping: Mapping, year_hint: int | None, more: list[tuple[int, int]] = ()
) -> None:
    """Map table 二 from a span of rows, then from further spans (parts of the table printed elsewhere)."""
    region = rows[span[0] : span[1]] + [r for a, b in more for r in rows[a:b]]
    layout, how = detect_t2_layout(region, year_hint)
    tkeys = select(layout, "t2", "row")
    found: set[str] = set()
    for r in region:
        lv = _t2_row(r)
        if lv is None:
            continue
        label, vals = lv
        sim, key = next(((sim, k) for sim, k in _t2_ranked(label, layout) if k.key not in found), (0.0, None))
        if key is None or sim < MIN_LABEL_SIMILARITY:
            continue
        cols = t2_columns_for(layout, key)
        method = "label" if sim >= EXACT_LABEL else "variant"
        if len(vals) == len(cols):
            pairs = list(zip(cols, vals))
        elif len(vals) > len(cols):
            pairs = list(zip(cols, vals))
            mapping.notes.append(
                (
                    "t2",
                    "extra_values",
                    f"row {key.key} has {len(vals)} values for {len(cols)} columns; the first {len(cols)} were read",
                )
            )
        else:
            # A column was lost in extraction: the first and last columns are the ones that survive.
            pairs = list(zip(cols[: len(vals) - 1], vals[:-1])) + [(cols[-1], vals[-1])]
            lost = [c.key for c in cols if c not in {p[0] for p in pairs}]
            mapping.notes.append(
                (
                    "t2",
                    "columns_missing",
                    f"row {key.key} has {len(vals)} values for {len(cols)} columns; not read: {', '.join(lost)}",
                )
            )
        found.add(key.key)
        mapping.rows.append(RowMatch("t2", layout, key.key, label, method, sim, r.table, r.row))
        for col, (raw, src_col) in pairs:
            mapping.cells.append(Cell("t2", layout, key.key, col.key, parse_cell(raw), r.table, r.row, src_col, method))
    if found:
        mapping.layouts["t2"] = layout
        missing = [k.key for k in tkeys if k.key not in found]
        if missing:
            mapping.notes.append(("t2", "rows_missing", "template rows not found: " + ", ".join(missing)))
    else:
        mapping.notes.append(("t2", "table_missing", "no row of table 二 was found"))


def map_document(doc: Document, year_hint: int | None = None) -> tuple[Mapping, list[Row]]:
    """Locate and map tables 二, 三 and 四. A section heading points at a table when the table's rows stand
    under it; otherwise each table is found by its own header, row labels and value shape, in any order."""
    rows = flatten(doc)
    hits = heading_hits(rows)
    hints = heading_regions(rows, hits)
    last_col = _grid_value_cols(rows)
    m3, s3 = locate_t3(rows, hints.get("t3"), last_col)
    end_hint = min(
        [a - 1 for sec, (a, _) in hints.items() if sec in ("s5", "s6") and s3 and a > s3[1]], default=len(rows)
    )
    m4, s4 = locate_t4(rows, hints.get("t4"), s3, last_col, end_hint, year_hint)
    m2, s2 = locate_t2(rows, hints.get("t2"), [s for s in (s3, s4) if s], year_hint)
    mapping = Mapping(headings=hits)
    for part in (m2, m3, m4):
        mapping.merge(part)
    spans = {t: s for t, s in (("t2", s2), ("t3", s3), ("t4", s4)) if s}
    # a narrative section ends where a table located after its heading begins (tables in an appendix)
    for sec in ("s5", "s6"):
        if sec in hints:
            a, b = hints[sec]
            b = min([ta for ta, _ in spans.values() if a <= ta < b], default=b)
            title = section_markers()[APPENDIX]
            while b > a and (text := _heading_text(rows[b - 1])) is not None and title.search(text):
                b -= 1  # the titles of the tables that follow (附件, 附表一) are not part of the section
            spans[sec] = (a, b)
    mapping.regions = spans
    return mapping, rows
