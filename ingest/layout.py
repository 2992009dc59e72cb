"""Map a :class:`Document` onto the template keys of tables t2, t3 and t4.

The mapper never looks at table indexes. It flattens the document into rows
(table rows and paragraph lines alike), finds each table's region between the
section headings of ``seeds/section_markers.csv``, and then:

* t3: takes every row that ends in seven value cells (numbers or printed
  blanks) and aligns those rows to the template rows of each layout by a
  dynamic-programming alignment that rewards label matches and falls back to
  position where a label is missing. The better-scoring layout wins, so the
  layout is detected per table (a 2021 report may print the 2019 t3).
* t4: reads the fifteen values in order (three blocks of five), by block
  label where the source prints one row per block.
* t2: matches rows by label; the layout comes from the distinctive header
  labels of each layout.

Every mapped cell keeps its raw text and its source position; how each row
was matched (label, variant, position) is recorded for ``xxgk inspect``.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from .model import Document, Paragraph, Table
from .numbers import ParsedCell, is_number_word, is_value_like, parse_cell
from .template import Key, distinctive_labels, norm_label, section_markers, select, t2_columns_for

T3_COLS = 7
T4_VALUES = 15


@dataclass
class Row:
    """One row of the flattened document: a table row or a paragraph line."""

    cells: list[str]
    table: int | None     # source table index, None for a paragraph
    row: int              # row within the table, or block index for a paragraph
    cols: list[int]       # source grid column of each cell
    ragged: bool
    covered: list[bool] | None = None  # cell repeats a merged cell to its left or above

    @cached_property
    def text(self) -> str:
        return "".join(dict.fromkeys(c for c in self.cells if c))


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
    method: str        # label | variant | position
    score: float
    src_table: int | None
    src_row: int


@dataclass
class Mapping:
    cells: list[Cell] = field(default_factory=list)
    layouts: dict[str, str] = field(default_factory=dict)   # table_id -> layout
    rows: list[RowMatch] = field(default_factory=list)
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # (table_id, code, message)
    regions: dict[str, tuple[int, int]] = field(default_factory=dict)
    headings: dict[str, list[int]] = field(default_factory=dict)   # section -> rows standing as its heading


# ---------------------------------------------------------------- flattening

_TRAILING_NUMS = re.compile(r"^(?P<label>.*?[^\d\s.,-])\s+(?P<nums>[-\d.,\s]+)$")


def flatten(doc: Document) -> list[Row]:
    rows: list[Row] = []
    for bi, block in enumerate(doc.blocks):
        if isinstance(block, Table):
            for ri, cells in enumerate(block.rows):
                cov = block.covered[ri] if block.covered else None
                rows.append(Row([c or "" for c in cells], block.index, ri, list(range(len(cells))), block.ragged, cov))
        elif isinstance(block, Paragraph):
            text = unicodedata.normalize("NFKC", block.text).strip()
            m = _TRAILING_NUMS.match(text)
            cells = [text]
            if m and len(m.group("label")) <= 30:   # "行政许可 0" in text extracted from tables
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
    if filled is None or len(filled) > 60:
        return None
    text = unicodedata.normalize("NFKC", filled).replace(" ", "")
    return text if len(text) <= 40 else None


def heading_hits(rows: list[Row]) -> dict[str, list[int]]:
    """Every row that stands as the heading of each section (s2 … s6), in order."""
    marks = section_markers()
    hits: dict[str, list[int]] = {sec: [] for sec in marks}
    for i, row in enumerate(rows):
        text = _heading_text(row)
        if text is None:
            continue
        for sec, pat in marks.items():
            if pat.search(text):
                hits[sec].append(i)
                break
    return hits


def regions(rows: list[Row], hits: dict[str, list[int]] | None = None) -> dict[str, tuple[int, int]]:
    """Row ranges of t2, t3, t4, s5 and s6, from the section headings (first match of each)."""
    hits = heading_hits(rows) if hits is None else hits
    found = {sec: idx[0] for sec, idx in hits.items() if idx}
    order = sorted(found.items(), key=lambda kv: kv[1])
    out: dict[str, tuple[int, int]] = {}
    for n, (sec, start) in enumerate(order):
        end = order[n + 1][1] if n + 1 < len(order) else len(rows)
        out[sec] = (start + 1, end)
    table_of = {"s2": "t2", "s3": "t3", "s4": "t4"}
    res = {table_of.get(k, k): v for k, v in out.items()}
    # Fallbacks where a heading is missing: t3 and t4 are found by their content.
    if "t3" not in res:
        res["t3"] = (res.get("t2", (0, 0))[1] if "t2" in res else 0, res.get("t4", (len(rows), 0))[0] if "t4" in res else len(rows))
    if "t2" not in res:
        res["t2"] = (0, res["t3"][0])
    if "t4" not in res:
        res["t4"] = (res["t3"][1], res.get("s5", (len(rows), 0))[0] - 1 if "s5" in res else len(rows))
    return res


# ---------------------------------------------------------------- label similarity

@lru_cache(maxsize=65536)
def _similarity(label: str, key: Key) -> float:
    """How well a printed label matches a template key's label or variants, 0..1 (cached: labels repeat)."""
    lab = norm_label(label)
    if not lab:
        return 0.0
    best = 0.0
    for cand in key.labels:
        if lab == cand:
            return 1.0
        short, long_ = sorted((lab, cand), key=len)
        if len(short) >= 2 and short in long_:
            best = max(best, 0.55 + 0.4 * len(short) / len(long_))
        best = max(best, difflib.SequenceMatcher(None, lab, cand).ratio())
    return best


