"""The figures of one agency-year: tables 二, 三 and 四 and the information-processing fee.

Figures are drawn from distributions shaped like real reports: caseloads
heavy-tailed by level and sector (``Agency.scale``), a national trend over the
years (a dip in 2020, growth after), outcome mixes that differ by sector and
drift over time (more disclosure, fewer refusals), reconsiderations and
lawsuits that are rare and scale with the caseload, fees that are mostly zero.

Every agency carries a state from year to year: applications carried forward
become next year's carried-over applications, documents in force accumulate,
the 2019 layout's item counts continue. All figures obey the reconciliation
rules (一 + 二 = （七）总计 + 四, result rows sum to （七）总计, the 总计 column
sums the applicant columns, each table 四 block total sums its four results).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field

from ..template import Key, select, t2_columns_for
from .agencies import Agency

APPLICANTS = (
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_welfare_org",
    "legal_service_org",
    "other_org",
)
LEGAL_COLS = APPLICANTS[1:]
LEGAL_WEIGHTS = (55, 2, 3, 25, 15)
T4_RESULTS = ("upheld", "corrected", "other", "pending")

# National caseload by year, relative to 2021 (years outside extrapolate at 6% a year).
YEAR_FACTOR = {2019: 0.86, 2020: 0.8, 2021: 1.0, 2022: 1.04, 2023: 1.12, 2024: 1.18, 2025: 1.25}

# Weights of the outcome groups of table 三 by sector.
GROUP_MIX = {
    "government": {"granted": 24, "partially_granted": 8, "denied": 5, "unable": 28, "not_processed": 9, "other": 6},
    "office": {"granted": 34, "partially_granted": 6, "denied": 3, "unable": 30, "not_processed": 6, "other": 5},
    "township": {"granted": 30, "partially_granted": 4, "denied": 2, "unable": 26, "not_processed": 4, "other": 3},
    "land": {"granted": 30, "partially_granted": 12, "denied": 7, "unable": 22, "not_processed": 7, "other": 5},
    "housing": {"granted": 32, "partially_granted": 10, "denied": 6, "unable": 22, "not_processed": 6, "other": 5},
    "public_security": {
        "granted": 16,
        "partially_granted": 10,
        "denied": 22,
        "unable": 20,
        "not_processed": 14,
        "other": 5,
    },
    "social": {"granted": 42, "partially_granted": 6, "denied": 3, "unable": 20, "not_processed": 5, "other": 4},
    "economic": {"granted": 40, "partially_granted": 8, "denied": 4, "unable": 18, "not_processed": 5, "other": 4},
    "regulatory": {"granted": 34, "partially_granted": 10, "denied": 8, "unable": 18, "not_processed": 6, "other": 4},
    "approval": {"granted": 44, "partially_granted": 8, "denied": 3, "unable": 16, "not_processed": 4, "other": 4},
    "legal": {"granted": 36, "partially_granted": 8, "denied": 6, "unable": 18, "not_processed": 6, "other": 4},
}
# Change of each group's weight per year after 2019.
GROUP_DRIFT = {
    "granted": 0.04,
    "partially_granted": 0.01,
    "denied": -0.06,
    "unable": 0.02,
    "not_processed": -0.02,
    "other": 0.0,
}
# Weights of the rows within a group.
ROW_MIX = {
    "denied_state_secret": 1,
    "denied_prohibited_by_law": 2,
    "denied_security_stability": 1,
    "denied_third_party": 5,
    "denied_internal_affairs": 4,
    "denied_process_info": 8,
    "denied_enforcement_file": 3,
    "denied_admin_query": 2,
    "unable_no_info": 20,
    "unable_needs_creation": 5,
    "unable_unclear": 3,
    "not_processed_petition": 6,
    "not_processed_repeat": 5,
    "not_processed_publication": 1,
    "not_processed_excessive": 1,
    "not_processed_confirmation": 2,
    "other_overdue_correction": 6,
    "other_unpaid_fee": 0.3,
    "other_other": 3,
    "other_processing": 9,
    "granted": 1,
    "partially_granted": 1,
}
ROW_MIX_SECURITY = {"denied_enforcement_file": 12, "denied_state_secret": 3, "denied_admin_query": 6}
LEGAL_SHARE = {"land": 0.15, "housing": 0.12, "economic": 0.2, "regulatory": 0.15, "approval": 0.2, "government": 0.08}
APPEAL_RATE = {"land": 0.03, "housing": 0.025, "public_security": 0.03, "government": 0.02, "township": 0.004}
LICENSING = {
    "approval": 3000,
    "public_security": 1500,
    "regulatory": 800,
    "economic": 300,
    "housing": 600,
    "land": 400,
    "social": 200,
}
PENALTY = {"public_security": 2500, "regulatory": 600, "economic": 60, "housing": 80, "land": 90, "legal": 10}
DOCS_SCALE = {"government": 10, "office": 2.5, "township": 0.3}  # normative documents issued a year (departments: 2)
LEVEL_FACTOR = {"province": 0.6, "prefecture": 1.0, "county": 0.7, "township": 0.05}


def year_factor(year: int) -> float:
    return YEAR_FACTOR.get(year, 1.0 + 0.06 * (year - 2021))


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth below 30, normal approximation above)."""
    if lam <= 0:
        return 0
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))


