"""`xxgk demo`: synthetic reports → lake → warehouse → a summary, end to end."""

from __future__ import annotations

import shutil
import sys
from collections import Counter

from ingest.batch import expand, ingest_paths
from ingest.synthetic import DEMO_FORMATS, generate

from .build import build
from .errors import XxgkError
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


def _bar(total: int | None, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="report", file=sys.stderr, dynamic_ncols=True, leave=False)


def _counts(counter: Counter) -> str:
    return ", ".join(f"{k} {v}" for k, v in counter.most_common())


def _reset_demo_home(home: Home) -> None:
    """Start the demo from an empty home, so a rerun never mixes two generated corpora.

    Refused when the home holds a report that is not synthetic: real data is never deleted.
    """
    import duckdb

    reports = home.lake / "reports"
    if reports.exists() and any(reports.rglob("*.parquet")):
        glob = str(reports / "*" / "*.parquet").replace("'", "''")
        real = (
            duckdb.connect()
            .execute(f"select count(*) from read_parquet('{glob}', union_by_name = true) where not is_synthetic")
            .fetchone()[0]
        )
        if real:
            raise XxgkError(f"{home.root} holds {real} real reports; the demo needs a home of its own (--home)")
    for folder in (home.synthetic, home.lake, home.quarantine, home.build_dir, home.dbt_target):
        shutil.rmtree(folder, ignore_errors=True)
    home.db.unlink(missing_ok=True)


def run_demo(home: Home, agencies: int = 300, years: str = "2019-2025", seed: int = 7, workers: int = 2) -> int:
    home.ensure()
    _reset_demo_home(home)
    home.ensure()
    corpus = home.synthetic
    span = _years(years)
    print(f"SYNTHETIC DEMO DATA: generating {agencies} agencies x years {years} (seed {seed}) into {corpus}")
    with _bar(None, "generate") as bar:
        truth = generate(
            corpus,
            n_agencies=agencies,
            years=span,
            seed=seed,
            formats=DEMO_FORMATS,
            progress=bar.update,
            workers=workers,
            total=lambda n: setattr(bar, "total", n),
        )
    print(f"generated {len(truth)} synthetic reports: {_counts(Counter(r.fmt for r in truth))}")
    print(
        f"quirks injected (truth in {corpus / 'truth.jsonl'}): {_counts(Counter(q for r in truth for q in r.quirks))}"
    )
    files = expand([corpus / "reports"])
    with _bar(len(files), "ingest") as bar:
        s = ingest_paths(files, home, workers=workers, progress=bar.update)
    print(
        f"ingest: files in {s.files_in} = reports {s.reports} + quarantined {s.quarantined} + duplicates {s.duplicates}"
    )
    res = build(home)
    print(
        f"build: {res.models} models and seeds, {res.tests_passed} tests passed, {res.tests_warned} warnings -> {res.db_path}"
    )
    print(f"\nApplications by year (all {len(truth)} reports are synthetic):")
    print(render(*query(home, SUMMARY_SQL)[:2]))
    print("Sample query: most requests refused as state secrets")
    print(render(*query(home, SAMPLE_SQL)[:2]))
    print(f'Try: xxgk sql --home {home.root} "select * from dim_report limit 5"')
    return 0
