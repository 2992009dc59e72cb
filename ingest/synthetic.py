"""A deterministic generator of synthetic annual reports, with their truth.

Every generated report carries the marker ``XXGK-SYNTHETIC`` in its first
lines, so ingest flags it (``dim_report.is_synthetic``) and it can never pass
for a real report. The figures obey the reconciliation rules, carry forward
from year to year per agency, and the truth of every cell is written beside
the files (``truth.jsonl``), so tests can check the warehouse cell by cell.

Quirks seen in real reports can be injected at given rates; each one is
recorded in the truth of the report it was injected into:

* ``blank_zero``: zeros of the legal-person columns printed as blanks;
* ``split_digits``: HTML numbers split across ``<span>`` elements;
* ``missing_labels``: some t3 row labels lost (text form);
* ``annotated``: a t2 cell printed with a note, ``12（其中修订 3 件）``;
* ``broken_total``: a t4 total printed wrong (a source inconsistency).
"""
from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from datetime import date
from html import escape
from pathlib import Path

from .template import Key, select, t2_columns_for

MARKER = "XXGK-SYNTHETIC：本报告由 xxgk 生成器合成，仅供演示与测试，不是真实的政府信息公开年度报告。"

CITIES = [("山东省", "济南市"), ("山东省", "青岛市"), ("山东省", "泰安市"), ("江苏省", "南京市"), ("江苏省", "淮安市"),
          ("江苏省", "宿迁市"), ("浙江省", "杭州市"), ("浙江省", "宁波市"), ("广东省", "广州市"), ("广东省", "佛山市"),
          ("四川省", "成都市"), ("湖北省", "武汉市"), ("河南省", "郑州市"), ("安徽省", "合肥市")]
DEPARTMENTS = ["人民政府", "人民政府办公室", "发展和改革委员会", "教育局", "公安局", "民政局", "财政局", "人力资源和社会保障局",
               "自然资源和规划局", "生态环境局", "住房和城乡建设局", "交通运输局", "农业农村局", "卫生健康委员会",
               "市场监督管理局", "行政审批服务局", "应急管理局", "医疗保障局"]
LEGAL_COLS = ("commercial_enterprise", "research_institution", "social_welfare_org", "legal_service_org", "other_org")
DEFAULT_QUIRK_RATES = {"blank_zero": 0.15, "split_digits": 0.2, "missing_labels": 0.2, "annotated": 0.1, "broken_total": 0.03}


@dataclass
class SynthReport:
    file: str
    agency: str
    year: int
    layout: str
    fmt: str
    published: str
    cells: dict[str, float | None]            # "t3|row|col" -> value, None = printed blank
    quirks: list[str] = field(default_factory=list)
    info_fee: dict = field(default_factory=dict)


