"""Turn a printed table cell into a number, without ever inventing one.

``parse_cell`` keeps the raw text and says whether the cell is blank (blank,
dash, slash or 无: a printed blank is not a zero) or unreadable (text that is
not a number, such as 十二). Annotations such as ``22（其中修订 16 件）`` give the
leading number; a unit printed in the cell (元, 万元, 件 …) is returned beside it. A count written with
a scale (``1.2万``) is read scaled (12000); a money unit (万元) is a unit, never a scale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from .model import normalise_text  # the documents' normalisation: a cell may come from elsewhere

BLANK_TOKENS = {
    "",
    "-",
    "—",
    "——",
    "–",
    "―",
    "─",
    "/",
    "\\",
    "无",
    "空",
    "null",
    "none",
    "n/a",
    "na",
    "…",
    "...",
    "-/-",
}

_NUM = re.compile(
    r"""^(?P<sign>[+-]?)\s*
        (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)
        \s*(?:(?P<scale>万|亿)(?!元))?
        \s*(?P<unit>万元|亿元|元|件|项|个|次|人次|条|宗|起)?
        \s*(?P<note>\(.*\)|\[.*\]|其中.*|含.*)?$""",
    re.VERBOSE,
)
SCALES = {"万": Decimal(10000), "亿": Decimal(100000000)}
_SPACE_IN_DIGITS = re.compile(r"(?<=[\d.,])\s+(?=[\d.,])")


@dataclass(frozen=True)
class ParsedCell:
    raw_text: str
    value: float | None
    is_blank: bool
    unit: str | None = None
    note: str | None = None

    @property
    def unreadable(self) -> bool:
        """Not blank, yet no number could be read from it."""
        return self.value is None and not self.is_blank


@lru_cache(maxsize=65536)
def _parse_cached(raw: str) -> ParsedCell:
    return _parse(raw)


def parse_cell(raw: str | None) -> ParsedCell:
    """Read one printed cell (cached: the same texts recur across reports)."""
    raw = raw if raw is not None else ""
    return _parse_cached(raw) if len(raw) < 64 else _parse(raw)


def _parse(raw: str) -> ParsedCell:
    text = normalise_text(raw)
    if text.lower() in BLANK_TOKENS or set(text) <= set("-—–―─/ "):
        return ParsedCell(raw, None, True)
    compact = _SPACE_IN_DIGITS.sub("", text)
    m = _NUM.match(compact)
    if not m:
        return ParsedCell(raw, None, False)
    value = float(m.group("num").replace(",", ""))
    if m.group("scale"):  # 1.2万 is 12000: scaled exactly, the printed text stays in raw_text
        value = float(Decimal(m.group("num").replace(",", "")) * SCALES[m.group("scale")])
    if m.group("sign") == "-":
        value = -value
    return ParsedCell(raw, value, False, m.group("unit"), m.group("note"))


_NUMBER_WORD = re.compile(r"^[零〇一二三四五六七八九十百千万两壹贰叁肆伍陆柒捌玖拾佰仟]{1,12}$")


def is_number_word(raw: str | None) -> bool:
    """A count written in Chinese numerals (十四, 一百零五): a data cell, yet not a number ingest will guess at."""
    return bool(_NUMBER_WORD.match(normalise_text(raw or "")))


CellKind = tuple[bool, bool, bool, bool]


def cell_kind(raw: str) -> CellKind:
    """(value-like, number word, a number, blank) of one cell text (cached as :func:`parse_cell` is)."""
    return _kind_cached(raw) if len(raw) < 64 else _kind(raw)


@lru_cache(maxsize=65536)
def _kind_cached(raw: str) -> CellKind:
    return _kind(raw)


def _kind(raw: str) -> CellKind:
    p = parse_cell(raw)
    return (p.is_blank or p.value is not None, is_number_word(raw), p.value is not None, p.is_blank)


def is_value_like(raw: str | None) -> bool:
    """True for a cell that is a number or a printed blank (a data cell, not a label)."""
    p = parse_cell(raw)
    return p.is_blank or p.value is not None
