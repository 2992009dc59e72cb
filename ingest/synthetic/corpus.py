"""Generate a corpus: agencies × years of reports in several formats, with their truth.

Per agency-year: figures (``figures.py``) → printed cells with quirks → blocks
(``document.py``) → one file per format (``render.py``). A revision adds a
second file for the same agency-year, published later, that corrects a
mistyped cell of the first. Everything is drawn from random generators seeded
by ``seed`` and the agency (and year), so a seed always gives the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

from ..template import layout_for, select
from . import figures
from .agencies import Agency, build_agencies, draw_traits
from .divisions import DIVISIONS_CSV, county_prefix, load_divisions, tree
from .document import Block, Para, Printed, t2_grid, t3_grid, t4_grid
from .render import EXTENSIONS, render
from .truth import CARRY_BREAK_RULE, SynthReport, write_truth

MARKER = "XXGK-SYNTHETIC：本报告由 xxgk 生成器合成，仅供演示与测试，不是真实的政府信息公开年度报告。"

# Per report: blank_zero, split_digits (HTML, DOCX), missing_labels, annotated, broken_total, carry_break, revision.
# Per agency: renamed, missing_year, legacy_t3 (the 2019 row （六）其他处理 kept after 2021).
DEFAULT_QUIRK_RATES = {
    "blank_zero": 0.15,
    "split_digits": 0.2,
    "missing_labels": 0.2,
    "annotated": 0.1,
    "broken_total": 0.03,
    "carry_break": 0.03,
    "revision": 0.03,
    "renamed": 0.05,
    "missing_year": 0.03,
    "legacy_t3": 0.05,
}
DEMO_FORMATS = {"html": 0.4, "pdf": 0.2, "docx": 0.15, "markdown": 0.1, "text": 0.15}
SPLIT_FORMATS = ("html", "docx")


def format_plan(rng: random.Random, formats: Mapping[str, float] | tuple[str, ...], n: int) -> list[str]:
    """``n`` formats in the stated proportions (largest remainder), shuffled."""
    shares = dict(formats) if isinstance(formats, Mapping) else {f: 1.0 for f in formats}
    unknown = set(shares) - set(EXTENSIONS)
    if unknown:
        raise ValueError(f"unknown formats: {sorted(unknown)}; known: {sorted(EXTENSIONS)}")
    total = sum(shares.values())
    if total <= 0 or any(v < 0 for v in shares.values()):
        raise ValueError(f"format shares must be non-negative with a positive sum: {shares}")
    raw = {f: n * s / total for f, s in shares.items()}
    counts = {f: int(x) for f, x in raw.items()}
    for f in sorted(raw, key=lambda f: raw[f] - counts[f], reverse=True)[: n - sum(counts.values())]:
        counts[f] += 1
    plan = [f for f in shares for _ in range(counts[f])]
    rng.shuffle(plan)
    return plan


def _num(v: float | None) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v != int(v):
        return f"{v:.2f}".rstrip("0").rstrip(".")
    return str(int(v))


def _published(rng: random.Random, year: int) -> date:
    start = date(year + 1, 1, 5)
    return start + timedelta(days=int(rng.triangular(0, 85, 10)))


def _fee_sentence(rng: random.Random, year: int, fee: float, cases: int) -> str:
    if fee:
        return f"{year}年度，本机关共收取政府信息公开信息处理费{_num(fee)}元，涉及{cases}件申请。"
    return rng.choice(
        [
            f"{year}年度，本机关未收取政府信息公开信息处理费。",
            "本年度未发生政府信息公开收费情况。",
            f"本机关{year}年未收取信息处理费。",
        ]
    )


def _title(rng: random.Random, agency: str, year: int) -> str:
    r = rng.random()
    if r < 0.8:
        return f"{agency}{year}年政府信息公开工作年度报告"
    return f"{agency}{year}年度政府信息公开工作报告" if r < 0.9 else f"{year}年{agency}政府信息公开工作年度报告"


OVERVIEW = [
    "围绕中心工作，不断完善政务公开制度，规范依申请公开办理流程。",
    "加强政策解读和回应关切，提升政务公开质量。",
    "持续推进基层政务公开标准化规范化建设。",
    "做好政府信息管理，及时更新政府信息公开指南和目录。",
]
PROBLEMS = [
    "存在的主要问题：政策解读形式还不够丰富，依申请公开答复的规范性有待提高。改进措施：加强业务培训，完善工作机制。",
    "一是主动公开的及时性有待加强；二是公开平台建设仍需完善。下一步将压实工作责任，强化监督考核。",
]


def compose(rep: SynthReport, printed: Printed, rng: random.Random, revision_note: bool) -> list[Block]:
    y, agency = rep.year, rep.agency
    out: list[Block] = [Para(MARKER, "marker"), Para(rep.title, "title")]
    if revision_note:
        out.append(Para("（本报告为修订版，更正了原报告表三中的个别数据。）", "note"))
    out += [
        Para("本报告根据《中华人民共和国政府信息公开条例》编制。"),
        Para(f"本报告中所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。"),
        Para("一、总体情况", "heading"),
        Para(f"{y}年，{agency}认真贯彻落实政府信息公开各项要求。"),
        Para(rng.choice(OVERVIEW)),
        Para("二、主动公开政府信息情况", "heading"),
        t2_grid(printed),
        Para("三、收到和处理政府信息公开申请情况", "heading"),
        t3_grid(printed),
        Para("四、政府信息公开行政复议、行政诉讼情况", "heading"),
        t4_grid(printed),
        Para("五、存在的主要问题及改进情况", "heading"),
        Para(rng.choice(PROBLEMS)),
        Para("六、其他需要报告的事项", "heading"),
        Para(rep.info_fee["stated"]),
        Para(agency, "sign"),
        Para(f"{rep.published[:4]}年{int(rep.published[5:7])}月{int(rep.published[8:10])}日", "sign"),
    ]
    return out


class _Report:
    """Printed texts and truth of one file, built up quirk by quirk."""

    def __init__(self, t2: dict, t3: dict, t4: dict):
        self.values: dict[tuple[str, str, str], float | None] = {}
        for tid, cells in (("t2", t2), ("t3", t3), ("t4", t4)):
            for (r, c), v in cells.items():
                self.values[(tid, r, c)] = v
        self.text = {k: _num(v) for k, v in self.values.items()}
        self.findings: list[dict] = []

    def set(self, key: tuple[str, str, str], value: float | None, text: str | None = None) -> None:
        self.values[key] = value
        self.text[key] = _num(value) if text is None else text

    def find(self, rule: str, table: str, row: str, col: str, **extra) -> None:
        f = {"rule_id": rule, "table_id": table, "row_key": row, "col_key": col, **extra}
        if f not in self.findings:
            self.findings.append(f)

    def copy(self) -> _Report:
        other = _Report({}, {}, {})
        other.values, other.text, other.findings = dict(self.values), dict(self.text), list(self.findings)
        return other

    def truth(self) -> dict[str, float | None]:
        return {f"{t}|{r}|{c}": v for (t, r, c), v in self.values.items()}


def _leaf_rows(layout: str) -> list[str]:
    return [
        k.key
        for k in select(layout, "t3", "row")
        if k.group_key not in ("received", "total_processed", "carried_forward")
    ]


def _broken_total(rng: random.Random, r: _Report, t3_layout: str, detail: dict) -> None:
    """A printed total off by a few: a block total of table 四, or a 总计 cell of a result row of table 三."""
    d = rng.randint(1, 5)
    if rng.random() < 0.6:
        block = rng.choice(select("2021", "t4", "row")).key
        r.set(("t4", block, "total"), r.values[("t4", block, "total")] + d)
        r.find("t4_total_equals_sum", "t4", block, "total")
        detail["broken_total"] = {"table": "t4", "row": block, "col": "total", "off_by": d}
    else:
        row = rng.choice(_leaf_rows(t3_layout))
        r.set(("t3", row, "total"), r.values[("t3", row, "total")] + d)
        r.find("t3_total_column_equals_sum", "t3", row, "total")
        r.find("t3_total_equals_sum_of_results", "t3", "total_processed", "total")
        detail["broken_total"] = {"table": "t3", "row": row, "col": "total", "off_by": d}


def _mistype(rng: random.Random, r: _Report, t3_layout: str, avoid: str | None) -> dict:
    """The error a revision corrects: one natural-person result cell mistyped in the first version."""
    row = rng.choice([k for k in _leaf_rows(t3_layout) if k != avoid])
    true = r.values[("t3", row, "natural_person")]
    wrong = true + rng.randint(1, 9)
    r.set(("t3", row, "natural_person"), wrong)
    r.find("t3_total_column_equals_sum", "t3", row, "total")
    r.find("t3_total_equals_sum_of_results", "t3", "total_processed", "natural_person")
    return {"row": row, "col": "natural_person", "printed": wrong, "corrected": true}


def generate(
    out_dir: str | Path,
    n_agencies: int = 50,
    years: range | list[int] = range(2021, 2026),
    seed: int = 0,
    formats: Mapping[str, float] | tuple[str, ...] = ("text", "html"),
    quirk_rates: Mapping[str, float] | None = None,
    divisions: str | Path = DIVISIONS_CSV,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
    total: Callable[[int], None] | None = None,
) -> list[SynthReport]:
    """Write the reports of ``n_agencies`` agencies over ``years`` under ``out_dir/reports/<year>/`` and the truth
    beside them (``truth.jsonl``, ``agencies.csv``, ``renames.csv``); return the truth, one entry per file.

    ``formats`` gives the formats and their shares (a tuple: equal shares); ``quirk_rates`` the rate of each
    quirk (missing keys: 0; None: :data:`DEFAULT_QUIRK_RATES`). ``total`` is called once, before any file is
    written, with the number of files the call writes (revisions are a second file); ``progress`` then with the
    number of files written as each agency is done. ``workers`` > 1 renders agencies in parallel processes (the
    output is the same).
    """
    rates = dict(DEFAULT_QUIRK_RATES if quirk_rates is None else quirk_rates)
    years = list(years)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    divs = load_divisions(divisions)
    agencies = build_agencies(rng, n_agencies, tree(divs), county_prefix(divs))
    draw_traits(rng, agencies, years, rates)
    names = [(a.name_in(y), y) for a in agencies for y in years]
    if len(set(names)) != len(names):
        raise ValueError("two generated agencies share a name in the same year")
    slots = [(a.uid, y) for a in agencies for y in years if y != a.missing_year]
    plan = dict(zip(slots, format_plan(rng, formats, len(slots))))
    jobs = [(a, years, seed, {y: plan.get((a.uid, y)) for y in years}, rates, out) for a in agencies]
    if total:
        total(sum(1 + ("revision" in _report_quirks(random.Random(f"{seed}|{uid}|{y}"), rates)) for uid, y in slots))
    reports: list[SynthReport] = []
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for reps in pool.map(_agency_reports, jobs, chunksize=1):
                reports += reps
                if progress:
                    progress(len(reps))
    else:
        for job in jobs:
            reps = _agency_reports(job)
            reports += reps
            if progress:
                progress(len(reps))
    write_truth(out, reports, agencies)
    return reports


def _agency_reports(job) -> list[SynthReport]:
    """All reports of one agency, year after year (its figures carry over)."""
    a, years, seed, plan, rates, out = job
    arng = random.Random(f"{seed}|{a.uid}")
    st = figures.initial_state(arng, a)
    reports: list[SynthReport] = []
    prev: int | None = None  # the last reported year
    for y in years:
        if y != a.missing_year:
            reports += _agency_year(a, y, st, arng, random.Random(f"{seed}|{a.uid}|{y}"), plan[y], rates, prev, out)
            prev = y
    return reports


REPORT_QUIRKS = ("blank_zero", "split_digits", "missing_labels", "annotated", "broken_total", "carry_break", "revision")


def _report_quirks(rrng: random.Random, rates: Mapping[str, float]) -> list[str]:
    """The first draws of a report's own random source: which report quirks it gets (a revision is a second file)."""
    return [q for q in REPORT_QUIRKS if rrng.random() < rates.get(q, 0.0)]


