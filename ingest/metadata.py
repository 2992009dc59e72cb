"""Report metadata from the document text: agency, year, publication date, sections.

Sources, in order of trust (the source of each is recorded beside it):

* agency (``agency_source``): the title (``<agency>2024年政府信息公开工作年度报告`` or
  ``2024年<agency>…报告``; ``html_title``, ``file_metadata`` when it is the page or file title),
  the signature above or beside the closing date (``signature``), a ``发布机构``/``来源`` field of
  the page header (``publisher_field``), the opening sentence (``opening_sentence``), the body:
  the name most often starting a sentence (平潭综合实验区坚持…, ``body``), file metadata;
* report year (``year_source``): the statistical period (``statistical_period``), the title
  (``title``), ``<year>年度`` near the top (``text``), a sentence starting ``2024年，`` in the
  opening (``opening_sentence``) or the body (``body``), else the year before publication
  (``published_date``, with a finding);
* published date (``published_source``): the signature date (``signature``), a page header
  (发布日期/公开日期, ``page_header``), then the PDF creation date (``pdf_metadata``).

Every candidate agency name is validated by :meth:`ingest.agency_names.Resolver.names_agency` (a division
or zone followed by an agency word of the seeds, a central body, or a known old name), so fragments of
sentences (在省政府办公厅) are never taken. When no candidate holds, the agency is null and the
finding ``agency_unknown`` says so; a name read through an abbreviation or a lookalike character gets
the finding ``agency_abbreviation`` or ``agency_lookalike``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from .agency_names import Resolver
from .model import Document, Paragraph, Table

_REPORT = r"(?:政府)?信息公开(?:工作)?(?:年度)?报告"
_TITLE_A = re.compile(rf"^(?P<agency>[^\d，,。:：]{{2,40}}?)(?P<year>20\d\d)年度?{_REPORT}")
_TITLE_B = re.compile(rf"(?P<year>20\d\d)年度?(?P<agency>[^\d，,。:：]{{2,40}}?){_REPORT}")
_PERIOD = re.compile(r"(?:统计|期限|时限|期间|区间|时间).{0,16}?(?P<year>20\d\d)年1月1日")
_DATE = re.compile(r"(?P<y>20\d\d)\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日")
_ISO = re.compile(r"(?P<y>20\d\d)[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})")
_HEADER_DATE = re.compile(r"(?:发布日期|公开日期|成文日期|发布时间)\s*[:：|]?\s*")
_PUBLISHER = re.compile(
    r"(?:(?:发布机构|发文机关|发布单位|发布部门|公开主体|公开单位|发布者)\s*[:：|]?|(?:信息来源|来源|单位)\s*[:：])"
    r"\s*(?P<name>[^\s|:：，,。；;]{2,40})"
)
_NOISE = re.compile(r"^(正文|标题|附件|来源)[:：]?")
_SENTENCE_YEAR = re.compile(r"(?:^|[。！？；;])(?P<year>20\d\d)年度?(?:[,，]|以来)")
# A sentence opens with the agency when the name is followed by what it did (平潭综合实验区坚持…).
_VERBS = (
    "坚持",
    "深入",
    "认真",
    "严格",
    "全面",
    "持续",
    "始终",
    "进一步",
    "高度重视",
    "按照",
    "围绕",
    "聚焦",
    "扎实",
    "不断",
    "积极",
    "大力",
    "切实",
    "着力",
    "紧紧",
    "牢固",
    "以习近平",
    "把",
    "将",
    "共",
    "全年",
    "主动",
    "依法",
    "贯彻",
    "落实",
    "在",
    "通过",
    "加强",
    "不折不扣",
    "紧扣",
    "立足",
    "继续",
    "对标",
    "强化",
    "注重",
    "推进",
)
# Words that never stand in an agency name: a candidate holding one is a piece of a sentence
# (平潭综合实验区位于福建省东部 ends in 部 but is no department).
_NOT_A_NAME = (
    "信息公开",
    "报告",
    "年度",
    "领导小组",
    "关于",
    "印发",
    "位于",
    "坚持",
    "认真",
    "深入",
    "推进",
    "落实",
    "贯彻",
    "开展",
    "召开",
    "严格",
    "持续",
    "积极",
    "编制",
    "根据",
    "按照",
    "的",
    "了",
    "是",
    "在",
    "于",
    "把",
    "将",
    "要",
)
BODY_PARAGRAPHS = 80


@dataclass
class Metadata:
    agency_name: str | None
    agency_source: str | None
    report_year: int | None
    year_source: str | None
    published_on: date | None
    published_source: str | None
    title: str | None
    notes: list[tuple[str, str, str]] = field(default_factory=list)  # findings: (rule_id, severity, message)


def _compact(text: str) -> str:
    """A document's text (normalised when the Document was made) without spaces."""
    return text.replace(" ", "").strip()


