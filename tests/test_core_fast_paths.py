"""The fast paths of layout mapping and rules give what the plain cell-by-cell code gives, on awkward inputs."""

from __future__ import annotations

import math
import random

import pytest

from ingest import layout as L
from ingest.layout import Cell, Mapping, Row
from ingest.model import Document, Paragraph
from ingest.numbers import is_number_word, is_value_like, parse_cell
from ingest.rules import Tally, _blank_total, _compare, _rule_cells, _v, check_cells, evaluate
from ingest.template import keys, reconciliation_rules, section_markers, select, table_layouts

# Cell texts that sit on every edge: blanks and dashes, counts in words, annotated and scaled numbers, labels,
# white space, numbers split by spaces, and texts of 64 characters or more (not remembered).
TEXTS = [
    "",
    " ",
    "0",
    "1",
    "12",
    "1,234",
    "2.5",
    "-3",
    "—",
    "-",
    "/",
    "无",
    "null",
    "十四",
    "二",
    "一百零五",
    "零",
    "22（其中修订 16 件）",
    "1.2万",
    "3 万元",
    "行政许可",
    "（一）予以公开",
    "总计",
    "自然人",
    "1 2",
    "  7  ",
    "１２",
    "abc",
    "十 四",
    "1" * 70,
    " " * 66 + "5",
    "十" * 70,
    "行政" * 40,
    "N/A",
    "…",
    "-/-",
]


def plain_split_values(row: Row, n: int, last_col: dict[int, int]) -> L.ValueRow | None:
    """The first, cell-by-cell reading of a row's last ``n`` values (the reference)."""
    if len(row.cells) < n:
        return None
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
        words = sum(1 for t, _ in values if is_number_word(t))
        if not words or words > n // 3 or not all(is_value_like(t) or is_number_word(t) for t, _ in values):
            return None
    if any(parse_cell(t).value is not None for t, _ in labels):
        return None
    label_cells = list(dict.fromkeys(t.strip() for t, _ in labels if t.strip()))
    if all(parse_cell(t).is_blank for t, _ in values):
        covered = row.covered or []
        if not label_cells or any(covered[c] for _, c in values if c < len(covered)):
            return None
    return L.ValueRow(label_cells, values, row)


def plain_dedupe_spans(row: Row) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    covered = row.covered or [False] * len(row.cells)
    for text, col, cov in zip(row.cells, row.cols, covered):
        if cov and out and text == out[-1][0]:
            continue
        out.append((text, col))
    while out and not out[-1][0].strip():
        out.pop()
    return out


def plain_t2_row(r: Row):
    if len(r.cells) < 2:
        return None
    cells = plain_dedupe_spans(r)
    while cells and not cells[0][0].strip():
        cells.pop(0)
    if len(cells) < 2:
        return None
    label_cells = []
    for text, _ in cells:
        if is_value_like(text):
            break
        label_cells.append(text)
    vals = cells[len(label_cells) :]
    label = "".join(t for t in label_cells if t.strip())
    if not label or not vals or any(not is_value_like(t) for t, _ in vals):
        return None
    return label, vals


def awkward_rows(seed: int, count: int) -> list[tuple[Row, dict[int, int]]]:
    """Rows of every kind (grid, ragged, paragraph; covered cells; fewer columns than cells) and column maps."""
    rnd = random.Random(seed)
    numbers = [t for t in TEXTS if is_value_like(t)]
    out = []
    for _ in range(count):
        width = rnd.choice([0, 1, 2, 5, 6, 7, 8, 9, 12, 15, 16, 17])
        pool = rnd.choice([TEXTS, numbers, numbers + ["", "十四"]])
        cells = [rnd.choice(TEXTS)] + [rnd.choice(pool) for _ in range(width - 1)] if width else []
        table = rnd.choice([None, 0, 1, 2])
        cols = list(range(len(cells)))
        if rnd.random() < 0.1:
            cols = cols[: rnd.randrange(len(cols) + 1)]
        covered = rnd.choice([None, [], [rnd.random() < 0.3 for _ in cells]])
        if covered and rnd.random() < 0.2:
            covered = covered[: rnd.randrange(len(covered) + 1)]
        row = Row(cells, table, rnd.randrange(5), cols, rnd.random() < 0.4, covered)
        last_col = {t: rnd.randrange(-2, 20) for t in (0, 1) if rnd.random() < 0.7}
        out.append((row, last_col))
    return out


def test_split_values_as_plain_path():
    for row, last_col in awkward_rows(16, 2500):
        for n in (5, 7, 8, 15):
            assert L._split_values(row, n, last_col) == plain_split_values(row, n, last_col), (row, n, last_col)


