"""Agency identity and region from the agency name: pure functions over three seeds.

Shared with dbt: ingest validates names with it (:mod:`ingest.metadata`), and the dbt Python model
``models/intermediate/int_agency_names.py`` runs it at build time, so it is part of the dbt project
(:data:`warehouse.refresh.DBT_PYTHON_MODULES`: a change rebuilds the warehouse). It imports nothing
from the rest of ``ingest``.

* ``seeds/admin_divisions.csv``: provinces, prefectures and county-level divisions with codes;
* ``seeds/agency_kinds.csv``: how the rest of a name (after its divisions) gives the kind
  (people's government, government office, department, other), township and central names;
* ``seeds/agency_aliases.csv``: renames after institutional reforms (old name -> current name);
* ``seeds/agency_abbreviations.csv``: standard short forms of the part after the divisions
  (科委 -> 科学技术委员会, 住建局 -> 住房和城乡建设局), so 上海市科委 is 上海市科学技术委员会;
* ``seeds/lookalike_chars.csv``: pairs of visually similar characters (沭/沐): a name whose division
  matches nothing but does after one such substitution, to exactly one division, is read as that
  division (沐阳县人民政府 -> 沭阳县), and ``name_note`` says so;
* ``seeds/special_zones.csv``: zones that publish reports like divisions (平潭综合实验区), placed in
  the region of their host division.

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
from dataclasses import asdict, dataclass
from functools import lru_cache

from ingest.model import normalise_text  # shared with dbt too: an absolute import, as dbt imports this module
from ingest.project import SEEDS

# the seeds a Resolver reads, in the order of its arguments
SEED_FILES = (
    "admin_divisions.csv",
    "agency_kinds.csv",
    "agency_aliases.csv",
    "agency_abbreviations.csv",
    "lookalike_chars.csv",
    "special_zones.csv",
)
LEVEL_OF_DIVISION = {"province": "provincial", "prefecture": "prefecture", "county": "county"}
MAX_DIVISION_NAME = 24
LOOKALIKE_SPAN = 6  # a misread character is looked for among the first characters after the known divisions

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
        s = normalise_text(s)
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

    zone: bool = False

    @property
    def key(self) -> str:
        """The identity prefix of agencies of this division (a zone is distinct from its host)."""
        return f"{self.code}/{self.name}" if self.zone else self.code

    def contains(self, other: Division) -> bool:
        return other.key != self.key and self.code in (other.parent_code, other.province_code, other.prefecture_code)


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
    name_note: str | None = None  # how the printed name was read (abbreviation, lookalike character)

    def as_row(self) -> dict:
        return asdict(self)


FIELDS = tuple(Resolution.__dataclass_fields__)


def _read_csv(name: str) -> list[dict]:
    with open(SEEDS / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


class Resolver:
    """Resolves agency names against the division, kind and alias seeds (rows as dicts of strings)."""

    def __init__(
        self,
        divisions: list[dict],
        kinds: list[dict],
        aliases: list[dict],
        abbreviations: list[dict] = (),
        lookalikes: list[dict] = (),
        zones: list[dict] = (),
    ):
        fields = [f for f in Division.__dataclass_fields__ if f != "zone"]
        self.divisions = [Division(**{k: (r.get(k) or "") for k in fields}) for r in divisions]
        by_code = {d.code: d for d in self.divisions}
        for z in zones:
            host = by_code.get(z["host_code"])
            if host:
                self.divisions.append(
                    Division(
                        host.code,
                        normalise_name(z["name"]),
                        "county",
                        host.code,
                        host.province_code,
                        host.province_name,
                        host.prefecture_code,
                        host.prefecture_name,
                        zone=True,
                    )
                )
        self.abbreviations = {normalise_name(r["abbreviation"]): normalise_name(r["full_name"]) for r in abbreviations}
        self.lookalikes: dict[str, set[str]] = {}
        for r in lookalikes:
            a, b = r["char"].strip(), r["lookalike"].strip()
            if len(a) == len(b) == 1 and a != b:
                self.lookalikes.setdefault(a, set()).add(b)
                self.lookalikes.setdefault(b, set()).add(a)
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
    def from_seeds(cls) -> Resolver:
        return cls(*(_read_csv(name) for name in SEED_FILES))

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
        return any(name.startswith(p) for p, _ in self.rules["central_prefix"] if p) or any(
            name.endswith(s) for s, _ in self.rules["central_suffix"] if s
        )

    def _has_kind(self, rest: str) -> bool:
        """Whether a remainder names an agency: a known remainder, a township or an agency-kind suffix."""
        rest = self._remainder(self.abbreviations.get(rest, rest))
        return (
            rest in self.kind_exact
            or self._township(rest) is not None
            or any(s and rest.endswith(s) for s, _ in self.rules["kind_suffix"])
        )

    def _lookalike(self, norm: str, chains: list[tuple[list[Division], int]]) -> tuple[str | None, str | None]:
        """(name read with one lookalike character swapped, note) when exactly one division results;
        (None, reason) when several could; (None, None) when none."""
        start = max((p for _, p in chains), default=0)
        found: dict[str, tuple[str, str]] = {}
        for i in range(start, min(len(norm), start + LOOKALIKE_SPAN)):
            for alt in sorted(self.lookalikes.get(norm[i], ())):
                cand = norm[:i] + alt + norm[i + 1 :]
                grown = [(c, p) for c, p in self._chains(cand) if p > start]
                for c, _ in grown:
                    found.setdefault(c[-1].key, (cand, f"lookalike: {norm[i]} read as {alt} ({c[-1].name})"))
        if len(found) == 1:
            return next(iter(found.values()))
        if len(found) > 1:
            return None, f"ambiguous_lookalike: one character away from several divisions ({', '.join(sorted(found))})"
        return None, None

    def _resolve(self, norm: str, printed: str | None = None) -> Resolution:
        base = dict(agency_name=printed, normalised_name=norm, canonical_name=norm)
        if not norm:
            key = "unknown|" + (printed or "")
            return Resolution(
                **base,
                agency_key=key,
                agency_id=agency_id_for(key),
                unresolved=True,
                unresolved_reason="no_name: the report names no agency",
            )
        chains = self._chains(norm)
        notes = []
        if self.lookalikes:
            fixed, why = self._lookalike(norm, chains)
            if fixed:
                chains, notes = self._chains(fixed), [why]
                norm = fixed
            elif why and not chains:
                key = "name|" + norm
                return Resolution(
                    **base, agency_key=key, agency_id=agency_id_for(key), unresolved=True, unresolved_reason=why
                )
        if not chains:
            if self._is_central(norm):
                key = "central|" + norm
                return Resolution(
                    **base, agency_key=key, agency_id=agency_id_for(key), level="central", kind=self._kind(norm)
                )
            key = "name|" + norm
            return Resolution(
                **base,
                agency_key=key,
                agency_id=agency_id_for(key),
                unresolved=True,
                unresolved_reason="no_region: no province, prefecture or county name starts the agency name",
            )
        innermost = {c[-1].key: c[-1] for c, _ in chains}
        if len(innermost) > 1:
            key = "name|" + norm
            cands = ", ".join(
                f"{d.code} {d.province_name}{d.prefecture_name if d.prefecture_name != d.name else ''}{d.name}"
                for d in sorted(innermost.values(), key=lambda d: d.code)
            )
            return Resolution(
                **base,
                agency_key=key,
                agency_id=agency_id_for(key),
                unresolved=True,
                unresolved_reason=f"ambiguous_region: {chains[0][0][-1].name} could be {cands}",
            )
        chain, pos = chains[0]
        div = chain[-1]
        printed_rest = norm[pos:]
        full = self.abbreviations.get(printed_rest, printed_rest)
        if full != printed_rest:
            notes.append(f"abbreviation: {printed_rest} = {full}")
        base["canonical_name"] = norm[:pos] + full
        rest = self._remainder(full)
        township = self._township(rest)
        level = "township" if township else LEVEL_OF_DIVISION[div.level]
        kind = "government" if township else self._kind(rest)
        key = f"{div.key}|{township or rest}"
        gov_key = f"{div.key}|{self._remainder('')}"
        parent = None if kind == "government" and not township else div.name + self._remainder("")
        res = Resolution(
            **base,
            agency_key=key,
            agency_id=agency_id_for(key),
            level=level,
            kind=kind,
            division_code=div.code,
            division_name=div.name,
            province_code=div.province_code,
            province_name=div.province_name,
            prefecture_code=div.prefecture_code or None,
            prefecture_name=div.prefecture_name or None,
            county_code=div.code if div.level == "county" and not div.zone else None,
            county_name=div.name if div.level == "county" and not div.zone else None,
            township_name=township,
            parent_agency_name=parent,
            parent_agency_id=agency_id_for(gov_key) if parent else None,
            name_note="; ".join(notes) or None,
        )
        return res

    def names_agency(self, name: str | None) -> Resolution | None:
        """The resolution of ``name`` when it is a valid agency name, else None: a division (or a zone)
        followed by an agency word of the seeds, a central body, or an old name in the aliases.
        Fragments of sentences (在省政府办公厅) start with no division and are refused."""
        res = self.resolve(name)
        if res.alias_of or res.township_name:
            return res
        if res.unresolved:
            # a name of a division that several places have (鼓楼区人民政府) is a name all the same
            chains = (
                self._chains(res.normalised_name)
                if (res.unresolved_reason or "").startswith("ambiguous_region")
                else []
            )
            if not chains:
                return None
            printed_rest = res.normalised_name[chains[0][1] :]
            rest = self._remainder(self.abbreviations.get(printed_rest, printed_rest))
        else:
            rest = res.agency_key.split("|", 1)[1]
        # a one-character kind word needs a name before it: 教育厅, not 东部
        known = rest in self.kind_exact or rest in self.abbreviations.values()
        township = self._township(rest) is not None
        return res if self._has_kind(rest) and (known or township or len(rest) >= 3) else None

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


def resolve_names(names, *seeds: list[dict]) -> list[dict]:
    """One dim_agency row per distinct name (used by the dbt model int_agency_names); ``seeds`` are the
    rows of :data:`SEED_FILES`, in that order."""
    resolver = Resolver(*seeds)
    return [resolver.resolve(n).as_row() for n in dict.fromkeys(names)]