def multinomial(rng: random.Random, n: int, weights: list[float]) -> list[int]:
    if n <= 0:
        return [0] * len(weights)
    counts = Counter(rng.choices(range(len(weights)), weights=weights, k=n))
    return [counts.get(i, 0) for i in range(len(weights))]


@dataclass
class AgencyState:
    """What carries over from one reported year to the next."""

    carry: dict[str, int]
    in_force: dict[str, int]
    published: dict[str, int]
    items: dict[str, int]
    growth: float
    legal_share: float
    mix_noise: dict[str, float] = field(default_factory=dict)


def initial_state(rng: random.Random, a: Agency) -> AgencyState:
    regs = (
        {"province": 200, "prefecture": 30}.get(a.level, 0) if a.kind == "government" else 0
    )  # 规章: provinces and cities
    docs = DOCS_SCALE.get(a.sector, 2) * {"province": 3, "prefecture": 2}.get(a.level, 1)
    share = LEGAL_SHARE.get(a.sector, 0.05) * rng.uniform(0.3, 1.7)
    carry = {c: poisson(rng, a.scale * 0.04 * (1 if c == "natural_person" else share / 5)) for c in APPLICANTS}
    return AgencyState(
        carry=carry,
        in_force={
            "regulations": int(regs * rng.uniform(0.5, 1.5)),
            "normative_documents": int(docs * rng.uniform(4, 12)),
        },
        published={
            "regulations": int(regs * rng.uniform(0.5, 1.5)),
            "normative_documents": int(docs * rng.uniform(5, 15)),
        },
        items={
            "licensing": poisson(rng, 40 if a.sector in LICENSING else 3),
            "other_services": poisson(rng, 8),
            "penalty": poisson(rng, 200 if a.sector in PENALTY else 5),
            "coercion": poisson(rng, 10 if a.sector in PENALTY else 0.5),
            "admin_fees": poisson(rng, 3 if a.charges_fees else 0.3),
        },
        growth=rng.lognormvariate(0, 0.05),
        legal_share=share,
        mix_noise={g: rng.lognormvariate(0, 0.25) for g in GROUP_DRIFT},
    )


def _row_weights(a: Agency, st: AgencyState, rows: list[Key], year: int) -> list[float]:
    mix = GROUP_MIX[a.sector]
    weights = []
    for k in rows:
        g = k.group_key
        gw = mix[g] * st.mix_noise[g] * max(0.2, 1 + GROUP_DRIFT[g] * (year - 2019))
        members = [r for r in rows if r.group_key == g]
        within = {
            r.key: ROW_MIX_SECURITY.get(r.key, ROW_MIX[r.key]) if a.sector == "public_security" else ROW_MIX[r.key]
            for r in members
        }
        if g == "other" and not a.charges_fees:
            within["other_unpaid_fee"] = 0.0
        weights.append(gw * within[k.key] / sum(within.values()))
    return weights


def t3(rng: random.Random, a: Agency, st: AgencyState, year: int, layout: str) -> dict[tuple[str, str], int]:
    """Table 三 for one year; advances the carried-forward state."""
    rows = select(layout, "t3", "row")
    leaves = [k for k in rows if k.group_key not in ("received", "total_processed", "carried_forward")]
    weights = _row_weights(a, st, leaves, year)
    expected = a.scale * year_factor(year) * st.growth ** (year - 2019) * rng.lognormvariate(0, 0.2)
    cells: dict[tuple[str, str], int] = {}
    legal = multinomial(rng, poisson(rng, expected * st.legal_share), list(LEGAL_WEIGHTS))
    for col, new in zip(APPLICANTS, [poisson(rng, expected * (1 - st.legal_share)), *legal]):
        carried = st.carry[col]
        available = new + carried
        forward = min(available, poisson(rng, available * rng.uniform(0.01, 0.08)))
        parts = multinomial(rng, available - forward, weights)
        cells[("new_received", col)] = new
        cells[("carried_over", col)] = carried
        for k, v in zip(leaves, parts):
            cells[(k.key, col)] = v
        cells[("total_processed", col)] = available - forward
        cells[("carried_forward", col)] = forward
        st.carry[col] = forward
    for k in rows:
        cells[(k.key, "total")] = sum(cells[(k.key, c)] for c in APPLICANTS)
    return cells