def test_t2_row_and_has_number_as_plain_path():
    for row, _ in awkward_rows(17, 1500):
        assert L._t2_row(row) == plain_t2_row(row), row
        assert L._dedupe_spans(row) == plain_dedupe_spans(row), row
        filled = [c for c in row.cells if c.strip()]
        assert L.ValueRow(row.cells, [], row).label == (filled[-1] if filled else ""), row
        assert L._has_number(row) == any(parse_cell(c).value is not None for c in row.cells), row


def test_cell_kind_is_the_cells_parse_and_its_cache_is_bounded():
    from ingest import numbers

    for t in TEXTS:
        assert numbers.cell_kind(t) == (
            is_value_like(t),
            is_number_word(t),
            parse_cell(t).value is not None,
            parse_cell(t).is_blank,
        )
    assert numbers._kind_cached.cache_info().maxsize is not None
    held = numbers._kind_cached.cache_info().currsize
    long = "依申请公开" * 14
    assert numbers.cell_kind(long) == (False, False, False, False)
    assert numbers._kind_cached.cache_info().currsize == held  # long texts are not kept


def labels_to_try() -> list[str]:
    """Every template label and variant, with numbering, cut short, and some other text."""
    out = {
        "",
        "总计",
        "其他",
        "收到申请数",
        "上年结转政府信息公开申请数量",
        "行政复议",
        "三、收到和处理政府信息公开申请情况",
    }
    for k in keys():
        for lab in (k.label_zh, *k.aliases):
            out |= {lab, f"（一）{lab}", lab[: max(1, len(lab) // 2)], lab + "情况"}
    out |= {f"{n}、{head}" for n in "二三四五六23456" for head in HEADINGS}
    return sorted(out)


HEADINGS = [
    "主动公开政府信息情况",
    "收到和处理政府信息公开申请情况",
    "政府信息公开行政复议、行政诉讼情况",
    "存在的主要问题及改进情况",
    "其他需要报告的事项",
    "附件",
]


def test_label_caches_as_plain_path():
    t2_rows = [k for lay in table_layouts("t2") for k in select(lay, "t2", "row")]
    firsts = {select(lay, "t3", "row")[0] for lay in table_layouts("t3")}
    marks = section_markers()
    for lab in labels_to_try():
        assert L._t2_label(lab) == any(L._similarity(lab, k) >= L.MIN_LABEL_SIMILARITY for k in t2_rows), lab
        assert L._is_first_t3_row(lab) == any(L._similarity(lab, f) >= L.SAME_LABEL_SIMILARITY for f in firsts)
        first = next((s for s, p in marks.items() if s != L.APPENDIX and p.search(lab)), None)
        assert L._heading_section(lab) == first, lab
        for layout in table_layouts("t2"):
            tkeys = select(layout, "t2", "row")
            for found in ({k.key for k in tkeys[::2]}, {k.key for k in tkeys[:3]}, set()):
                scored = sorted(((L._similarity(lab, k), k) for k in tkeys if k.key not in found), key=lambda x: -x[0])
                assert next((x for x in L._t2_ranked(lab, layout) if x[1].key not in found), None) == (
                    scored[0] if scored else None
                )


# ---------------------------------------------------------------- rules


def plain_check_table(table: str, g, layout: str, t: Tally) -> None:
    """The single-report rules checked rule by rule, as first written (the reference)."""
    rules = [r for r in reconciliation_rules() if r.table == table and r.span == "report"]
    if not g or not rules:
        return
    seen: set = set()
    for scope in dict.fromkeys(r.scope for r in rules):
        for key in select(layout, table, scope):
            for rule in rules:
                if not (rule.scope == scope and (not rule.scope_keys or key.key in rule.scope_keys)):
                    continue
                left, right, every = _rule_cells(rule, key.key, layout)
                if any(c not in g for c in every) or (g.unreadable and not g.unreadable.isdisjoint(every)):
                    continue
                if rule.blank_total and len(left) == 1:
                    if _blank_total(t, g, rule.table, left[0][0], [c for c, _ in right], seen):
                        continue
                elif any((rule.table, c) in seen for c in every):
                    continue
                expected = sum(sign * _v(g[c]) for c, sign in right)
                actual = sum(sign * _v(g[c]) for c, sign in left)
                one = len(left) == 1
                row, col = left[0][0] if one else ((None, key.key) if rule.scope == "column" else (key.key, None))
                message = (
                    ""
                    if abs(expected - actual) <= 1e-6
                    else rule.message.format(
                        expected=f"{expected:g}", actual=f"{actual:g}", scope=key.key, label=key.label_zh
                    )
                )
                _compare(t, rule.rule_id, rule.table, row, col, expected, actual, message, rule.severity)


def random_mapping(rnd: random.Random) -> Mapping:
    """Tables 三 and 四 with mostly consistent small counts, some blanks, unreadable and missing cells."""
    m = Mapping()
    for table in ("t3", "t4"):
        layout = rnd.choice(table_layouts(table))
        m.layouts[table] = layout
        for r in select(layout, table, "row"):
            for c in select(layout, table, "column"):
                if rnd.random() < 0.03:
                    continue
                raw = rnd.choice(["0", "0", "1", "2", "", "—", "十四", "3.5", "-1"] if rnd.random() < 0.3 else ["0"])
                m.cells.append(Cell(table, layout, r.key, c.key, parse_cell(raw), 0, 0, 0, "label"))
    return m


def test_rules_as_plain_path(monkeypatch):
    rnd = random.Random(16)
    for _ in range(120):
        m = random_mapping(rnd)
        fast = evaluate(m)
        monkeypatch.setattr("ingest.rules.check_table", plain_check_table)
        plain = evaluate(m)
        monkeypatch.undo()
        assert fast == plain


@pytest.mark.parametrize(
    "raw,value",
    [
        ("1", None),
        ("", None),
        ("十四", None),
        ("x", math.nan),
        ("x", math.inf),
        ("x", -math.inf),
        ("x", -0.0),
        ("x", 1e9),
        ("x", 1e9 + 1),
        ("x", 2.5),
        ("x", -1.0),
        ("x", 0.0),
        ("x", 999999999.5),
    ],
)
def test_cell_checks_as_plain_path(raw, value):
    from ingest.numbers import ParsedCell
    from ingest.rules import _cell_problem

    parsed = parse_cell(raw) if value is None else ParsedCell(raw, value, False)
    for table in ("t2", "t3", "t4"):
        cell = Cell(table, "2021", "r", "c", parsed, 0, 0, 0, "label")
        t = Tally([])
        try:
            want = _cell_problem(cell)
        except ValueError:  # NaN in a count: the plain check raises, so must the fast one
            with pytest.raises(ValueError):
                check_cells([cell], t)
            continue
        check_cells([cell], t)
        assert [(f.rule_id, f.message) for f in t.findings] == ([want] if want else [])


# ---------------------------------------------------------------- flattening and alignment

LINE_ENDS = [
    "",
    "行政许可 0",
    "行政许可 1 2 3",
    "其他对外管理服务事项 12 -",
    "标题。",
    "数量 ١٢",
    "面积 5²",
    "合计 7.",
    "合计 7,",
    "合计 7 ",
    "合计 7\u3000",
    "说明 1 2\x1c",
    "共 5 件",
    "2023",
    " 3",
    "a" * 40 + " 1 2",
]


def test_flatten_trailing_numbers_as_plain_path():
    doc = Document([Paragraph(t) for t in LINE_ENDS], "text")
    for t, row in zip(LINE_ENDS, L.flatten(doc)):
        m = L._TRAILING_NUMS.match(t)
        want = [t]
        if m and len(m.group("label")) <= L.MAX_TRAILING_LABEL:
            want = [m.group("label").strip(), *m.group("nums").split()]
        assert row.cells == want, t


def plain_align(vrows, layout):
    """The alignment's dynamic programme as first written: every score from the label profiles (the reference)."""
    m, n = len(select(layout, "t3", "row")), len(vrows)
    profiles = [L._label_profile(vr.label, layout) for vr in vrows]
    sims, neutral = [p[0] for p in profiles], [p[1] for p in profiles]

    def score(i, j):
        return L.NEUTRAL_MATCH if neutral[i] else L.MATCH_WEIGHT * sims[i][j] - L.MATCH_OFFSET

    neg = float("-inf")
    dp = [[neg] * (m + 1) for _ in range(n + 1)]
    bt = [[None] * (m + 1) for _ in range(n + 1)]
    dp[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            cur = dp[i][j]
            if i < n and j < m and cur + score(i, j) > dp[i + 1][j + 1]:
                dp[i + 1][j + 1], bt[i + 1][j + 1] = cur + score(i, j), (i, j)
            if i < n and cur + L.SKIP_VALUE_ROW > dp[i + 1][j]:
                dp[i + 1][j], bt[i + 1][j] = cur + L.SKIP_VALUE_ROW, (i, j)
            if j < m and cur + L.SKIP_TEMPLATE_ROW > dp[i][j + 1]:
                dp[i][j + 1], bt[i][j + 1] = cur + L.SKIP_TEMPLATE_ROW, (i, j)
    pairs, (i, j) = [], (n, m)
    while (i, j) != (0, 0):
        pi, pj = bt[i][j]
        if (pi, pj) == (i - 1, j - 1):
            pairs.append((pi, pj))
        i, j = pi, pj
    return dp[n][m], pairs[::-1]


def test_alignment_as_plain_path():
    rnd = random.Random(16)
    labels = labels_to_try()
    for layout in table_layouts("t3"):
        for _ in range(40):
            n = rnd.choice([1, 3, 20, 22, 23, 24, 25, 26, 30])
            vrows = [
                L.ValueRow([rnd.choice(labels)] if rnd.random() < 0.8 else [], [], Row([], 0, 0, [], False))
                for _ in range(n)
            ]
            score, pairs = L._align(vrows, layout)
            if len(pairs) == n == len(select(layout, "t3", "row")) and all(p[0] == p[1] for p in pairs):
                continue  # the one-to-one fast path: no programme run
            assert (score, [p[:2] for p in pairs]) == plain_align(vrows, layout)


def test_t4_anchor_and_row_text_as_plain_path():
    from ingest.template import norm_label

    def plain(row: Row) -> bool:
        text = "".join(dict.fromkeys(filter(None, row.cells))) if len(row.cells) != 1 else row.cells[0]
        if (row.table is None and len(text) > L.MAX_T4_ANCHOR) or not (
            "复议" in text or "维持" in text or "审结" in text
        ):
            return False
        t = norm_label(text)
        results = sum(1 for w in ("维持", "纠正", "其他结果", "尚未审结") if w in t)
        return results >= L.MIN_T4_RESULT_WORDS or ("行政复议" in t and "行政诉讼" in t and len(t) <= L.MAX_T4_ANCHOR)

    heads = ["行政复议", "行政诉讼", "维持", "结果纠正", "其他结果", "尚未审结", "总计", "复议后起诉", "（一）", ""]
    rnd = random.Random(18)
    rows = [row for row, _ in awkward_rows(18, 300)]
    for _ in range(600):
        cells = [rnd.choice(heads) for _ in range(rnd.choice([1, 2, 5, 15]))]
        rows.append(Row(cells, rnd.choice([None, 3]), 0, list(range(len(cells))), False))
    rows.append(Row(["四、行政复议和行政诉讼情况" * 3], None, 0, [0], True))
    assert sum(plain(r) for r in rows) > 50
    for row in rows:
        assert L._t4_anchor(row) == plain(row), row
        assert row.text == ("".join(dict.fromkeys(filter(None, row.cells))) if len(row.cells) != 1 else row.cells[0])


def plain_best_alignment(vrows):
    """Both layouts aligned, the better kept (the reference: no layout left out by its bound)."""
    best = None
    for layout in sorted(table_layouts("t3"), key=lambda lay: len(select(lay, "t3", "row")) != len(vrows)):
        tkeys = select(layout, "t3", "row")
        score, pairs = L._align(vrows, layout)
        cand = (score + (L.ROW_COUNT_BONUS if len(vrows) == len(tkeys) else 0.0), layout, tkeys, pairs)
        if best is None or cand[0] > best[0]:
            best = cand
        if len(pairs) == len(tkeys) == len(vrows) and all(p[2] == "label" for p in pairs):
            break
    return best


def test_best_alignment_as_plain_path():
    rnd = random.Random(19)
    labels = labels_to_try()
    for lay in table_layouts("t3"):
        rows = [k.label_zh for k in select(lay, "t3", "row")]
        for _ in range(60):
            # the template's own rows, some relabelled, dropped, repeated or unlabelled
            picked = [lab for lab in rows if rnd.random() < 0.95]
            picked = [rnd.choice(labels) if rnd.random() < 0.15 else lab for lab in picked]
            picked += [rnd.choice(labels) for _ in range(rnd.choice([0, 0, 1, 2]))]
            vrows = [L.ValueRow([lab] if rnd.random() < 0.9 else [], [], Row([], 0, 0, [], False)) for lab in picked]
            assert L._best_alignment(vrows) == plain_best_alignment(vrows)
            for layout in table_layouts("t3"):
                assert L._align_bound(vrows, layout) >= L._align(vrows, layout)[0]


# ---------------------------------------------------------------- metadata


def plain_fee(doc):
    """The fee statement looked for in every sentence of every paragraph (the reference: no paragraph skipped)."""
    import re

    from ingest.metadata import _paragraphs, sentence_fee

    for raw in _paragraphs(doc):
        for sentence in re.split(r"(?<=[。；;])", raw):
            fee = sentence_fee(sentence)
            if fee is not None:
                return fee
    return None, None, None


def test_fee_statement_as_plain_path():
    from ingest.metadata import info_processing_fee

    parts = [
        "本年度",
        "收取信息处理费",
        "处理费 120 元",
        "共 3 件",
        "未收取任何费用",
        "信息公开",
        "。",
        "；",
        "收",
        "费",
        "1.5 万元的处理费",
        "没有发生收费",
        "处理费为零",
        "其他情况",
        " ",
    ]
    rnd = random.Random(20)
    got = set()
    for _ in range(400):
        paras = ["".join(rnd.choice(parts) for _ in range(rnd.randrange(1, 8))) for _ in range(rnd.randrange(1, 4))]
        doc = Document([Paragraph(p) for p in paras], "text")
        fast = info_processing_fee(doc)
        amount, cases, sentence = plain_fee(doc)
        assert fast == (amount, cases, sentence), paras
        got.add(amount)
    assert len(got) >= 3  # fees read, none stated, and a stated zero


def test_t2_columns_as_plain_path():
    from dataclasses import replace

    from ingest.template import LAYOUTS, t2_columns_for

    rows = [k for lay in table_layouts("t2") for k in select(lay, "t2", "row")]
    rows += [replace(rows[0], group_key=g) for g in ("", "x", "art20_99", "art20_5_6", "_")]
    for layout in (*LAYOUTS, "none"):
        for row in rows:
            article = row.group_key.rsplit("_", 1)[-1]
            want = [c for c in select(layout, "t2", "column") if article in c.group_key.split("_")[1:]]
            assert list(t2_columns_for(layout, row)) == want, (layout, row.group_key)
    assert any(t2_columns_for(lay, k) for lay in table_layouts("t2") for k in rows)


# ---------------------------------------------------------------- text normalisation


def test_ideographs_are_nfkc_inert():
    """What the piecewise NFKC relies on, checked in this Python's Unicode tables."""
    import unicodedata

    for cp in range(0x4E00, 0xA000):
        c = chr(cp)
        assert unicodedata.combining(c) == 0 and unicodedata.decomposition(c) == ""
        assert unicodedata.normalize("NFKC", c) == c
    for cp in range(0x110000):  # no canonical pair (the decomposition of a composite) holds an ideograph
        d = unicodedata.decomposition(chr(cp))
        if d and not d.startswith("<") and " " in d:
            assert not any(0x4E00 <= int(x, 16) < 0xA000 for x in d.split()), hex(cp)


def plain_normalise_text(text: str | None) -> str:
    import unicodedata

    from ingest.model import _CJK_GAP, _WS

    if not text:
        return ""
    if _WS.search(text) is None:
        if text.isascii() or unicodedata.is_normalized("NFKC", text):
            return text
        text = unicodedata.normalize("NFKC", text)
        return text if _WS.search(text) is None else _WS.sub(" ", _CJK_GAP.sub("", text)).strip()
    if text.isascii():
        return _WS.sub(" ", text).strip()
    text = unicodedata.normalize("NFKC", _CJK_GAP.sub("", text))
    return _WS.sub(" ", _CJK_GAP.sub("", text)).strip()


def test_normalise_text_as_plain_path():
    import unicodedata

    from ingest.model import _nfkc, normalise_text

    # ideographs, full-width forms, combining marks (one of them an ideographic tone mark), kana and its voicing
    # mark, Hangul jamo, Kangxi radicals, compatibility ideographs, ligatures, circled and fraction forms, spaces
    alphabet = (
        list("一二三四结转申请年") + list("（），：；１２３ＡＢ　") + ["\u0301", "\u0308", "\u0323", "\u302a", "\u3099"]
    )
    alphabet += list("かカｶﾞ각가⽂⼀豈﨎ﬁ①㈠½eA1 \t\n.-") + ["\u4e00\u0301", "\u9fff", "\u3400"]
    rnd = random.Random(21)
    for text in ("一" + "ＡＢ́" * 40 + "二", "ＡＢ一", "一ＡＢ", "一〪́二", "́一é"):
        assert _nfkc(text) == unicodedata.normalize("NFKC", text), repr(text)
    for _ in range(4000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(0, 90)))
        assert _nfkc(text) == unicodedata.normalize("NFKC", text), repr(text)
        assert normalise_text(text) == plain_normalise_text(text), repr(text)
