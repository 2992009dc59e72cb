"""Template knowledge, loaded from the seeds (never hard-coded in the mapper).

``seeds/template_keys.csv`` holds every row and column of tables t2, t3 and t4
in both official layouts (2019 and 2021), with the canonical keys, the printed
labels and known label variants (``aliases``); a key of template ``both`` belongs
to every layout of its table. ``seeds/layouts.csv`` names each table's layouts,
the report years each is printed for and its shape; ``seeds/reconciliation_rules.csv``
holds the reconciliation rules (read here and by the dbt macro
``reconciliation_checks``). ``seeds/section_markers.csv`` holds the patterns of
the section headings that delimit the tables. :func:`use_seeds` reads another
seeds folder (a layout added in seeds only).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast, overload

from .model import normalise_text
from .project import SEEDS

_seeds_dir = SEEDS
_CACHES: list[Any] = []
_F = TypeVar("_F", bound=Callable[..., Any])


@overload
def seed_cache(fn: _F) -> _F: ...
@overload
def seed_cache(fn: None = None, *, maxsize: int | None = None) -> Callable[[_F], _F]: ...
def seed_cache(fn: _F | None = None, *, maxsize: int | None = None) -> _F | Callable[[_F], _F]:
    """``lru_cache`` for what is derived from the seeds, cleared when :func:`use_seeds` changes them."""

    def wrap(f: _F) -> _F:
        cached = lru_cache(maxsize=maxsize)(f)
        _CACHES.append(cached)
        return cast(_F, cached)

    return wrap(fn) if fn is not None else wrap


def _read(name: str) -> list[dict[str, str]]:
    with open(_seeds_dir / name, encoding="utf-8") as f:
        return list(csv.DictReader(f))


@contextmanager
def use_seeds(path: str | Path) -> Iterator[None]:
    """Read the template seeds (keys, layouts, rules, markers) from another folder while in the block."""
    global _seeds_dir
    before, _seeds_dir = _seeds_dir, Path(path)
    for c in _CACHES:
        c.cache_clear()
    try:
        yield
    finally:
        _seeds_dir = before
        for c in _CACHES:
            c.cache_clear()


_PUNCT = re.compile(r"[\s()（）\[\]【】、.．,，:：;；\"'“”‘’「」『』《》<>·•/／\\|_\-—–]+")
_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+|\d{1,2})(?=[、.．])[、.．]|^[(（](?:[一二三四五六七八九十]+|\d{1,2})[)）]"
)


def norm_label(text: str) -> str:
    """Normalise a printed label for comparison: NFKC, no numbering, no punctuation or spaces."""
    text = normalise_text(text)
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


@seed_cache
def keys() -> tuple[Key, ...]:
    return tuple(
        Key(
            r["template"],
            r["table"],
            r["kind"],
            r["key"],
            r["label_zh"],
            r["label_en"],
            r["group_key"],
            int(r["ordinal"] or 0),
            tuple(a for a in (r.get("aliases") or "").split("|") if a),
        )
        for r in _read("template_keys.csv")
    )


def select(layout: str, table: str, kind: str) -> list[Key]:
    """Keys of one layout's table, of one kind (row, column or group), in printed order."""
    return list(_select(layout, table, kind))


@seed_cache
def _select(layout: str, table: str, kind: str) -> tuple[Key, ...]:
    return tuple(
        sorted(
            (k for k in keys() if k.table == table and k.kind == kind and k.template in (layout, "both")),
            key=lambda k: k.ordinal,
        )
    )


def t2_columns_for(layout: str, row: Key) -> tuple[Key, ...]:
    """The t2 columns a row has: a column group ``art20_5_6_8`` covers rows ``art20_5``, ``art20_6``, ``art20_8``."""
    return _t2_columns(layout, row.group_key.rsplit("_", 1)[-1])


@seed_cache(maxsize=1024)
def _t2_columns(layout: str, article: str) -> tuple[Key, ...]:
    return tuple(col for col in select(layout, "t2", "column") if article in col.group_key.split("_")[1:])


@seed_cache
def distinctive_labels(table: str) -> dict[str, frozenset[str]]:
    """Per layout, the normalised labels of ``table`` that only that layout prints."""
    lays = table_layouts(table)
    by_layout = {
        lay: {lab for k in keys() if k.table == table and k.template == lay and k.kind != "group" for lab in k.labels}
        for lay in lays
    }
    return {
        lay: frozenset(labs - set().union(*(by_layout[o] for o in lays if o != lay))) for lay, labs in by_layout.items()
    }


