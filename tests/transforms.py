"""Presentation transforms for the metamorphic suite: each keeps a report's numbers and changes how it is presented.

A transform takes the parsed :class:`Document` of a source and returns ``(bytes, file name)``: the same report
rendered as an article fragment, a text dump, MHTML, a DOCX with real merges, with its tables moved to an
appendix, and so on. Small renderers (HTML, Markdown, text, DOCX) draw a document; small document edits
(``appendix``, ``full_width``, ``footers`` …) change it first. Merged cells are rebuilt from the reader's
``covered`` flags, so a renderer can print them as spans, repeated or left empty.
"""

from __future__ import annotations

import copy
import io
import itertools
import quopri
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from ingest.model import Document, Paragraph, Table
from ingest.numbers import parse_cell
from ingest.template import section_markers

NUMERALS = "一二三四五六七八九十"


# ---------------------------------------------------------------- merged cells


@dataclass
class Span:
    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1


def grid_of(t: Table) -> tuple[list[list[str]], list[list[bool]]]:
    """A rectangular grid and its covered flags. Ragged rows (text, Markdown) lose their trailing padding and
    are placed as the templates print them: a long value row's label spans the gap, a short row's last cell
    spans what is left, and a row that lost its label gets empty cells in its place."""
    if not t.ragged and t.covered is not None:
        width = t.width
        rows = [r + [""] * (width - len(r)) for r in t.rows]
        cov = [c + [False] * (width - len(c)) for c in t.covered]
        return rows, cov
    trimmed = []
    for r in t.rows:
        r = list(r)
        while len(r) > 1 and not r[-1].strip():
            r.pop()
        trimmed.append(r)
    width = max(len(r) for r in trimmed)
    rows, cov = [], []
    for r in trimmed:
        pad = width - len(r)
        tail = sum(1 for _ in itertools.takewhile(_value_like, reversed(r[1:])))
        if not r[0].strip() or _value_like(r[0]):  # a row without its label: empty cells where the label was
            rows.append([""] * pad + r)
            cov.append([False] * width)
        elif tail >= 5:  # a long value row (table 三): the label spans the gap
            rows.append([r[0]] * (pad + 1) + r[1:])
            cov.append([False] + [True] * pad + [False] * (len(r) - 1))
        else:  # as the templates print table 二: the last cell spans
            rows.append(r + [r[-1]] * pad)
            cov.append([False] * len(r) + [True] * pad)
    return rows, cov


def _value_like(text: str) -> bool:
    p = parse_cell(text)
    return p.value is not None or p.is_blank


def spans_of(t: Table) -> list[list[Span]]:
    """The origin cells of each row with their spans, rebuilt from the covered flags."""
    rows, cov = grid_of(t)
    owner: dict[tuple[int, int], tuple[int, int]] = {}
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if not cov[r][c]:
                owner[(r, c)] = (r, c)
                continue
            left = owner.get((r, c - 1)) if c and rows[r][c - 1] == text else None
            up = owner.get((r - 1, c)) if r and rows[r - 1][c] == text else None
            if left and (left == up or left[0] == r or up is None):
                owner[(r, c)] = left
            elif up:
                owner[(r, c)] = up
            else:
                owner[(r, c)] = (r, c)
    extent: dict[tuple[int, int], list[int]] = {}
    for (r, c), o in owner.items():
        e = extent.setdefault(o, [r, c])
        e[0], e[1] = max(e[0], r), max(e[1], c)
    out: list[list[Span]] = [[] for _ in rows]
    for (r, c), (r1, c1) in sorted(extent.items()):
        out[r].append(Span(rows[r][c], r, c, r1 - r + 1, c1 - c + 1))
    return out


def once(t: Table) -> list[list[str]]:
    """Each row's cells with merged cells printed once (as copying a page gives them)."""
    return [[s.text for s in row] for row in spans_of(t)]


# ---------------------------------------------------------------- renderers