def _paragraphs(doc: Document) -> list[str]:
    return [_compact(b.text) for b in doc.blocks if isinstance(b, Paragraph) and b.text.strip()]


@lru_cache(maxsize=1)
def _finder() -> _AgencyFinder:
    return _AgencyFinder(Resolver.from_seeds())


class _AgencyFinder:
    """Valid agency names in text: a division (or zone) name, then the longest run that names an agency."""

    def __init__(self, resolver: Resolver):
        self.resolver = resolver
        self.starts = {d.name for d in resolver.divisions}
        # names one lookalike character away (沐阳县) start a name too; the resolver says which division
        self.starts |= {
            n[:i] + alt + n[i + 1 :]
            for n in list(self.starts)
            for i, ch in enumerate(n)
            for alt in resolver.lookalikes.get(ch, ())
        }
        self.lengths = sorted({len(n) for n in self.starts}, reverse=True)
        self._valid: dict[str, bool] = {}

    def valid(self, name: str) -> bool:
        if name not in self._valid:
            self._valid[name] = not any(w in name for w in _NOT_A_NAME) and self.resolver.names_agency(name) is not None
        return self._valid[name]

    def longest_valid_suffix(self, text: str) -> str | None:
        """The longest valid name ending ``text`` (a title's agency part may carry a prefix: 【…】, 关于)."""
        for k in range(len(text) - 1):
            if self.valid(text[k:]):
                return text[k:]
        return None

    def names_in(self, text: str, sentence_start: bool = False, bare_ok: bool = False) -> list[str]:
        """Valid names in ``text`` in order; with ``sentence_start`` only those opening a sentence. With
        ``bare_ok`` (implied by ``sentence_start``) a bare division name counts when what it did follows
        (平潭综合实验区坚持…)."""
        out = []
        if sentence_start:
            for m in re.finditer(r"(?:^|(?<=[。！？；;]))(?:20\d\d年度?[,，]|今年以来[,，]|一年来[,，])?", text):
                out += self._at(text, m.end(), bare_ok=True)[:1]
            return out
        i = 0
        while i < len(text):
            got = self._at(text, i, bare_ok=bare_ok)
            if got:
                out.append(got[0])
                i += len(got[0])
            else:
                i += 1
        return out

    def _at(self, text: str, i: int, bare_ok: bool) -> list[str]:
        div_end = next((i + n for n in self.lengths if text[i : i + n] in self.starts), None)
        if div_end is None:
            return []
        stop = re.search(r"[\s，,。；;：:、！？!?（）()《》“”\"]", text[i:])
        limit = min(len(text), i + 40, i + stop.start() if stop else len(text))
        for j in range(limit, div_end, -1):
            if self.valid(text[i:j]):
                return [text[i:j]]
        if bare_ok and text.startswith(_VERBS, div_end) and self.valid(text[i:div_end]):
            return [text[i:div_end]]
        return []


_TITLE_WORDS = re.compile(r"关于|印发|的$")


