"""Template knowledge, loaded from the seeds (never hard-coded in the mapper).

``seeds/template_keys.csv`` holds every row and column of tables t2, t3 and t4
in both official layouts (2019 and 2021), with the canonical keys, the printed
labels and known label variants (``aliases``). ``seeds/section_markers.csv``
holds the patterns of the section headings that delimit the tables.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .project import SEEDS

LAYOUTS = ("2019", "2021")

_PUNCT = re.compile(r"[\s()（）\[\]【】、.．,，:：;；\"'“”‘’「」『』《》<>·•/／\\|_\-—–]+")
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+|\d{1,2})(?=[、.．])[、.．]|^[(（](?:[一二三四五六七八九十]+|\d{1,2})[)）]")


def norm_label(text: str) -> str:
    """Normalise a printed label for comparison: NFKC, no numbering, no punctuation or spaces."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    prev = None
    while prev != text:
        prev = text
        text = _NUMBERING.sub("", text).strip()
    return _PUNCT.sub("", text)


@dataclass(frozen=True)
class Key:
    template: str
    table: str
    kind: str
    key: str
    label_zh: str
    label_en: str
    group_key: str
    ordinal: int
    aliases: tuple[str, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        """Normalised printed label and variants."""
        return tuple(dict.fromkeys(norm_label(x) for x in (self.label_zh, *self.aliases) if norm_label(x)))


@lru_cache(maxsize=1)
def keys() -> tuple[Key, ...]:
    with open(SEEDS / "template_keys.csv", encoding="utf-8") as f:
        return tuple(
            Key(r["template"], r["table"], r["kind"], r["key"], r["label_zh"], r["label_en"], r["group_key"],
                int(r["ordinal"] or 0), tuple(a for a in (r.get("aliases") or "").split("|") if a))
            for r in csv.DictReader(f)
        )


def select(layout: str, table: str, kind: str) -> list[Key]:
    """Keys of one layout's table, of one kind (row, column or group), in printed order."""
    return list(_select(layout, table, kind))


@lru_cache(maxsize=None)
def _select(layout: str, table: str, kind: str) -> tuple[Key, ...]:
    return tuple(sorted((k for k in keys() if k.table == table and k.kind == kind and k.template in (layout, "both")),
                        key=lambda k: k.ordinal))


def t2_columns_for(layout: str, row: Key) -> list[Key]:
    """The t2 columns a row has: a column group ``art20_5_6_8`` covers rows ``art20_5``, ``art20_6``, ``art20_8``."""
    article = row.group_key.rsplit("_", 1)[-1]
    cols = []
    for col in select(layout, "t2", "column"):
        parts = col.group_key.split("_")[1:]
        if article in parts:
            cols.append(col)
    return cols


@lru_cache(maxsize=None)
def distinctive_labels(table: str) -> dict[str, frozenset[str]]:
    """Per layout, the normalised labels of ``table`` that only that layout prints (cached: the seeds are fixed)."""
    by_layout = {lay: {lab for k in keys() if k.table == table and k.template == lay and k.kind != "group"
                       for lab in k.labels} for lay in LAYOUTS}
    return {lay: frozenset(labs - set().union(*(by_layout[o] for o in LAYOUTS if o != lay))) for lay, labs in by_layout.items()}


@lru_cache(maxsize=1)
def section_markers() -> dict[str, re.Pattern[str]]:
    with open(SEEDS / "section_markers.csv", encoding="utf-8") as f:
        return {r["section"]: re.compile(r["pattern"]) for r in csv.DictReader(f)}