def to_html(
    doc: Document,
    *,
    fragment: bool = False,
    charset: str = "utf-8",
    declare: bool = True,
    word: bool = False,
    title: str | None = None,
) -> bytes:
    """A web page (or only its article ``<div>``), tables with rowspan/colspan; ``word``: Word's own HTML."""
    body = []
    for b in doc.blocks:
        if isinstance(b, Paragraph):
            body.append(f'<p class="MsoNormal">{escape(b.text)}</p>' if word else f"<p>{escape(b.text)}</p>")
            continue
        body.append('<table class="MsoNormalTable" border="1" cellspacing="0">' if word else '<table border="1">')
        for row in spans_of(b):
            tds = []
            for s in row:
                attrs = (f' rowspan="{s.rowspan}"' if s.rowspan > 1 else "") + (
                    f' colspan="{s.colspan}"' if s.colspan > 1 else ""
                )
                inner = escape(s.text).replace("\n", "<br>")
                tds.append(
                    f'<td{attrs}><p class="MsoNormal"><span>{inner}</span><o:p></o:p></p></td>'
                    if word
                    else f"<td{attrs}>{inner}</td>"
                )
            body.append("<tr>" + "".join(tds) + "</tr>")
        body.append("</table>")
    article = '<div class="TRS_Editor">\n' + "\n".join(body) + "\n</div>"
    if fragment:
        return article.encode(charset)
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if declare else ""
    head = f"<title>{escape(title or doc.meta.get('title', ''))}</title>{meta}"
    if word:
        html = (
            '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns="http://www.w3.org/TR/REC-html40">'
            f'<head>{meta}<meta name=ProgId content=Word.Document><meta name=Generator content="Microsoft Word 15">'
            f"</head><body lang=ZH-CN><div class=WordSection1>{article}</div></body></html>"
        )
    else:
        html = f"<!DOCTYPE html>\n<html><head>{head}</head><body>\n{article}\n</body></html>"
    return html.encode(charset)


def to_markdown(doc: Document, merged: str = "repeat") -> bytes:
    """Pipe tables over the full grid; merged positions repeat their text (``repeat``) or stay empty (``empty``)."""
    out = []
    for b in doc.blocks:
        if isinstance(b, Paragraph):
            out += [b.text, ""]
            continue
        rows, cov = grid_of(b)
        if merged == "empty":
            rows = [[("" if cv else t) for t, cv in zip(r, c)] for r, c in zip(rows, cov)]
        out.append("| " + " | ".join(rows[0]) + " |")
        out.append("|" + "---|" * len(rows[0]))
        out += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        out.append("")
    return "\n".join(out).encode("utf-8")


def to_text(doc: Document, sep: str = " | ", newline: str = "\n", encoding: str = "utf-8") -> bytes:
    """A text dump: one line per paragraph, table rows as their cells (merged cells once) joined by ``sep``."""
    lines = []
    for b in doc.blocks:
        if isinstance(b, Paragraph):
            lines.append(b.text)
        else:
            lines += [sep.join(r) for r in once(b)]
    return (newline.join(lines) + newline).encode(encoding)


def to_cells_per_line(doc: Document) -> bytes:
    """What crawlers give: every table cell on a line of its own, merged cells once; an empty cell inside a
    row is an empty line (a blank is a value), the padding around a row is dropped."""
    lines = []
    for b in doc.blocks:
        if isinstance(b, Paragraph):
            lines.append(b.text)
            continue
        for r in once(b):
            filled = [n for n, c in enumerate(r) if c.strip()]
            if filled:
                lines += r[filled[0] : filled[-1] + 1]
    return ("\n".join(lines) + "\n").encode("utf-8")


