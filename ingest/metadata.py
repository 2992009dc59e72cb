"""Report metadata from the document text: agency, year, publication date, sections.

Sources, in order of trust:

* agency: the title (``<agency>2024年政府信息公开工作年度报告`` or
  ``2024年<agency>政府信息公开工作年度报告``), the signature above the closing
  date, the opening sentence, then a page header field (发布机构);
* report year: the statistical period (统计期限自2024年1月1日…), then the title;
* published date: the signature date, then a page header (发布日期/公开日期),
  then file metadata (PDF creation date), the source named in ``published_source``.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from .model import Document, Paragraph, Table

_AGENCY_END = ("局", "委员会", "委", "厅", "办公室", "办", "人民政府", "政府", "中心", "院", "部", "署", "会", "所", "站",
               "队", "处", "室", "馆", "街道办事处", "街道", "镇", "乡", "管委会", "管理委员会", "公司", "集团", "社", "行", "府")
_REPORT = r"(?:政府)?信息公开(?:工作)?(?:年度)?报告"
_TITLE_A = re.compile(rf"^(?P<agency>[^\d，,。:：]{{2,40}}?)(?P<year>20\d\d)年度?{_REPORT}")
_TITLE_B = re.compile(rf"(?P<year>20\d\d)年度?(?P<agency>[^\d，,。:：]{{2,40}}?){_REPORT}")
_PERIOD = re.compile(r"(?:统计|期限|时限|期间|区间|时间).{0,16}?(?P<year>20\d\d)年1月1日")
_DATE = re.compile(r"(?P<y>20\d\d)\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
_ISO = re.compile(r"(?P<y>20\d\d)[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})")
_HEADER_DATE = re.compile(r"(?:发布日期|公开日期|成文日期|发布时间)\s*[:：|]?\s*")
_OPENING = re.compile(r"(?:20\d\d)年度?[,，]\s*(?P<agency>[^，,。；;]{3,30}?(?:局|委员会|厅|办公室|人民政府|中心))")
_NOISE = re.compile(r"^(正文|标题|附件|来源)[:：]?")


@dataclass
class Metadata:
    agency_name: str | None
    agency_source: str | None
    report_year: int | None
    year_source: str | None
    published_on: date | None
    published_source: str | None
    title: str | None


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").strip()


def _paragraphs(doc: Document) -> list[str]:
    return [_nfkc(b.text) for b in doc.blocks if isinstance(b, Paragraph) and b.text.strip()]


def _looks_agency(name: str) -> bool:
    return (3 <= len(name) <= 40 and name.endswith(_AGENCY_END) and not name.startswith(("政府", "人民政府", "我", "本"))
            and not re.search(r"[0-9《》“”]", name))


def _clean_agency(name: str) -> str:
    name = _NOISE.sub("", name.strip(" -—_:：|"))
    return re.sub(r"关于|印发|的$", "", name)


def _title(doc: Document, paras: list[str]) -> tuple[str | None, str | None, int | None, str | None]:
    """(title text, agency, year, how) from the first lines or the HTML title."""
    cands: list[tuple[str, str]] = []
    head = paras[:12]
    for i, p in enumerate(head):
        cands.append((p, "title"))
        if i + 1 < len(head):
            cands.append((p + head[i + 1], "title"))
        if i + 2 < len(head):
            cands.append((p + head[i + 1] + head[i + 2], "title"))
    if doc.meta.get("title"):
        cands.append((_nfkc(doc.meta["title"]), "html_title"))
    for key in ("pdf:Title", "docx:title"):
        if doc.meta.get(key):
            cands.append((_nfkc(doc.meta[key]), "file_metadata"))
    for text, how in cands:
        for pat in (_TITLE_B, _TITLE_A):
            m = pat.search(text)
            if m:
                agency = _clean_agency(m.group("agency"))
                if _looks_agency(agency):
                    return text, agency, int(m.group("year")), how
    return None, None, None, None


def _to_date(m: re.Match[str]) -> date | None:
    try:
        return date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return None


def _signature(paras: list[str]) -> tuple[str | None, date | None]:
    """The closing date line and the agency line just above it."""
    tail = paras[-12:]
    for i in range(len(tail) - 1, -1, -1):
        m = _DATE.fullmatch(tail[i])
        if m:
            agency = None
            for j in range(i - 1, max(-1, i - 3), -1):
                cand = _clean_agency(tail[j])
                if _looks_agency(cand):
                    agency = cand
                    break
            return agency, _to_date(m)
    return None, None


def _header_date(doc: Document) -> date | None:
    for block in doc.blocks[:60]:
        texts = [block.text] if isinstance(block, Paragraph) else [" ".join(r) for r in block.rows] if isinstance(block, Table) else []
        for t in texts:
            t = unicodedata.normalize("NFKC", t)
            h = _HEADER_DATE.search(t)
            if h:
                rest = t[h.end():h.end() + 24]
                m = _ISO.search(rest) or _DATE.search(rest)
                if m:
                    return _to_date(m)
    return None


def extract_metadata(doc: Document) -> Metadata:
    paras = _paragraphs(doc)
    title, agency, year, agency_src = _title(doc, paras)
    sig_agency, sig_date = _signature(paras)
    if not agency and sig_agency:
        agency, agency_src = sig_agency, "signature"
    if not agency:
        for p in paras[:30]:
            m = _OPENING.search(p)
            if m and _looks_agency(m.group("agency")) and not m.group("agency").startswith(("我", "本")):
                agency, agency_src = m.group("agency"), "opening_sentence"
                break
    if not agency:
        for key in ("meta:publisher", "meta:author", "meta:ContentSource"):
            if doc.meta.get(key) and _looks_agency(_nfkc(doc.meta[key])):
                agency, agency_src = _nfkc(doc.meta[key]), "file_metadata"
                break
    year_src = "title" if year else None
    for p in paras[:40]:
        m = _PERIOD.search(p)
        if m:
            year, year_src = int(m.group("year")), "statistical_period"
            break
    if year is None:
        for p in paras[:10]:
            m = re.search(r"(20\d\d)年度", p)
            if m:
                year, year_src = int(m.group(1)), "text"
                break
    published, pub_src = sig_date, "signature" if sig_date else None
    if published is None:
        published = _header_date(doc)
        pub_src = "page_header" if published else None
    if published is None and doc.meta.get("pdf:CreationDate"):
        m = _ISO.search(doc.meta["pdf:CreationDate"])
        if m:
            published, pub_src = _to_date(m), "pdf_metadata"
    return Metadata(agency, agency_src, year, year_src, published, pub_src, title)


_SECTION_ORDER = ("s5", "s6")


def section_texts(doc: Document, spans: dict[str, tuple[int, int]], rows) -> dict[str, str]:
    """The plain text of parts 五 and 六 (for search), from the flattened rows and their regions."""
    out = {}
    for sec in _SECTION_ORDER:
        if sec in spans:
            a, b = spans[sec]
            out[sec] = "\n".join(r.text for r in rows[a:b] if r.text.strip())
    return out


_FEE_AMOUNT = re.compile(r"处理费[^。；;]{0,30}?(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>万元|元)")
_FEE_AMOUNT_BEFORE = re.compile(r"(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>万元|元)[^。；;]{0,10}处理费")
_FEE_NONE = re.compile(r"(未|没有|无)[^。；;]{0,20}(收取|收费|产生|发生)|(未|没有)发生[^。；;]{0,10}收费|处理费[^。；;]{0,6}(为)?零|无[^。；;]{0,20}处理费")
_FEE_CASES = re.compile(r"(?P<cases>\d+)\s*(件|笔|次|宗)")


def info_processing_fee(doc: Document) -> tuple[float | None, int | None, str | None]:
    """(amount in yuan, cases, the sentence) for the information-processing fee stated in the text."""
    for raw in _paragraphs(doc):
        for sentence in re.split(r"(?<=[。；;])", raw):
            if "收费" not in sentence and "处理费" not in sentence:
                continue
            if "处理费" not in sentence and "信息公开" not in sentence:
                continue
            m = _FEE_AMOUNT.search(sentence) or _FEE_AMOUNT_BEFORE.search(sentence)
            if m:
                amount = float(m.group("amount")) * (10000 if m.group("unit") == "万元" else 1)
                c = _FEE_CASES.search(sentence)
                cases = int(c.group("cases")) if c else (0 if amount == 0 else None)
                return amount, cases, sentence
            if _FEE_NONE.search(sentence):
                return 0.0, 0, sentence
    return None, None, None
