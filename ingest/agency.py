"""Agency identity and region from the agency name: pure functions over three seeds.

* ``seeds/admin_divisions.csv``: provinces, prefectures and county-level divisions with codes;
* ``seeds/agency_kinds.csv``: how the rest of a name (after its divisions) gives the kind
  (people's government, government office, department, other), township and central names;
* ``seeds/agency_aliases.csv``: renames after institutional reforms (old name -> current name).

A name is normalised (full-width forms folded, traditional characters made simplified, whitespace,
years and report words removed), then read from the left as a chain of divisions, each inside the
previous one (淮安市 + 洪泽区), and a remainder (人民政府). The identity key is the innermost
division's code and the canonical remainder, so 洪泽区人民政府 and 淮安市洪泽区人民政府 are one agency;
an alias maps an old key to the current one. Names that cannot be placed keep a key from the
normalised name and say why (``unresolved_reason``).
"""
from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
LEVEL_OF_DIVISION = {"province": "provincial", "prefecture": "prefecture", "county": "county"}
MAX_DIVISION_NAME = 24

_YEAR = re.compile(r"(?:19|20)\d\d年度?|(?:19|20)\d\d(?=年|$)|^年度")
_REPORT = re.compile(r"(?:政府)?信息公开(?:工作)?(?:年度)?(?:报告|年报)|工作年度报告|年度报告|年报$")
_NOTE = re.compile(r"\((?:盖章|印章|签章)\)")
_EDGE = re.compile(r"^[\s\-—_:：|·,，。、]+|[\s\-—_:：|·,，。、]+$")


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def normalise_name(name: str | None) -> str:
    """Fold full-width forms (NFKC), convert traditional to simplified, drop whitespace, years and report words."""
    if not name:
        return ""
    prev, s = None, name
    while s != prev:  # removing one part can join the pieces of another
        prev = s
        s = unicodedata.normalize("NFKC", s)
        s = _t2s().convert(s)
        s = re.sub(r"\s+", "", s)
        s = _NOTE.sub("", s)
        s = _REPORT.sub("", s)
        s = _YEAR.sub("", s)
        s = _EDGE.sub("", s)
    return s


