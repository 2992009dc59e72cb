"""`xxgk demo`: synthetic reports → lake → warehouse → a summary, end to end."""
from __future__ import annotations

import shutil

from ingest.batch import ingest_paths
from ingest.synthetic import generate

from .build import build
from .home import Home
from .serve import query, render

SUMMARY_SQL = """
select
    a.report_year,
    count(distinct a.report_id) as reports,
    sum(a.requests) filter (where a.outcome = 'new_received') as received,
    sum(a.requests) filter (where a.outcome = 'total_processed') as handled,
    round(100.0 * sum(a.requests) filter (where a.outcome in ('granted', 'partially_granted'))
          / nullif(sum(a.requests) filter (where a.outcome = 'total_processed'), 0), 1) as disclosure_rate_pct
from fct_applications a
where a.applicant_type = 'total'
group by a.report_year
order by a.report_year
"""

SAMPLE_SQL = """
select r.agency_name, a.report_year, a.requests as denied_state_secret, a.raw_text, r.source_format
from fct_applications a join dim_report r using (report_id)
where a.outcome = 'denied_state_secret' and a.applicant_type = 'total'
order by a.requests desc, r.agency_name
limit 5
"""


def _years(spec: str) -> range:
    a, _, b = spec.partition("-")
    return range(int(a), int(b or a) + 1)


def run_demo(home: Home, agencies: int = 50, years: str = "2021-2025", seed: int = 7, workers: int = 1) -> int:
    home.ensure()
    corpus = home.root / "synthetic"
    if corpus.exists():
        shutil.rmtree(corpus)
    print(f"SYNTHETIC DEMO DATA: generating {agencies} agencies x years {years} (seed {seed}) into {corpus}")
    truth = generate(corpus, n_agencies=agencies, years=_years(years), seed=seed)
    s = ingest_paths([corpus / "reports"], home.root, workers=workers)
    print(f"ingest: files in {s.files_in} = reports {s.reports} + quarantined {s.quarantined} + duplicates {s.duplicates}")
    res = build(home)
    print(f"build: {res.models} models and seeds, {res.tests_passed} tests passed, {res.tests_warned} warnings -> {res.db_path}")
    print(f"\nApplications by year (all {len(truth)} reports are synthetic):")
    print(render(*query(home, SUMMARY_SQL)[:2]))
    print("Sample query: most requests refused as state secrets")
    print(render(*query(home, SAMPLE_SQL)[:2]))
    print(f"Try: xxgk sql --home {home.root} \"select * from dim_report limit 5\"")
    return 0
