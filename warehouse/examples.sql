-- Named queries for `xxgk sql --example NAME` (`--example list` shows them).
-- Each starts with "-- name: NAME", then comment lines describing it, then one read query.

-- name: tables
-- The tables and views of the warehouse.
select table_name, table_type
from information_schema.tables
where table_schema = 'main'
order by table_type, table_name;

-- name: reports_by_year
-- Reports per year and format, with how many are synthetic.
select report_year, source_format, count(*) as reports, count(*) filter (where is_synthetic) as synthetic,
       count(*) filter (where not is_current) as superseded
from dim_report
group by report_year, source_format
order by report_year, source_format;

-- name: disclosure_rate
-- Disclosure rate by year: granted in full or in part, over all handled (table 三, all applicants).
select report_year,
       round(100.0 * sum(requests) filter (where outcome in ('granted', 'partially_granted'))
             / nullif(sum(requests) filter (where outcome = 'total_processed'), 0), 1) as disclosure_rate_pct
from fct_applications where applicant_type = 'total'
group by report_year order by report_year;

-- name: refusal_reasons
-- Why requests were refused, by reason, over all years.
select outcome, sum(requests) as requests
from fct_applications
where applicant_type = 'total' and outcome like 'denied_%'
group by outcome order by requests desc;

-- name: trace_numbers
-- The ten largest counts of new applications, each traced to its source file and cell.
select r.agency_name, r.report_year, a.requests, a.raw_text, r.source_path, a.src_table_index, a.src_row, a.src_col
from fct_applications a join dim_report r using (report_id)
where a.outcome = 'new_received' and a.applicant_type = 'total'
order by a.requests desc limit 10;

-- name: appeals
-- Administrative reconsideration and litigation by year: cases and how many were corrected.
select report_year, proceeding, sum(cases) filter (where result = 'total') as cases,
       sum(cases) filter (where result = 'corrected') as corrected
from fct_appeals
group by report_year, proceeding
order by report_year, proceeding;

-- name: fees
-- Information-processing fees charged, by year.
select report_year, count(*) filter (where amount_yuan > 0) as agencies_charging, sum(amount_yuan) as yuan
from fct_fees
where fee_type = 'info_processing_fee'
group by report_year order by report_year;

-- name: revisions
-- Agency-years published in more than one version, newest first.
select agency_name, report_year, report_version, is_current, published_on, source_path
from dim_report
where n_versions > 1
order by agency_name, report_year, report_version desc;

-- name: source_inconsistencies
-- Reconciliation checks (勾稽) that reports break, by rule.
select rule_id, severity, count(distinct report_id) as reports
from stg_findings
group by rule_id, severity
order by reports desc;

-- name: refresh_runs
-- The last twenty refresh runs, newest first.
select run_id, status, started_at, duration_s, files_new, files_changed, files_quarantined,
       reports_added, reports_revised, downloads_failed, build, error
from meta_refresh_runs
order by started_at desc limit 20;

-- name: failed_downloads
-- Downloads that failed in the latest attempt of each URL.
select url, agency, year, error_code, error, status, attempts, fetched_at
from meta_fetches
qualify row_number() over (partition by url order by fetched_at desc) = 1 and error is not null
order by fetched_at desc;