def _draw_quirks(
    a: Agency, y: int, rrng: random.Random, fmt: str, rates: Mapping[str, float], prev: int | None, detail: dict
) -> list[str]:
    """The report's own quirks at their rates, where they apply, and the agency's quirks that show in this year."""
    quirks = _report_quirks(rrng, rates)
    if "split_digits" in quirks and fmt not in SPLIT_FORMATS:
        quirks.remove("split_digits")
    if "carry_break" in quirks and not (prev == y - 1 and a.name_in(y) == a.name_in(y - 1)):
        quirks.remove("carry_break")  # only where last year's report exists, under the same name
    if a.renamed_in == y:
        quirks.append("renamed")
        detail["renamed"] = {"old": a.old_name, "new": a.name}
    if a.missing_year is not None and prev == a.missing_year - 1 and y == a.missing_year + 1:
        quirks.append("missing_year")
        detail["missing_year"] = a.missing_year
    if a.legacy_t3 and y >= 2021:
        quirks.append("legacy_t3")
    return quirks


def _break_carry(rrng: random.Random, st: figures.AgencyState, detail: dict) -> list[dict]:
    """Print a carried-over figure that differs from last year's carried-forward (the chain goes on from it)."""
    before = st.carry["natural_person"]
    delta = rrng.choice([d for d in range(-max(1, before // 2), 6) if d and before + d >= 0])
    total_before = sum(st.carry.values())
    st.carry["natural_person"] = before + delta
    detail["carry_break"] = {"previous_carried_forward": before, "printed_carried_over": before + delta}
    return [
        {
            "rule_id": CARRY_BREAK_RULE,
            "table_id": "t3",
            "row_key": "carried_over",
            "col_key": col,
            "expected": exp,
            "actual": exp + delta,
        }
        for col, exp in (("natural_person", before), ("total", total_before))
    ]


def _print_quirks(
    r: _Report, quirks: list[str], rrng: random.Random, layout: str, t3_layout: str, detail: dict
) -> set[str]:
    """Apply the printing quirks to the cells; returns the table 三 rows whose labels are lost."""
    if "blank_zero" in quirks:
        for (t, row, col), v in list(r.values.items()):
            if t == "t3" and col in figures.LEGAL_COLS and v == 0:
                r.set((t, row, col), None)
    if "annotated" in quirks:
        key = ("t2", "normative_documents", "issued" if layout == "2021" else "newly_made")
        r.text[key] += f"（其中修订{rrng.randint(1, 3)}件）"
        detail["annotated"] = {"row": key[1], "col": key[2], "text": r.text[key]}
    if "broken_total" in quirks:
        _broken_total(rrng, r, t3_layout, detail)
    if "split_digits" in quirks:
        n_split = sum(1 for t in r.text.values() if len(t) >= 2 and t.isdigit())
        if n_split:
            detail["split_digits"] = n_split
        else:
            quirks.remove("split_digits")  # no number of two digits or more to split
    if "missing_labels" not in quirks:
        return set()
    rows = [k.key for k in select(t3_layout, "t3", "row")]
    lost = set(rrng.sample(rows[1:-1], 4))
    detail["missing_labels"] = sorted(lost)
    return lost


def _agency_year(
    a: Agency,
    y: int,
    st: figures.AgencyState,
    arng: random.Random,
    rrng: random.Random,
    fmt: str,
    rates: Mapping[str, float],
    prev: int | None,
    out: Path,
) -> list[SynthReport]:
    """The file (two for a revision) of one agency-year, written under ``out``; returns their truth."""
    layout = layout_for("t2", y)  # seed layouts: 2019 for report years up to 2020
    t3_layout = "2019" if a.legacy_t3 else layout
    name = a.name_in(y)
    detail: dict = {}
    quirks = _draw_quirks(a, y, rrng, fmt, rates, prev, detail)
    title = _title(rrng, name, y)
    carry_findings = _break_carry(rrng, st, detail) if "carry_break" in quirks else []
    t3 = figures.t3(arng, a, st, y, t3_layout)
    t4 = figures.t4(arng, a, t3[("new_received", "total")])
    t2 = figures.t2(arng, a, st, layout)
    fee, fee_cases = figures.info_fee(arng, a, y)

    r = _Report(t2, t3, t4)
    r.findings += carry_findings
    lost = _print_quirks(r, quirks, rrng, layout, t3_layout, detail)
    info = {"amount_yuan": fee, "cases": fee_cases, "stated": _fee_sentence(rrng, y, fee, fee_cases)}
    pub = _published(rrng, y)
    versions = [(r, pub, 1)]
    if "revision" in quirks:
        first = r.copy()
        detail["revision"] = _mistype(rrng, first, t3_layout, detail.get("broken_total", {}).get("row"))
        versions = [(first, pub, 1), (r, pub + timedelta(days=rrng.randint(20, 150)), 2)]
    reps = []
    for cells, published, version in versions:
        rq = [q for q in quirks if q != "revision"] + (
            ["revision"] if version == 2 else ["revised_later"] if len(versions) > 1 else []
        )
        rep = SynthReport(
            file=f"reports/{y}/{name}_{y}{'_修订版' if version == 2 else ''}.{EXTENSIONS[fmt]}",
            title=title,
            agency=name,
            year=y,
            layout=layout,
            fmt=fmt,
            published=published.isoformat(),
            cells=cells.truth(),
            quirks=rq,
            info_fee=info,
            agency_uid=a.uid,
            agency_current=a.name,
            layouts={"t2": layout, "t3": t3_layout, "t4": layout_for("t4", y)},
            version=version,
            is_current=version == len(versions),
            findings=cells.findings,
            quirk_detail=dict(detail),
        )
        printed = Printed(cells.text, layout, t3_layout, lost, "split_digits" in quirks)
        blocks = compose(rep, printed, random.Random(f"{a.uid}|{y}|text"), version == 2)
        path = out / rep.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render(fmt, blocks, {"title": title, "agency": name, "published": rep.published}))
        reps.append(rep)
    return reps