# ---------------------------------------------------------------- t3

@dataclass
class ValueRow:
    label_cells: list[str]
    values: list[tuple[str, int]]   # (raw text, source column)
    src: Row
    joined_at: int | None = None    # value index rebuilt from a number split over two cells

    @property
    def label(self) -> str:
        filled = [c for c in self.label_cells if c.strip()]
        return filled[-1] if filled else ""


def _grid_value_cols(rows: list[Row]) -> dict[int, int]:
    """For grid tables: the last used column of each table (all-empty trailing columns dropped)."""
    last: dict[int, int] = {}
    for r in rows:
        if r.table is None or r.ragged:
            continue
        before = last.get(r.table, -1)
        for c, text in zip(reversed(r.cols), reversed(r.cells)):   # grid columns ascend: the last filled cell is the row's maximum
            if c <= before:
                break
            if text.strip():
                last[r.table] = c
                break
    return last


def _split_values(row: Row, n: int, last_col: dict[int, int]) -> ValueRow | None:
    """Split a row into labels and its last ``n`` value cells, or None if it does not end in n values."""
    cells = list(zip(row.cells, row.cols))
    if row.ragged or row.table is None:
        while cells and not cells[-1][0].strip():
            cells.pop()
    else:
        end = last_col.get(row.table, len(cells) - 1)
        cells = cells[: end + 1]
    if len(cells) < n:
        return None
    values, labels = cells[-n:], cells[:-n]
    if not all(is_value_like(t) for t, _ in values):
        # a count or two written in words (十四) keeps its row: the cell is read as unreadable, not dropped
        words = sum(1 for t, _ in values if is_number_word(t))
        if not words or words > n // 3 or not all(is_value_like(t) or is_number_word(t) for t, _ in values):
            return None
    # labels must not hold numbers: a longer run of values belongs to another table
    if any(parse_cell(t).value is not None for t, _ in labels):
        return None
    label_cells = list(dict.fromkeys(t.strip() for t, _ in labels if t.strip()))
    if all(parse_cell(t).is_blank for t, _ in values):
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
        vals = vr.values[:k] + [(f"{vr.values[k][0].strip()} {vr.values[k + 1][0].strip()}", vr.values[k][1])] + vr.values[k + 2:]
        nums = [parse_cell(t).value for t, _ in vals]
        if sum(nums[:-1]) == nums[-1]:
            fits.append((k, vals))
    if len(fits) != 1:
        return None
    k, vals = fits[0]
    return ValueRow(vr.label_cells, vals, row, joined_at=k)


@lru_cache(maxsize=32768)
def _label_profile(label: str, layout: str) -> tuple[tuple[float, ...], bool]:
    """Similarity of a printed t3 label to each template row of a layout, and whether it is neutral
    (no label, or only a group heading such as （五）不予处理: then position decides). Cached per label."""
    if not label:
        return tuple(0.0 for _ in select(layout, "t3", "row")), True
    sims = tuple(_similarity(label, k) for k in select(layout, "t3", "row"))
    gbest = max((_similarity(label, g) for g in select(layout, "t3", "group")), default=0.0)
    return sims, gbest >= 0.9 and gbest > max(sims)