def _clean_agency(name: str) -> str:
    name = _NOISE.sub("", name.strip(" -—_:：|"))
    return _TITLE_WORDS.sub("", name)


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
        cands.append((_compact(doc.meta["title"]), "html_title"))
    for key in ("pdf:Title", "docx:title"):
        if doc.meta.get(key):
            cands.append((_compact(doc.meta[key]), "file_metadata"))
    finder = _finder()
    year_only = None
    for text, how in cands:
        for pat in (_TITLE_B, _TITLE_A):
            m = pat.search(text)
            if m:
                agency = finder.longest_valid_suffix(_clean_agency(m.group("agency")))
                if agency:
                    # a report named in a sentence of the text is not its title
                    return text, agency, int(m.group("year")), how if m.start() < 20 else "opening_sentence"
                if year_only is None and m.start() < 20 and how == "title":
                    year_only = (text, int(m.group("year")))
    if year_only:
        return year_only[0], None, year_only[1], None
    return None, None, None, None


def _to_date(m: re.Match[str]) -> date | None:
    try:
        return date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return None


def _signature(paras: list[str]) -> tuple[str | None, date | None]:
    """The closing date line and the agency line just above it (or before the date on the same line)."""
    finder = _finder()
    tail = paras[-12:]
    for i in range(len(tail) - 1, -1, -1):
        m = _DATE.search(tail[i])
        if not m or m.end() != len(tail[i]):
            continue
        before = _clean_agency(tail[i][: m.start()])
        if before and not finder.valid(before):
            continue  # a sentence that ends with a date, not a signature
        agency = before or None
        for j in range(i - 1, max(-1, i - 3), -1):
            if agency:
                break
            cand = _clean_agency(tail[j])
            if finder.valid(cand):
                agency = cand
        return agency, _to_date(m)
    return None, None


def _header_texts(doc: Document) -> list[str]:
    out = []
    for block in doc.blocks[:60]:
        texts = (
            [block.text]
            if isinstance(block, Paragraph)
            else [" ".join(r) for r in block.rows]
            if isinstance(block, Table)
            else []
        )
        out += texts
    return out


def _header_date(doc: Document) -> date | None:
    for t in _header_texts(doc):
        h = _HEADER_DATE.search(t)
        if h:
            rest = t[h.end() : h.end() + 24]
            m = _ISO.search(rest) or _DATE.search(rest)
            if m:
                return _to_date(m)
    return None


def _publisher(doc: Document) -> str | None:
    """The agency of a page header field (发布机构：…, 来源：…) when it names one."""
    finder = _finder()
    for t in _header_texts(doc) + _paragraphs(doc)[-5:]:
        for m in _PUBLISHER.finditer(t):
            name = m.group("name")
            for j in range(len(name), 1, -1):
                if finder.valid(name[:j]):
                    return name[:j]
    return None


def _opening_paragraphs(paras: list[str]) -> list[str]:
    """The paragraphs holding the first two sentences of the text (a PDF prints a sentence over several lines)."""
    n, text = 0, ""
    for n, p in enumerate(paras[:12], 1):  # noqa: B007 (n is read after the loop)
        text += p
        if text.count("。") >= 2 or len(text) > 400:
            break
    return paras[:n]


def _opening(paras: list[str]) -> list[str]:
    """The first two sentences of the text."""
    return [s for s in re.split(r"(?<=[。；;])", "".join(_opening_paragraphs(paras))) if s][:2]


def _agency_from_text(paras: list[str]) -> tuple[str | None, str | None]:
    """The agency named in the opening sentences, else the name that most often opens a sentence."""
    finder = _finder()
    for sentence in _opening(paras):
        names = finder.names_in(sentence, bare_ok=True)
        if names:
            return names[0], "opening_sentence"
    counts = Counter(n for p in paras[:BODY_PARAGRAPHS] for n in finder.names_in(p, sentence_start=True))
    if counts:
        return counts.most_common(1)[0][0], "body"
    return None, None


def _year_from_text(paras: list[str]) -> tuple[int | None, str | None]:
    for p in paras[:10]:
        m = re.search(r"(20\d\d)年度", p)
        if m:
            return int(m.group(1)), "text"
    for part, how in ((_opening_paragraphs(paras), "opening_sentence"), (paras[:BODY_PARAGRAPHS], "body")):
        counts = Counter(int(m.group("year")) for p in part for m in _SENTENCE_YEAR.finditer(p))
        if counts:
            return counts.most_common(1)[0][0], how
    return None, None