@seed_cache
def section_markers() -> dict[str, re.Pattern[str]]:
    return {r["section"]: re.compile(r["pattern"]) for r in _read("section_markers.csv")}


# ---------------------------------------------------------------- layouts


@dataclass(frozen=True)
class Layout:
    """One layout of one table: the report years it is printed for (``last_year`` None: still in force)."""

    layout: str
    table: str
    first_year: int
    last_year: int | None
    n_rows: int
    n_columns: int


@seed_cache
def layouts() -> tuple[Layout, ...]:
    """The layouts seed, checked against the keys: a shape that disagrees with template_keys is an error."""
    out = []
    for r in _read("layouts.csv"):
        lay = Layout(
            r["layout"],
            r["table_id"],
            int(r["first_year"]),
            int(r["last_year"]) if r["last_year"] else None,
            int(r["n_rows"]),
            int(r["n_columns"]),
        )
        got = (len(_select(lay.layout, lay.table, "row")), len(_select(lay.layout, lay.table, "column")))
        if got != (lay.n_rows, lay.n_columns):
            raise ValueError(
                f"seed layouts: {lay.table} of layout {lay.layout} says {lay.n_rows} rows x "
                f"{lay.n_columns} columns but template_keys has {got[0]} x {got[1]}"
            )
        out.append(lay)
    return tuple(sorted(out, key=lambda x: (x.table, x.first_year)))


def table_layouts(table: str) -> list[str]:
    """The layouts of a table, the newest first."""
    return [x.layout for x in reversed(layouts()) if x.table == table]


def shape(table: str, layout: str | None = None) -> Layout:
    """One layout of a table (the newest when ``layout`` is None)."""
    lay = layout or table_layouts(table)[0]
    for x in layouts():
        if x.table == table and x.layout == lay:
            return x
    raise KeyError(f"no layout {lay!r} of table {table} in seeds/layouts.csv")


def layout_for(table: str, year: int | None) -> str:
    """The layout a report of ``year`` prints the table in: the newest whose years hold it; before the first
    layout the earliest; the newest when the year is unknown or later."""
    lays = [x for x in layouts() if x.table == table]
    if year is None:
        return lays[-1].layout
    for x in reversed(lays):
        if x.first_year <= year and (x.last_year is None or year <= x.last_year):
            return x.layout
    return lays[0].layout if year < lays[0].first_year else lays[-1].layout


LAYOUTS = tuple(sorted({x.layout for x in layouts()}))


# ---------------------------------------------------------------- reconciliation rules

_TERM = re.compile(r"^(?P<neg>-)?(?P<prior>prior\.)?(?P<group>group:)?(?P<ref>\w+)$")


@dataclass(frozen=True)
class Term:
    """One term of a rule: a key (or every key of a group) on the axis the rule does not run along."""

    sign: int
    prior: bool  # the agency's report of the year before
    group: bool  # ``ref`` names a group_key of template_keys
    ref: str


@dataclass(frozen=True)
class Rule:
    """A reconciliation rule: per key of ``scope`` (column or row), the sum of ``left`` = the sum of ``right``.

    A finding's ``actual`` is the left sum (the printed total), ``expected`` the right sum. ``span``: report
    (one report; checked at ingest) or prior_year (against the year before; checked in dbt)."""

    rule_id: str
    table: str
    span: str
    scope: str
    scope_keys: tuple[str, ...]
    left: tuple[Term, ...]
    right: tuple[Term, ...]
    blank_total: bool
    severity: str
    message: str


def _terms(rule_id: str, text: str) -> tuple[Term, ...]:
    out = []
    for part in text.split("|"):
        m = _TERM.match(part.strip())
        if m is None:
            raise ValueError(f"seed reconciliation_rules: rule {rule_id} has a malformed term {part!r}")
        out.append(Term(-1 if m["neg"] else 1, bool(m["prior"]), bool(m["group"]), m["ref"]))
    return tuple(out)


@seed_cache
def reconciliation_rules() -> tuple[Rule, ...]:
    return tuple(
        Rule(
            r["rule_id"],
            r["table_id"],
            r["span"],
            r["scope"],
            tuple(k for k in r["scope_keys"].split("|") if k),
            _terms(r["rule_id"], r["left_terms"]),
            _terms(r["rule_id"], r["right_terms"]),
            r["blank_total"] == "yes",
            r["severity"],
            r["message"],
        )
        for r in _read("reconciliation_rules.csv")
    )