def agency_id_for(key: str) -> str:
    """Stable agency id of an identity key."""
    return "ag_" + hashlib.md5(key.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: str
    parent_code: str
    province_code: str
    province_name: str
    prefecture_code: str
    prefecture_name: str

    def contains(self, other: "Division") -> bool:
        return other.code != self.code and self.code in (other.parent_code, other.province_code, other.prefecture_code)


@dataclass
class Resolution:
    """Everything dim_agency says about one agency name."""

    agency_name: str | None
    normalised_name: str
    canonical_name: str
    agency_key: str
    agency_id: str
    alias_of: str | None = None
    level: str | None = None
    kind: str | None = None
    division_code: str | None = None
    division_name: str | None = None
    province_code: str | None = None
    province_name: str | None = None
    prefecture_code: str | None = None
    prefecture_name: str | None = None
    county_code: str | None = None
    county_name: str | None = None
    township_name: str | None = None
    parent_agency_name: str | None = None
    parent_agency_id: str | None = None
    unresolved: bool = False
    unresolved_reason: str | None = None

    def as_row(self) -> dict:
        return asdict(self)


FIELDS = tuple(Resolution.__dataclass_fields__)


def _read_csv(name: str) -> list[dict]:
    with open(SEEDS / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


class Resolver:
    """Resolves agency names against the division, kind and alias seeds (rows as dicts of strings)."""

    def __init__(self, divisions: list[dict], kinds: list[dict], aliases: list[dict]):
        self.divisions = [Division(**{k: (r.get(k) or "") for k in Division.__dataclass_fields__}) for r in divisions]
        self.by_name: dict[str, list[Division]] = {}
        for d in self.divisions:
            self.by_name.setdefault(d.name, []).append(d)
        self.rules: dict[str, list[tuple[str, str]]] = {}
        for r in kinds:
            self.rules.setdefault(r["rule"], []).append((normalise_name(r.get("pattern") or ""), r["value"]))
        for rule in ("kind_suffix", "township_suffix", "central_prefix", "central_suffix"):
            self.rules.setdefault(rule, []).sort(key=lambda pv: -len(pv[0]))
        self.variants = dict(self.rules.get("remainder_variant", []))
        self.kind_exact = dict(self.rules.get("kind_exact", []))
        self.aliases: dict[str, tuple[str, str]] = {}
        for r in aliases:
            old, new = self._resolve(normalise_name(r["alias"])), self._resolve(normalise_name(r["canonical_name"]))
            if old.agency_key != new.agency_key:
                self.aliases[old.agency_key] = (new.agency_key, normalise_name(r["canonical_name"]))

    @classmethod
    @lru_cache(maxsize=1)
    def from_seeds(cls) -> "Resolver":
        return cls(_read_csv("admin_divisions.csv"), _read_csv("agency_kinds.csv"), _read_csv("agency_aliases.csv"))

    # -- reading a name ------------------------------------------------------------------------------------

    def _chains(self, name: str) -> list[tuple[list[Division], int]]:
        """Every maximal chain of nested divisions read from the start of ``name``, with the characters used."""
        done: list[tuple[list[Division], int]] = []
        stack: list[tuple[list[Division], int]] = [([], 0)]
        while stack:
            chain, pos = stack.pop()
            grown = False
            for end in range(min(len(name), pos + MAX_DIVISION_NAME), pos + 1, -1):
                for d in self.by_name.get(name[pos:end], ()):
                    if not chain or chain[-1].contains(d):
                        stack.append((chain + [d], end))
                        grown = True
            if not grown and chain:
                done.append((chain, pos))
        if not done:
            return []
        longest = max(pos for _, pos in done)
        return [(c, p) for c, p in done if p == longest]

    def _remainder(self, rest: str) -> str:
        return self.variants.get(rest, rest)

    def _kind(self, rest: str) -> str:
        if rest in self.kind_exact:
            return self.kind_exact[rest]
        for suffix, kind in self.rules["kind_suffix"]:
            if suffix and rest.endswith(suffix):
                return kind
        return "other"

    def _township(self, rest: str) -> str | None:
        """The township's name (三河镇, 高良涧街道) when the remainder names a township government."""
        for suffix, keep in self.rules["township_suffix"]:
            if rest.endswith(suffix) and len(rest) > len(suffix):
                return rest[: len(rest) - len(suffix)] + keep
        return None

    def _is_central(self, name: str) -> bool:
        return (any(name.startswith(p) for p, _ in self.rules["central_prefix"] if p)
                or any(name.endswith(s) for s, _ in self.rules["central_suffix"] if s))

    def _resolve(self, norm: str, printed: str | None = None) -> Resolution:
        base = dict(agency_name=printed, normalised_name=norm, canonical_name=norm)
        if not norm:
            key = "unknown|" + (printed or "")
            return Resolution(**base, agency_key=key, agency_id=agency_id_for(key), unresolved=True,
                              unresolved_reason="no_name: the report names no agency")
        chains = self._chains(norm)
        if not chains:
            if self._is_central(norm):
                key = "central|" + norm
                return Resolution(**base, agency_key=key, agency_id=agency_id_for(key), level="central",
                                  kind=self._kind(norm))
            key = "name|" + norm
            return Resolution(**base, agency_key=key, agency_id=agency_id_for(key), unresolved=True,
                              unresolved_reason="no_region: no province, prefecture or county name starts the agency name")
        innermost = {c[-1].code: c[-1] for c, _ in chains}
        if len(innermost) > 1:
            key = "name|" + norm
            cands = ", ".join(f"{d.code} {d.province_name}{d.prefecture_name if d.prefecture_name != d.name else ''}{d.name}"
                              for d in sorted(innermost.values(), key=lambda d: d.code))
            return Resolution(**base, agency_key=key, agency_id=agency_id_for(key), unresolved=True,
                              unresolved_reason=f"ambiguous_region: {chains[0][0][-1].name} could be {cands}")
        chain, pos = chains[0]
        div = chain[-1]
        rest = self._remainder(norm[pos:])
        township = self._township(rest)
        level = "township" if township else LEVEL_OF_DIVISION[div.level]
        kind = "government" if township else self._kind(rest)
        key = f"{div.code}|{township or rest}"
        gov_key = f"{div.code}|{self._remainder('')}"
        parent = None if kind == "government" and not township else div.name + self._remainder("")
        res = Resolution(**base, agency_key=key, agency_id=agency_id_for(key), level=level, kind=kind,
                         division_code=div.code, division_name=div.name,
                         province_code=div.province_code, province_name=div.province_name,
                         prefecture_code=div.prefecture_code or None, prefecture_name=div.prefecture_name or None,
                         county_code=div.code if div.level == "county" else None,
                         county_name=div.name if div.level == "county" else None,
                         township_name=township,
                         parent_agency_name=parent, parent_agency_id=agency_id_for(gov_key) if parent else None)
        return res

    def resolve(self, name: str | None) -> Resolution:
        """Identity, level, kind and region of an agency name as printed; aliases map old names to current ones."""
        norm = normalise_name(name)
        res = self._resolve(norm, name)
        seen = {res.agency_key}
        while res.agency_key in self.aliases:
            new_key, canonical = self.aliases[res.agency_key]
            if new_key in seen:
                break
            seen.add(new_key)
            target = self._resolve(canonical, name)
            target.normalised_name, target.alias_of = norm, canonical
            res = target
        return res


def resolve_names(names, divisions: list[dict], kinds: list[dict], aliases: list[dict]) -> list[dict]:
    """One dim_agency row per distinct name (used by the dbt model int_agency_names)."""
    resolver = Resolver(divisions, kinds, aliases)
    return [resolver.resolve(n).as_row() for n in dict.fromkeys(names)]