def extract_metadata(doc: Document) -> Metadata:
    paras = _paragraphs(doc)
    notes: list[tuple[str, str, str]] = []
    title, agency, year, agency_src = _title(doc, paras)
    year_src = "title" if year else None
    sig_agency, sig_date = _signature(paras)
    if not agency and sig_agency:
        agency, agency_src = sig_agency, "signature"
    if not agency:
        agency = _publisher(doc)
        agency_src = "publisher_field" if agency else None
    if not agency:
        agency, agency_src = _agency_from_text(paras)
    if not agency:
        for key in ("meta:publisher", "meta:author", "meta:ContentSource"):
            if doc.meta.get(key) and _finder().valid(_compact(doc.meta[key])):
                agency, agency_src = _compact(doc.meta[key]), "file_metadata"
                break
    for p in paras[:40]:
        m = _PERIOD.search(p)
        if m:
            year, year_src = int(m.group("year")), "statistical_period"
            break
    if year is None:
        year, year_src = _year_from_text(paras)
    published, pub_src = sig_date, "signature" if sig_date else None
    if published is None:
        published = _header_date(doc)
        pub_src = "page_header" if published else None
    if published is None and doc.meta.get("pdf:CreationDate"):
        m = _ISO.search(doc.meta["pdf:CreationDate"])
        if m:
            published, pub_src = _to_date(m), "pdf_metadata"
    if year is None and published is not None and pub_src != "pdf_metadata":
        year, year_src = published.year - 1, "published_date"
        notes.append(
            (
                "report_year_from_publication",
                "info",
                f"no year is stated; {year} is the year before publication ({published.isoformat()}, {pub_src})",
            )
        )
    if agency is None:
        notes.append(
            (
                "agency_unknown",
                "warn",
                "no agency name could be read and validated from the title, "
                "signature, page header, opening sentence or body",
            )
        )
    else:
        res = _finder().resolver.resolve(agency)
        for part in (res.name_note or "").split("; "):
            if part.startswith("abbreviation:"):
                notes.append(("agency_abbreviation", "info", f"{agency} is {res.canonical_name} ({part})"))
            elif part.startswith("lookalike:"):
                notes.append(
                    ("agency_lookalike", "info", f"{agency} names no division; read as {res.canonical_name} ({part})")
                )
    return Metadata(agency, agency_src, year, year_src, published, pub_src, title, notes)


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
_FEE_NONE = re.compile(
    r"(未|没有|无)[^。；;]{0,20}(收取|收费|产生|发生)|(未|没有)发生[^。；;]{0,10}收费|处理费[^。；;]{0,6}(为)?零|无[^。；;]{0,20}处理费"
)
_FEE_CASES = re.compile(r"(?P<cases>\d+)\s*(件|笔|次|宗)")
_SENTENCE_END = re.compile(r"(?<=[。；;])")


def info_processing_fee(doc: Document) -> tuple[float | None, int | None, str | None]:
    """(amount in yuan, cases, the sentence) for the information-processing fee stated in the text."""
    for raw in _paragraphs(doc):
        if "收费" not in raw and "处理费" not in raw:
            continue  # no sentence of it names a fee
        for sentence in _SENTENCE_END.split(raw):
            fee = sentence_fee(sentence)
            if fee is not None:
                return fee
    return None, None, None


def sentence_fee(sentence: str) -> tuple[float, int | None, str] | None:
    """(amount in yuan, cases, the sentence) when ``sentence`` states the information-processing fee, else None."""
    if "收费" not in sentence and "处理费" not in sentence:
        return None
    if "处理费" not in sentence and "信息公开" not in sentence:
        return None
    m = _FEE_AMOUNT.search(sentence) or _FEE_AMOUNT_BEFORE.search(sentence)
    if m:
        amount = float(m.group("amount")) * (10000 if m.group("unit") == "万元" else 1)
        c = _FEE_CASES.search(sentence)
        return amount, int(c.group("cases")) if c else (0 if amount == 0 else None), sentence
    if _FEE_NONE.search(sentence):
        return 0.0, 0, sentence
    return None