def _split(rng: random.Random, total: int, n: int, weights: list[float]) -> list[int]:
    """Split ``total`` into ``n`` non-negative integers, roughly by weight."""
    if total <= 0:
        return [0] * n
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    rest = total - sum(out)
    order = sorted(range(n), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[:rest]:
        out[i] += 1
    return out


class _AgencyState:
    def __init__(self, rng: random.Random, scale: float):
        self.scale = scale
        self.carry = {c: 0 for c in ("natural_person", *LEGAL_COLS)}
        self.in_force = {"regulations": rng.randint(0, 3), "normative_documents": rng.randint(0, 40)}


def _t3(rng: random.Random, layout: str, st: _AgencyState, year: int) -> dict[tuple[str, str], int]:
    rows = select(layout, "t3", "row")
    leaves = [k for k in rows if k.group_key not in ("received", "total_processed", "carried_forward")]
    weights = [{"granted": 30, "partially_granted": 8, "denied": 1.0, "unable": 6, "not_processed": 2, "other": 3}[k.group_key]
               * rng.uniform(0.3, 1.7) for k in leaves]
    cells: dict[tuple[str, str], int] = {}
    trend = 1.0 + 0.06 * (year - 2019)
    for col in ("natural_person", *LEGAL_COLS):
        share = 1.0 if col == "natural_person" else rng.choice([0, 0, 0.05, 0.1, 0.2])
        new = int(rng.lognormvariate(0, 1.0) * st.scale * share * trend)
        carried = st.carry[col]
        available = new + carried
        forward = int(available * rng.uniform(0.0, 0.12)) if available else 0
        handled = available - forward
        parts = _split(rng, handled, len(leaves), weights)
        cells[("new_received", col)] = new
        cells[("carried_over", col)] = carried
        for k, v in zip(leaves, parts):
            cells[(k.key, col)] = v
        cells[("total_processed", col)] = handled
        cells[("carried_forward", col)] = forward
        st.carry[col] = forward
    for k in rows:
        cells[(k.key, "total")] = sum(cells[(k.key, c)] for c in ("natural_person", *LEGAL_COLS))
    return cells


def _t4(rng: random.Random, scale: float) -> dict[tuple[str, str], int]:
    cells = {}
    for block in select("2021", "t4", "row"):
        n = rng.choice([0, 0, 0, 1, 2, int(scale / 20)])
        parts = _split(rng, n, 4, [5, 1, 1.5, 1])
        for col, v in zip(("upheld", "corrected", "other", "pending"), parts):
            cells[(block.key, col)] = v
        cells[(block.key, "total")] = n
    return cells


def _t2(rng: random.Random, layout: str, st: _AgencyState, scale: float) -> dict[tuple[str, str], float]:
    cells: dict[tuple[str, str], float] = {}
    for row in select(layout, "t2", "row"):
        for col in t2_columns_for(layout, row):
            if row.key in ("regulations", "normative_documents"):
                if col.key in ("issued", "newly_made"):
                    v = rng.randint(0, 2 if row.key == "regulations" else 8)
                elif col.key in ("abolished",):
                    v = rng.randint(0, min(2, st.in_force[row.key]))
                elif col.key == "newly_published":
                    v = cells.get((row.key, "newly_made"), 0)
                else:
                    v = None
                if col.key in ("in_force", "total_published"):
                    issued = cells.get((row.key, "issued"), cells.get((row.key, "newly_made"), 0))
                    st.in_force[row.key] += int(issued) - int(cells.get((row.key, "abolished"), 0))
                    v = st.in_force[row.key]
                cells[(row.key, col.key)] = v
            elif col.key == "amount_10k_yuan":
                cells[(row.key, col.key)] = rng.choice([0, 0, 0, round(rng.uniform(0.5, 300), 2)])
            elif col.key == "change_this_year":
                cells[(row.key, col.key)] = rng.randint(-3, 3)
            elif col.key == "procurement_amount":
                cells[(row.key, col.key)] = rng.randint(0, 900) * 1000
            else:
                cells[(row.key, col.key)] = int(rng.lognormvariate(0, 1.2) * scale * (8 if row.key == "licensing" else 1))
    return cells


def _num(v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:g}" if isinstance(v, float) and v != int(v) else str(int(v))


def _render_text(rep: SynthReport, grid: dict, rows_t3: list[Key], layout_t2: str, lost_labels: set[str]) -> str:
    out = [MARKER, f"{rep.agency}{rep.year}年政府信息公开工作年度报告",
           f"本报告根据《中华人民共和国政府信息公开条例》编制。报告中所列数据的统计期限自{rep.year}年1月1日起至{rep.year}年12月31日止。",
           "一、总体情况", f"{rep.year}年，{rep.agency}认真落实政务公开各项工作要求。", "二、主动公开政府信息情况"]
    for row in select(layout_t2, "t2", "row"):
        cols = t2_columns_for(layout_t2, row)
        out.append("信息内容 | " + " | ".join(c.label_zh for c in cols) + " |")
        out.append(row.label_zh + " | " + " | ".join(grid["t2"][(row.key, c.key)] for c in cols) + " |")
    out.append("三、收到和处理政府信息公开申请情况")
    out.append("(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和) | 申请人情况 | ||||||")
    out.append("自然人 | 法人或其他组织 | 总计 | |||||")
    out.append("商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | ||||")
    for k in rows_t3:
        vals = " | ".join(grid["t3"][(k.key, c.key)] for c in select(rep.layout, "t3", "column"))
        label = "" if k.key in lost_labels else k.label_zh + " | "
        out.append(f"{label}{vals} | ||")
    out.append("四、政府信息公开行政复议、行政诉讼情况")
    out.append("行政复议 | 行政诉讼 | |||||||||||||")
    out.append(" | ".join(grid["t4"][(b.key, c.key)] for b in select("2021", "t4", "row") for c in select("2021", "t4", "column")) + " |")
    out += ["五、存在的主要问题及改进情况", "信息公开工作仍有改进空间。", "六、其他需要报告的事项", rep.info_fee["stated"],
            rep.agency, f"{rep.published[:4]}年{int(rep.published[5:7])}月{int(rep.published[8:10])}日"]
    return "\n".join(out) + "\n"


def _td(text: str, split: bool, attrs: str = "") -> str:
    if split and len(text) >= 2 and text.isdigit():
        cut = len(text) // 2
        inner = f"<span>{text[:cut]}</span><span style=\"font-family:宋体\">{text[cut:]}</span>"
    else:
        inner = f"<span><font face=\"仿宋\">{escape(text) if text else '&nbsp;'}</font></span><o:p></o:p>"
    return f"<td{attrs}><p>{inner}</p></td>"


def _render_html(rep: SynthReport, grid: dict, rows_t3: list[Key], layout_t2: str, split: bool) -> str:
    h = [f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{rep.agency}{rep.year}年政府信息公开工作年度报告</title></head><body>",
         f"<p>{MARKER}</p>", f"<h1>{rep.agency}{rep.year}年政府信息公开工作年度报告</h1>",
         f"<p>本报告中所列数据的统计期限自{rep.year}年1月1日起至{rep.year}年12月31日止。</p>",
         "<p>一、总体情况</p>", f"<p>{rep.year}年，{rep.agency}认真落实政务公开各项工作要求。</p>",
         "<p>二、主动公开政府信息情况</p><table border=\"1\"><tbody>"]
    for row in select(layout_t2, "t2", "row"):
        cols = t2_columns_for(layout_t2, row)
        span = "" if len(cols) > 1 else " colspan=\"3\""
        h.append("<tr>" + _td("信息内容", False) + "".join(_td(c.label_zh, False, span) for c in cols) + "</tr>")
        h.append("<tr>" + _td(row.label_zh, False) + "".join(_td(grid["t2"][(row.key, c.key)], split, span) for c in cols) + "</tr>")
    h.append("</tbody></table><p>三、收到和处理政府信息公开申请情况</p><table border=\"1\"><tbody>")
    h.append("<tr><td colspan=\"3\" rowspan=\"3\">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td><td colspan=\"7\">申请人情况</td></tr>")
    h.append("<tr><td rowspan=\"2\">自然人</td><td colspan=\"5\">法人或其他组织</td><td rowspan=\"2\">总计</td></tr>")
    h.append("<tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>")
    cols = select(rep.layout, "t3", "column")
    for k in rows_t3:
        cells = "".join(_td(grid["t3"][(k.key, c.key)], split) for c in cols)
        h.append("<tr>" + _td(k.label_zh, False, ' colspan="3"') + cells + "</tr>")
    h.append("</tbody></table><p>四、政府信息公开行政复议、行政诉讼情况</p><table border=\"1\"><tbody>")
    h.append("<tr><td colspan=\"5\">行政复议</td><td colspan=\"10\">行政诉讼</td></tr>")
    h.append("<tr>" + "".join(_td(c.label_zh, False, ' rowspan="2"') for c in select("2021", "t4", "column"))
             + "<td colspan=\"5\">未经复议直接起诉</td><td colspan=\"5\">复议后起诉</td></tr>")
    h.append("<tr>" + "".join(_td(c.label_zh, False) for _ in range(2) for c in select("2021", "t4", "column")) + "</tr>")
    h.append("<tr>" + "".join(_td(grid["t4"][(b.key, c.key)], split) for b in select("2021", "t4", "row")
                              for c in select("2021", "t4", "column")) + "</tr>")
    h.append("</tbody></table><p>五、存在的主要问题及改进情况</p><p>信息公开工作仍有改进空间。</p>")
    h.append(f"<p>六、其他需要报告的事项</p><p>{rep.info_fee['stated']}</p><p>{rep.agency}</p>")
    h.append(f"<p>{rep.published[:4]}年{int(rep.published[5:7])}月{int(rep.published[8:10])}日</p></body></html>")
    return "\n".join(h)


def generate(out_dir: str | Path, n_agencies: int = 50, years: range = range(2021, 2026), seed: int = 0,
             formats: tuple[str, ...] = ("text", "html"), quirk_rates: dict[str, float] | None = None) -> list[SynthReport]:
    """Write ``n_agencies × len(years)`` reports under ``out_dir/reports/`` and their truth to
    ``out_dir/truth.jsonl``; return the truth."""
    rng = random.Random(seed)
    rates = DEFAULT_QUIRK_RATES if quirk_rates is None else quirk_rates
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    agencies = []
    names = set()
    while len(agencies) < n_agencies:
        prov, city = rng.choice(CITIES)
        dept = rng.choice(DEPARTMENTS)
        name = f"{city}{dept}"
        if name in names:
            if len(names) >= len(CITIES) * len(DEPARTMENTS):
                raise ValueError("too many agencies for the built-in name list")
            continue
        names.add(name)
        scale = {"人民政府": 60, "人民政府办公室": 25}.get(dept, 8) * rng.uniform(0.5, 2.0)
        agencies.append((name, _AgencyState(rng, scale)))
    reports: list[SynthReport] = []
    for ai, (agency, st) in enumerate(agencies):
        for year in years:
            layout = "2019" if year <= 2020 else "2021"
            fmt = formats[(ai + year) % len(formats)]
            quirks = [q for q, p in rates.items() if rng.random() < p]
            t3 = _t3(rng, layout, st, year)
            t4 = _t4(rng, st.scale)
            t2 = _t2(rng, layout, st, st.scale)
            truth: dict[str, float | None] = {}
            grid: dict[str, dict] = {"t2": {}, "t3": {}, "t4": {}}
            for (r, c), v in t2.items():
                grid["t2"][(r, c)] = _num(v)
                truth[f"t2|{r}|{c}"] = v
            if "annotated" in quirks:
                key = ("normative_documents", "issued" if layout == "2021" else "newly_made")
                grid["t2"][key] += f"（其中修订 {rng.randint(0, 3)} 件）"
            for (r, c), v in t3.items():
                blank = "blank_zero" in quirks and c in LEGAL_COLS and v == 0
                grid["t3"][(r, c)] = "" if blank else _num(v)
                truth[f"t3|{r}|{c}"] = None if blank else v
            if "broken_total" in quirks:
                block = rng.choice(select("2021", "t4", "row")).key
                t4[(block, "total")] += rng.randint(1, 5)
            for (r, c), v in t4.items():
                grid["t4"][(r, c)] = _num(v)
                truth[f"t4|{r}|{c}"] = v
            rows_t3 = select(layout, "t3", "row")
            lost: set[str] = set()
            if "missing_labels" in quirks and fmt == "text":
                lost = set(rng.sample([k.key for k in rows_t3[1:-1]], 4))
            elif "missing_labels" in quirks:
                quirks.remove("missing_labels")
            if "split_digits" in quirks and fmt != "html":
                quirks.remove("split_digits")
            fee = rng.choice([0, 0, 0, 0, rng.randint(1, 50) * 10])
            stated = (f"{year}年度，本机关未收取政府信息公开信息处理费。" if fee == 0
                      else f"{year}年度，本机关共收取政府信息公开信息处理费{fee}元。")
            pub = date(year + 1, rng.randint(1, 3), rng.randint(1, 28)).isoformat()
            rep = SynthReport("", agency, year, layout, fmt, pub, truth, quirks,
                              {"amount_yuan": float(fee), "cases": 0 if fee == 0 else None, "stated": stated})
            if fmt == "html":
                body = _render_html(rep, grid, rows_t3, layout, "split_digits" in quirks).encode("utf-8")
                ext = "html"
            else:
                body = _render_text(rep, grid, rows_t3, layout, lost).encode("utf-8")
                ext = "txt"
            rep.file = f"reports/{year}/{agency}_{year}.{ext}"
            (out / "reports" / str(year)).mkdir(parents=True, exist_ok=True)
            (out / rep.file).write_bytes(body)
            reports.append(rep)
    with open(out / "truth.jsonl", "w", encoding="utf-8") as f:
        for rep in reports:
            f.write(json.dumps(asdict(rep), ensure_ascii=False) + "\n")
    return reports


def load_truth(path: str | Path) -> list[SynthReport]:
    with open(path, encoding="utf-8") as f:
        return [SynthReport(**json.loads(line)) for line in f if line.strip()]