def to_docx(doc: Document) -> bytes:
    """A Word file whose merged cells are real merges (``cell.merge``: gridSpan and vMerge)."""
    import docx

    d = docx.Document()
    for b in doc.blocks:
        if isinstance(b, Paragraph):
            d.add_paragraph(b.text)
            continue
        rows, _ = grid_of(b)
        table = d.add_table(rows=len(rows), cols=len(rows[0]))
        for row in spans_of(b):
            for s in row:
                cell = table.cell(s.row, s.col)
                if s.rowspan > 1 or s.colspan > 1:
                    cell = cell.merge(table.cell(s.row + s.rowspan - 1, s.col + s.colspan - 1))
                cell.text = s.text
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def to_mhtml(html: bytes, charset: str = "gb18030") -> bytes:
    """A browser's "single file web page": the page, re-encoded, as a quoted-printable part of a MIME message."""
    page = html.decode("utf-8").replace("charset=utf-8", f"charset={charset}").encode(charset)
    boundary = "----=_NextPart_000_0000_01DA0000.00000000"
    head = (
        f"From: <Saved by Blink>\r\nSnapshot-Content-Location: {LOCATION}\r\nSubject: report\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/related;\r\n\ttype="text/html";\r\n\tboundary="{boundary}"\r\n\r\n'
        f'--{boundary}\r\nContent-Type: text/html; charset="{charset}"\r\nContent-Transfer-Encoding: quoted-printable\r\n'
        f"Content-Location: {LOCATION}\r\n\r\n"
    )
    body = quopri.encodestring(page).replace(b"\n", b"\r\n")
    return head.encode("ascii") + body + f"\r\n\r\n--{boundary}--\r\n".encode("ascii")


LOCATION = "http://www.example.gov.cn/art/2025/report.html"


# ---------------------------------------------------------------- document edits


def _tables(doc: Document) -> list[Table]:
    return [b for b in doc.blocks if isinstance(b, Table)]


def _heading_section(text: str) -> str | None:
    norm = re.sub(r"\s", "", text)
    for sec, pat in section_markers().items():
        if pat.search(norm):
            return sec
    return None


def appendix(doc: Document, title_row: bool = False, reverse: bool = False) -> Document:
    """The tables moved after the signature, each under a title 附表N; ``title_row``: instead, the heading of
    its part (二、主动公开政府信息情况 …) printed again as the table's own first row, spanning it; ``reverse``:
    the parts in reverse order (table 四 first), the tables of each part in their order."""
    groups: list[tuple[str, list[Table]]] = [("附表", [])]
    for b in doc.blocks:
        if isinstance(b, Paragraph) and _heading_section(b.text) in ("s2", "s3", "s4"):
            groups.append((b.text, []))
        elif isinstance(b, Table):
            groups[-1][1].append(copy.deepcopy(b))
    blocks: list = [b for b in doc.blocks if isinstance(b, Paragraph)] + [Paragraph("附件")]
    n = 0
    for heading, tables in reversed(groups) if reverse else groups:
        for t in tables:
            if title_row:
                rows, cov = grid_of(t)
                t = Table(
                    [[heading] * len(rows[0])] + rows,
                    t.index,
                    False,
                    t.page,
                    [[False] + [True] * (len(rows[0]) - 1)] + cov,
                )
            else:
                blocks.append(Paragraph(f"附表{NUMERALS[n % 10]}"))
            t.index = n
            n += 1
            blocks.append(t)
    return Document(blocks, doc.format, doc.encoding, dict(doc.meta))


def renumber_headings(doc: Document, after_six: bool = False) -> Document:
    """Headings of parts 二, 三 and 四 printed as 表一, 表二, 表三; ``after_six``: the tables follow part 六."""
    blocks: list = []
    tables: list = []
    n = 0
    for b in doc.blocks:
        if isinstance(b, Paragraph) and _heading_section(b.text) in ("s2", "s3", "s4"):
            text = re.sub(r"^\s*[二三四234]\s*[、.．]?\s*", "", b.text)
            title = Paragraph(f"表{NUMERALS[n]}{text}")
            n += 1
            (tables if after_six else blocks).append(title)
        elif isinstance(b, Table) and after_six:
            tables.append(b)
        else:
            blocks.append(b)
    return Document(blocks + tables, doc.format, doc.encoding, dict(doc.meta))