def t4(rng: random.Random, a: Agency, received: int) -> dict[tuple[str, str], int]:
    """Table 四: reconsiderations and lawsuits, rare and proportional to the caseload."""
    rate = APPEAL_RATE.get(a.sector, 0.012)
    recon = poisson(rng, received * rate)
    counts = {
        "reconsideration": recon,
        "litigation_direct": poisson(rng, received * rate * 0.5),
        "litigation_after_reconsideration": poisson(rng, recon * 0.2),
    }
    cells = {}
    for block in select("2021", "t4", "row"):
        parts = multinomial(rng, counts[block.key], [70, 8, 12, 10])
        for col, v in zip(T4_RESULTS, parts):
            cells[(block.key, col)] = v
        cells[(block.key, "total")] = counts[block.key]
    return cells


def _money(x: float) -> float:
    return round(x, 2)


def t2(rng: random.Random, a: Agency, st: AgencyState, layout: str) -> dict[tuple[str, str], float]:
    """Table 二; advances documents in force, the published totals and the 2019 item counts."""
    lf = LEVEL_FACTOR[a.level]
    regs = {"province": 5, "prefecture": 1.5}.get(a.level, 0) if a.kind == "government" else 0
    docs = DOCS_SCALE.get(a.sector, 2) * (1.5 if a.level == "province" else 1)
    issued = {"regulations": poisson(rng, regs), "normative_documents": poisson(rng, docs)}
    abolished = {k: min(st.in_force[k], poisson(rng, st.in_force[k] * 0.04)) for k in issued}
    published = {k: issued[k] if rng.random() < 0.9 else max(0, issued[k] - 1) for k in issued}
    decisions = {
        "licensing": poisson(rng, LICENSING.get(a.sector, 20) * lf * rng.lognormvariate(0, 1.0)),
        "penalty": poisson(rng, PENALTY.get(a.sector, 2) * lf * rng.lognormvariate(0, 1.0)),
        "other_services": poisson(rng, 30 * lf * rng.lognormvariate(0, 1.0)),
    }
    decisions["coercion"] = poisson(rng, decisions["penalty"] * 0.04)
    fee_10k = _money(rng.lognormvariate(3, 1.5)) if a.charges_fees and rng.random() < 0.6 else 0.0
    cells: dict[tuple[str, str], float] = {}
    for row in select(layout, "t2", "row"):
        r = row.key
        for col in t2_columns_for(layout, row):
            c = col.key
            if c in ("issued", "newly_made"):
                v = issued[r]
            elif c == "abolished":
                v = abolished[r]
            elif c == "in_force":
                v = st.in_force[r] + issued[r] - abolished[r]
            elif c == "newly_published":
                v = published[r]
            elif c == "total_published":
                v = st.published[r] + published[r]
            elif c == "decisions":
                v = decisions[r]
            elif c == "amount_10k_yuan":
                v = fee_10k
            elif c == "items_last_year":
                v = st.items[r]
            elif c == "change_this_year":
                v = max(-st.items[r], rng.randint(-3, 4) if rng.random() < 0.4 else 0)
            elif c == "procurement_projects":
                v = poisson(rng, 6 * lf)
            elif c == "procurement_amount":
                v = (
                    _money(cells[(r, "procurement_projects")] * rng.uniform(5, 80))
                    if cells[(r, "procurement_projects")]
                    else 0
                )
            else:
                raise KeyError(f"no generator for t2 column {c}")
            cells[(r, c)] = v
    for k in issued:
        st.in_force[k] += issued[k] - abolished[k]
        st.published[k] += published[k]
    for r in st.items:
        if (r, "change_this_year") in cells:
            st.items[r] += int(cells[(r, "change_this_year")])
    return cells


def info_fee(rng: random.Random, a: Agency, year: int) -> tuple[float, int]:
    """(yuan, cases): fees exist from 2021 (信息处理费管理办法) and only a few agencies charge them."""
    if year < 2021 or not a.charges_fees or rng.random() < 0.5:
        return 0.0, 0
    cases = 1 + poisson(rng, 1.5)
    return float(sum(rng.choice([100, 200, 300, 500, 800]) for _ in range(cases))), cases
