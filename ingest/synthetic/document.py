"""A report as format-neutral blocks: paragraphs and tables with merged cells.

The tables follow the official templates: table 二 in article sections
(第二十条第（一）项 …) with one header row each, table 三 with its three-row
header (申请人情况 / 自然人, 法人或其他组织, 总计 / the five legal-person
columns) and its label columns merged down the groups (三、本年度办理结果,
（三）不予公开 …), table 四 with its three-row header. Every renderer
(``render.py``) draws the same blocks, so the formats differ only as real
publishing tools make them differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..template import select, t2_columns_for

T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
ARTICLES = {
    "art20_1": "第二十条第（一）项",
    "art20_5": "第二十条第（五）项",
    "art20_6": "第二十条第（六）项",
    "art20_8": "第二十条第（八）项",
    "art20_9": "第二十条第（九）项",
}


@dataclass
class Cell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    header: bool = False
    split: bool = False  # a number that some formats print split across runs or spans


@dataclass
class Grid:
    table_id: str
    rows: list[list[Cell]]  # origin cells only, as in HTML: spans cover later positions
    widths: list[float]  # relative column widths


@dataclass
class Para:
    text: str
    style: str = "body"  # marker | title | heading | body | note | sign


Block = Para | Grid


@dataclass
class Printed:
    """The printed text of every table cell, keyed (table, row, col), and per-table print choices."""

    cells: dict[tuple[str, str, str], str]
    t2_layout: str
    t3_layout: str
    lost_labels: set[str] = field(default_factory=set)
    split: bool = False


def place(grid: Grid) -> tuple[int, int, list[tuple[int, int, Cell]]]:
    """Grid positions of the origin cells: (rows, columns, [(row, col, cell)])."""
    taken: set[tuple[int, int]] = set()
    out = []
    width = 0
    for r, row in enumerate(grid.rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            out.append((r, c, cell))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
            width = max(width, c)
    width = max([width] + [c + 1 for _, c in taken])
    return len(grid.rows), width, out


def t2_grid(p: Printed) -> Grid:
    rows: list[list[Cell]] = []
    seen: set[str] = set()
    for row in select(p.t2_layout, "t2", "row"):
        cols = t2_columns_for(p.t2_layout, row)
        if row.group_key not in seen:
            seen.add(row.group_key)
            rows.append([Cell(ARTICLES[row.group_key], colspan=4, header=True)])
            rows.append([Cell("信息内容", header=True)] + _spread([c.label_zh for c in cols], header=True))
        values = [p.cells[("t2", row.key, c.key)] for c in cols]
        rows.append([Cell(row.label_zh)] + _spread(values, split=p.split))
    return Grid("t2", rows, [3, 2, 2, 2])


def _spread(texts: list[str], header: bool = False, split: bool = False) -> list[Cell]:
    """Cells over the three value columns of table 二: the last one spans what is left."""
    cells = [Cell(t, header=header, split=split) for t in texts]
    cells[-1].colspan = 4 - len(texts)
    return cells


def t3_grid(p: Printed) -> Grid:
    layout = p.t3_layout
    cols = select(layout, "t3", "column")
    groups = {g.group_key: g.label_zh for g in select(layout, "t3", "group")}  # "" is 三、本年度办理结果
    rows_t3 = select(layout, "t3", "row")
    results = [k for k in rows_t3 if k.group_key not in ("received", "carried_forward")]
    header = [
        [Cell(T3_NOTE, rowspan=3, colspan=3, header=True), Cell("申请人情况", colspan=7, header=True)],
        [
            Cell("自然人", rowspan=2, header=True),
            Cell("法人或其他组织", colspan=5, header=True),
            Cell("总计", rowspan=2, header=True),
        ],
        [Cell(c.label_zh, header=True) for c in cols[1:6]],
    ]
    body: list[list[Cell]] = []
    for k in rows_t3:
        label = "" if k.key in p.lost_labels else k.label_zh
        members = [r for r in rows_t3 if r.group_key == k.group_key]
        if k.group_key in ("received", "carried_forward"):
            lead = [Cell(label, colspan=3)]
        else:
            lead = [Cell(groups[""], rowspan=len(results))] if k is results[0] else []
            if k.group_key and k.group_key in groups and len(members) > 1:
                lead += ([Cell(groups[k.group_key], rowspan=len(members))] if k is members[0] else []) + [Cell(label)]
            else:
                lead += [Cell(label, colspan=2)]
        body.append(lead + [Cell(p.cells[("t3", k.key, c.key)], split=p.split) for c in cols])
    return Grid("t3", header + body, [1, 2.2, 5] + [1.4] * 7)


def t4_grid(p: Printed) -> Grid:
    cols = select("2021", "t4", "column")
    blocks = select("2021", "t4", "row")
    header = [
        [Cell("行政复议", colspan=5, header=True), Cell("行政诉讼", colspan=10, header=True)],
        [Cell(c.label_zh, rowspan=2, header=True) for c in cols]
        + [Cell("未经复议直接起诉", colspan=5, header=True), Cell("复议后起诉", colspan=5, header=True)],
        [Cell(c.label_zh, header=True) for _ in range(2) for c in cols],
    ]
    values = [Cell(p.cells[("t4", b.key, c.key)], split=p.split) for b in blocks for c in cols]
    return Grid("t4", header + [values], [1] * 15)