def _map_cells(doc: Document, fn: Callable[[str], str]) -> Document:
    out = copy.deepcopy(doc)
    for t in _tables(out):
        t.rows = [[fn(c) for c in r] for r in t.rows]
    return out


def full_width(doc: Document) -> Document:
    """Digits in table cells printed full-width (０-９), as some editors do."""
    table = str.maketrans("0123456789", "０１２３４５６７８９")
    return _map_cells(doc, lambda c: c.translate(table))


def _insert_rows(t: Table, at: int, rows: list[list[str]], cov: list[list[bool]]) -> Table:
    g, gc = grid_of(t)
    return Table(g[:at] + rows + g[at:], t.index, False, t.page, gc[:at] + cov + gc[at:])


def footers(doc: Document) -> Document:
    """A page footer (``— N —``) as a row of its own in the middle of every long table."""
    out = copy.deepcopy(doc)
    for i, b in enumerate(out.blocks):
        if isinstance(b, Table) and len(b.rows) >= 6:
            width = len(grid_of(b)[0][0])
            out.blocks[i] = _insert_rows(
                b, len(b.rows) // 2, [[f"— {i + 3} —"] * width], [[False] + [True] * (width - 1)]
            )
    return out


def _is_value_row(row: list[str]) -> bool:
    return sum(1 for c in row if parse_cell(c).value is not None) >= 3


def split_pages(doc: Document) -> Document:
    """The longest table broken over two pages: a footer between the halves, its header rows repeated."""
    out = copy.deepcopy(doc)
    i, t = max(((i, b) for i, b in enumerate(out.blocks) if isinstance(b, Table)), key=lambda ib: len(ib[1].rows))
    rows, cov = grid_of(t)
    head = next((n for n, r in enumerate(rows) if _is_value_row(r)), 0)
    cut = head + (len(rows) - head) // 2
    first = Table(rows[:cut], t.index, False, t.page, cov[:cut])
    second = Table(
        rows[:head] + rows[cut:], t.index, False, t.page, cov[:head] + [[False] * len(rows[cut])] + cov[cut + 1 :]
    )
    out.blocks[i : i + 1] = [first, Paragraph("— 7 —"), second]
    return out


def blank_columns(doc: Document) -> Document:
    """An empty column before and after every table (layout columns Word tables often carry)."""
    out = copy.deepcopy(doc)
    for i, b in enumerate(out.blocks):
        if isinstance(b, Table):
            rows, cov = grid_of(b)
            out.blocks[i] = Table(
                [[""] + r + [""] for r in rows], b.index, False, b.page, [[False] + c + [False] for c in cov]
            )
    return out


def subtotal(doc: Document) -> Document:
    """A 小计 row after the rows of （三）不予公开 in table 三 (value rows 5 to 12), their column sums."""
    out = copy.deepcopy(doc)
    value_rows = [
        (i, r)
        for i, b in enumerate(out.blocks)
        if isinstance(b, Table)
        for r, row in enumerate(grid_of(b)[0])
        if _is_seven(row)
    ]
    if len(value_rows) < 12:
        return out
    group = value_rows[4:12]
    bi, ri = group[-1]
    rows, cov = grid_of(out.blocks[bi])
    last = rows[ri]
    sums = []
    for k in range(len(last) - 7, len(last)):
        vals = [parse_cell(grid_of(out.blocks[b])[0][r][k - len(last)]).value or 0 for b, r in group]
        sums.append(str(int(sum(vals))))
    label_w = len(last) - 7
    out.blocks[bi] = _insert_rows(
        out.blocks[bi], ri + 1, [["不予公开小计"] * label_w + sums], [[False] + [True] * (label_w - 1) + [False] * 7]
    )
    return out


def _is_seven(row: list[str]) -> bool:
    tail = row[-7:]
    return (
        len(row) > 7
        and all(parse_cell(c).value is not None or parse_cell(c).is_blank for c in tail)
        and _is_value_row(tail)
    )