def _align(vrows: list[ValueRow], layout: str) -> tuple[float, list[tuple[int, int, str, float]]]:
    """Order-preserving alignment of value rows to the layout's t3 rows; returns (score, [(vi, tj, method, sim)])."""
    m = len(select(layout, "t3", "row"))
    n = len(vrows)
    SKIP_V, SKIP_T = -1.0, -1.2
    profiles = [_label_profile(vr.label, layout) for vr in vrows]
    sims = [p[0] for p in profiles]
    neutral = [p[1] for p in profiles]

    def match_score(i: int, j: int) -> float:
        return 0.5 if neutral[i] else 2.0 * sims[i][j] - 0.6

    def method(i: int, j: int) -> str:
        s = sims[i][j]
        return "position" if neutral[i] or s < 0.5 else ("label" if s >= 0.999 else "variant")

    # Fast path: one value row per template row, each labelled as expected or unlabelled.
    if n == m and all(neutral[i] or sims[i][i] >= 0.9 for i in range(n)):
        return sum(match_score(i, i) for i in range(n)), [(i, i, method(i, i), sims[i][i]) for i in range(n)]

    NEG = float("-inf")
    dp = [[NEG] * (m + 1) for _ in range(n + 1)]
    bt: list[list[tuple[int, int] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    dp[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            cur = dp[i][j]
            if cur == NEG:
                continue
            if i < n and j < m and cur + match_score(i, j) > dp[i + 1][j + 1]:
                dp[i + 1][j + 1] = cur + match_score(i, j)
                bt[i + 1][j + 1] = (i, j)
            if i < n and cur + SKIP_V > dp[i + 1][j]:
                dp[i + 1][j] = cur + SKIP_V
                bt[i + 1][j] = (i, j)
            if j < m and cur + SKIP_T > dp[i][j + 1]:
                dp[i][j + 1] = cur + SKIP_T
                bt[i][j + 1] = (i, j)
    pairs: list[tuple[int, int, str, float]] = []
    i, j = n, m
    while (i, j) != (0, 0):
        pi, pj = bt[i][j]
        if pi == i - 1 and pj == j - 1:
            pairs.append((pi, pj, method(pi, pj), sims[pi][pj]))
        i, j = pi, pj
    pairs.reverse()
    return dp[n][m], pairs


def map_t3(rows: list[Row], span: tuple[int, int], mapping: Mapping, last_col: dict[int, int]) -> None:
    vrows = [v for r in rows[span[0]:span[1]]
             if (v := _split_values(r, T3_COLS, last_col) or _join_split_number(r, T3_COLS, last_col))]
    if not vrows:
        mapping.notes.append(("t3", "table_missing", "no row of table 三 with seven value cells was found"))
        return
    best = None
    # Try the layout whose row count fits first; a full match on every label settles it.
    for layout in sorted(("2021", "2019"), key=lambda lay: len(select(lay, "t3", "row")) != len(vrows)):
        tkeys = select(layout, "t3", "row")
        score, pairs = _align(vrows, layout)
        # the row count is the tie-breaker: 25 rows for 2021, 23 for 2019
        cand = (score + (0.25 if len(vrows) == len(tkeys) else 0.0), layout, tkeys, pairs)
        if best is None or cand[0] > best[0]:
            best = cand
        if len(pairs) == len(tkeys) == len(vrows) and all(p[2] == "label" for p in pairs):
            break
    _, layout, tkeys, pairs = best
    mapping.layouts["t3"] = layout
    cols = select(layout, "t3", "column")
    matched_v = {p[0] for p in pairs}
    for vi, tj, method, sim in pairs:
        vr, key = vrows[vi], tkeys[tj]
        mapping.rows.append(RowMatch("t3", layout, key.key, vr.label, method, sim, vr.src.table, vr.src.row))
        for col, (raw, src_col) in zip(cols, vr.values):
            mapping.cells.append(Cell("t3", layout, key.key, col.key, parse_cell(raw), vr.src.table, vr.src.row, src_col, method))
    for vi, vr in enumerate(vrows):
        if vr.joined_at is not None:
            mapping.notes.append(("t3", "digits_joined", f"row {vr.label or '(no label)'!r}: a number split over two cells "
                                  f"was joined ({vr.values[vr.joined_at][0]!r}); the row total confirms it"))
        if vi not in matched_v:
            mapping.notes.append(("t3", "row_unmapped", f"row {vr.label or '(no label)'!r} at table {vr.src.table} row {vr.src.row} matched no template row"))
    missing = [k.key for j, k in enumerate(tkeys) if j not in {p[1] for p in pairs}]
    if missing:
        mapping.notes.append(("t3", "rows_missing", "template rows not found: " + ", ".join(missing)))


# ---------------------------------------------------------------- t4

def map_t4(rows: list[Row], span: tuple[int, int], mapping: Mapping, last_col: dict[int, int]) -> None:
    region = rows[span[0]:span[1]]
    blocks = select("2021", "t4", "row")
    cols = select("2021", "t4", "column")
    values: list[tuple[str, int, Row]] = []
    labelled: dict[str, list[tuple[str, int, Row]]] = {}
    for r in region:
        for n in (T4_VALUES, len(cols)):
            vr = _split_values(r, n, last_col)
            if vr:
                break
        if not vr:
            continue
        vals = [(t, c, r) for t, c in vr.values]
        if len(vals) == len(cols) and vr.label:
            best = max(blocks, key=lambda k: _similarity(vr.label, k))
            if _similarity(vr.label, best) >= 0.6 and best.key not in labelled:
                labelled[best.key] = vals
                continue
        values.extend(vals)
        if len(values) >= T4_VALUES:
            break
    mapping.layouts["t4"] = "2021"
    if labelled:
        seq = [(k, labelled.get(k.key)) for k in blocks]
        rest = iter([values[i:i + len(cols)] for i in range(0, len(values), len(cols))])
        seq = [(k, v if v is not None else next(rest, None)) for k, v in seq]
        method = "label"
    else:
        if len(values) < T4_VALUES:
            if values:
                mapping.notes.append(("t4", "values_missing", f"table 四 has {len(values)} of 15 values; not mapped"))
            else:
                mapping.notes.append(("t4", "table_missing", "no row of table 四 with its values was found"))
            return
        seq = [(k, values[i * len(cols):(i + 1) * len(cols)]) for i, k in enumerate(blocks)]
        method = "position"
    for key, vals in seq:
        if not vals:
            mapping.notes.append(("t4", "rows_missing", f"block {key.key} not found"))
            continue
        mapping.rows.append(RowMatch("t4", "2021", key.key, key.label_zh, method, 1.0, vals[0][2].table, vals[0][2].row))
        for col, (raw, src_col, r) in zip(cols, vals):
            mapping.cells.append(Cell("t4", "2021", key.key, col.key, parse_cell(raw), r.table, r.row, src_col, method))


# ---------------------------------------------------------------- t2

def _dedupe_spans(row: Row) -> list[tuple[str, int]]:
    """Collapse consecutive identical cells of grid tables (one merged cell repeated by span resolution)."""
    out: list[tuple[str, int]] = []
    covered = row.covered or [False] * len(row.cells)
    for text, col, cov in zip(row.cells, row.cols, covered):
        if cov and out and text == out[-1][0]:
            continue    # a colspan copy of the cell to its left
        out.append((text, col))
    while out and not out[-1][0].strip():
        out.pop()
    return out


def detect_t2_layout(region: list[Row], year_hint: int | None) -> tuple[str, str]:
    text = norm_label("".join(r.text for r in region))
    hits = {lay: sum(1 for lab in labs if lab and lab in text) for lay, labs in distinctive_labels("t2").items()}
    if hits["2019"] != hits["2021"]:
        return max(hits, key=hits.get), "header"
    if year_hint is not None:
        return ("2019" if year_hint <= 2020 else "2021"), "year"
    return "2021", "default"


def map_t2(rows: list[Row], span: tuple[int, int], mapping: Mapping, year_hint: int | None) -> None:
    region = rows[span[0]:span[1]]
    layout, how = detect_t2_layout(region, year_hint)
    tkeys = select(layout, "t2", "row")
    found: set[str] = set()
    for r in region:
        cells = _dedupe_spans(r)
        if len(cells) < 2:
            continue
        label_cells = []
        for i, (text, _) in enumerate(cells):
            if is_value_like(text):
                break
            label_cells.append(text)
        vals = cells[len(label_cells):]
        label = "".join(t for t in label_cells if t.strip())
        if not label or not vals or any(not is_value_like(t) for t, _ in vals):
            continue
        scored = sorted(((_similarity(label, k), k) for k in tkeys if k.key not in found), key=lambda x: -x[0])
        if not scored or scored[0][0] < 0.8:
            continue
        sim, key = scored[0]
        cols = t2_columns_for(layout, key)
        method = "label" if sim >= 0.999 else "variant"
        if len(vals) == len(cols):
            pairs = list(zip(cols, vals))
        elif len(vals) > len(cols):
            pairs = list(zip(cols, vals))
            mapping.notes.append(("t2", "extra_values", f"row {key.key} has {len(vals)} values for {len(cols)} columns; the first {len(cols)} were read"))
        else:
            # A column was lost in extraction: the first and last columns are the ones that survive.
            pairs = list(zip(cols[: len(vals) - 1], vals[:-1])) + [(cols[-1], vals[-1])]
            lost = [c.key for c in cols if c not in {p[0] for p in pairs}]
            mapping.notes.append(("t2", "columns_missing", f"row {key.key} has {len(vals)} values for {len(cols)} columns; not read: {', '.join(lost)}"))
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
    rows = flatten(doc)
    hits = heading_hits(rows)
    spans = regions(rows, hits)
    mapping = Mapping(regions=spans, headings=hits)
    map_t2(rows, spans["t2"], mapping, year_hint)
    last_col = _grid_value_cols(rows)
    map_t3(rows, spans["t3"], mapping, last_col)
    map_t4(rows, spans["t4"], mapping, last_col)
    return mapping, rows
