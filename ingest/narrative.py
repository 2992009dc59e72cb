"""Totals the narrative states (共受理…申请N件, 结转下年度N件), to hold against table 三.

The patterns live in ``seeds/narrative_patterns.csv`` (row key of table 三,
regular expression with a group ``n``). Paragraph text (NFKC, as every Document) is
joined without whitespace, because PDF lines break inside sentences and
numbers (``答\\n复 3050 件``). The first statement of each row key counts.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache

from .model import Document
from .project import SEEDS


@dataclass(frozen=True)
class Stated:
    row_key: str
    value: int
    text: str  # the words the number was read from


@lru_cache(maxsize=1)
def patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    with open(SEEDS / "narrative_patterns.csv", encoding="utf-8") as f:
        return tuple((r["row_key"], re.compile(r["pattern"])) for r in csv.DictReader(f))


def narrative_text(doc: Document) -> str:
    """All paragraph text (normalised when the Document was made), without whitespace."""
    return re.sub(r"\s+", "", "".join(doc.lines()))


def stated_totals(doc: Document) -> list[Stated]:
    text = narrative_text(doc)
    found: dict[str, tuple[int, Stated]] = {}
    for key, pat in patterns():
        m = pat.search(text)
        if m and (key not in found or m.start() < found[key][0]):
            found[key] = (m.start(), Stated(key, int(m.group("n").replace(",", "")), m.group(0)))
    return [st for _, st in found.values()]