def broken_labels(doc: Document) -> bytes:
    """A pipe text dump where each long row label of table 三 is broken over two lines (``1.属于`` / ``国家秘密``)."""
    lines = []
    for b in doc.blocks:
        if isinstance(b, Paragraph):
            lines.append(b.text)
            continue
        for r in once(b):
            labels = [c for c in r if c.strip() and parse_cell(c).value is None and not parse_cell(c).is_blank]
            if len(r) >= 8 and _is_seven(r) and labels and len(labels[-1]) >= 6:
                last = labels[-1]
                cut = len(last) // 2
                k = r.index(last)
                lines.append(" | ".join(r[:k] + [last[:cut]]))
                r = r[:k] + [last[cut:]] + r[k + 1 :]
            lines.append(" | ".join(r))
    return ("\n".join(lines) + "\n").encode("utf-8")


# ---------------------------------------------------------------- the transforms

TRANSFORMS: dict[str, Callable[[Document], tuple[bytes, str]]] = {
    "html_page": lambda d: (to_html(d), "report.html"),
    "article_fragment": lambda d: (to_html(d, fragment=True), "article.html"),
    "gb18030_declared": lambda d: (to_html(d, charset="gb18030"), "report.html"),
    "gb18030_undeclared": lambda d: (to_html(d, charset="gb18030", declare=False), "report.htm"),
    "mhtml": lambda d: (to_mhtml(to_html(d)), "report.mht"),
    "word_html_as_doc": lambda d: (to_html(d, word=True), "report.doc"),
    "markdown_merged_repeated": lambda d: (to_markdown(d, "repeat"), "report.md"),
    "markdown_merged_empty": lambda d: (to_markdown(d, "empty"), "report.md"),
    "docx_real_merges": lambda d: (to_docx(d), "report.docx"),
    "text_crlf": lambda d: (to_text(d, newline="\r\n"), "report.txt"),
    "one_cell_per_line": lambda d: (to_cells_per_line(d), "report.txt"),
    "browser_text_tabs": lambda d: (to_text(d, sep="\t"), "report.txt"),
    "tables_in_appendix": lambda d: (to_html(appendix(d)), "report.html"),
    "title_in_first_row": lambda d: (to_html(appendix(d, title_row=True)), "report.html"),
    "appendix_reverse_order": lambda d: (to_markdown(appendix(d, reverse=True)), "report.md"),
    "full_width_digits": lambda d: (to_html(full_width(d)), "report.html"),
    "page_footers_in_tables": lambda d: (to_html(footers(d)), "report.html"),
    "table_split_over_pages": lambda d: (to_html(split_pages(d)), "report.html"),
    "labels_broken_over_lines": lambda d: (broken_labels(d), "report.txt"),
    "extra_blank_columns": lambda d: (to_html(blank_columns(d)), "report.html"),
    "subtotal_row_added": lambda d: (to_html(subtotal(d)), "report.html"),
    "headings_renumbered": lambda d: (to_markdown(renumber_headings(d)), "report.md"),
    "tables_after_part_six_markdown": lambda d: (to_markdown(renumber_headings(d, after_six=True)), "report.md"),
}


def render_results(results: dict[tuple[str, str], str]) -> str:
    """Transform × report: exact/golden cells (``+Ninv``: cells invented), or why the file was not read."""
    if not results:
        return ""
    reports = list(dict.fromkeys(r for _, r in sorted(results, key=lambda k: (k[1].startswith("synthetic"), k[1]))))
    short = {r: r.replace("synthetic-", "syn")[:14] for r in reports}
    lines = [
        "exact/golden cells per transform (rows) and report (columns)",
        f"{'transform':32}" + "".join(f"{short[r]:>16}" for r in reports),
    ]
    for t in sorted({t for t, _ in results}):
        lines.append(f"{t:32}" + "".join(f"{results.get((t, r), '-')[:15]:>16}" for r in reports))
    return "\n".join(lines)
