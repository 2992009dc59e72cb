-- One row per current report, and so per agency-year: harmonised measures of tables 二, 三 and 四,
-- fees, rates and data quality, with the agency's level, kind and region.
-- A measure whose cells are all blank is null (unknown), and so is a rate over a null or zero denominator.
-- Where a row's printed total is blank but all its parts are printed, the measure uses the sum of the
-- parts and names itself in derived_from_parts; counts are BIGINT.
with reports as (
    select * from {{ ref('dim_report') }} where is_current
),

-- Table 三 and 四 rows with their total: the printed total, or, where the printed total is blank and
-- every part of it is printed, the sum of the parts (derived = true). The facts keep the printed blank.
t3_rows as (
    {{ total_from_parts(ref('fct_applications'), 'requests', 'outcome', 'harmonised_applicant_type',
                        ['outcome_group', 'harmonised_outcome'], 't3') }}
),

t4_rows as (
    {{ total_from_parts(ref('fct_appeals'), 'cases', 'proceeding', 'outcome_group', ['proceeding_group'], 't4') }}
),

t4_parts as (
    select report_id, proceeding_group, outcome_group, cases as requests, is_blank
    from {{ ref('fct_appeals') }}
    where outcome_group <> 'total'
),

applications as (
    select
        report_id,
        {{ total_sum("harmonised_outcome = 'new_received'") }} as received,
        {{ total_sum("harmonised_outcome = 'carried_over'") }} as carried_over,
        {{ total_sum("outcome_group = 'total_processed'") }} as handled,
        {{ total_sum("outcome_group = 'granted'") }} as granted,
        {{ total_sum("outcome_group = 'partially_granted'") }} as partially_granted,
        {{ total_sum("outcome_group = 'denied'") }} as denied,
        {{ total_sum("outcome_group = 'unable'") }} as unable,
        {{ total_sum("outcome_group = 'not_processed'") }} as not_processed,
        {{ total_sum("outcome_group = 'other'") }} as other,
        {{ total_sum("outcome_group = 'carried_forward'") }} as carried_forward,
        {{ derived_list({
            'received': "harmonised_outcome = 'new_received'",
            'carried_over': "harmonised_outcome = 'carried_over'",
            'handled': "outcome_group = 'total_processed'",
            'granted': "outcome_group = 'granted'",
            'partially_granted': "outcome_group = 'partially_granted'",
            'denied': "outcome_group = 'denied'",
            'unable': "outcome_group = 'unable'",
            'not_processed': "outcome_group = 'not_processed'",
            'other': "outcome_group = 'other'",
            'carried_forward': "outcome_group = 'carried_forward'"}) }} as derived_t3
    from t3_rows
    group by report_id
),

appeal_totals as (
    select
        report_id,
        {{ total_sum("proceeding_group = 'reconsideration'") }} as reconsiderations,
        {{ total_sum("proceeding_group = 'litigation'") }} as lawsuits,
        {{ derived_list({'reconsiderations': "proceeding_group = 'reconsideration'",
                         'lawsuits': "proceeding_group = 'litigation'"}) }} as derived_t4
    from t4_rows
    group by report_id
),

appeals as (
    select
        t.report_id,
        t.reconsiderations,
        p.reconsiderations_corrected,
        p.reconsiderations_concluded,
        t.lawsuits,
        p.lawsuits_corrected,
        p.lawsuits_concluded,
        t.derived_t4
    from appeal_totals as t
    left join (
        select
            report_id,
            {{ printed_sum('requests', "proceeding_group = 'reconsideration' and outcome_group = 'corrected'") }} as reconsiderations_corrected,
            {{ printed_sum('requests', "proceeding_group = 'reconsideration' and outcome_group in ('upheld', 'corrected', 'other')") }} as reconsiderations_concluded,
            {{ printed_sum('requests', "proceeding_group = 'litigation' and outcome_group = 'corrected'") }} as lawsuits_corrected,
            {{ printed_sum('requests', "proceeding_group = 'litigation' and outcome_group in ('upheld', 'corrected', 'other')") }} as lawsuits_concluded
        from t4_parts
        group by report_id
    ) as p using (report_id)
),

documents as (
    select
        report_id,
        cast({{ printed_sum('quantity', "harmonised_item in ('regulations', 'normative_documents') and harmonised_measure = 'documents_issued'") }} as bigint) as documents_issued,
        cast({{ printed_sum('quantity', "harmonised_item in ('regulations', 'normative_documents') and harmonised_measure = 'documents_in_force'") }} as bigint) as documents_in_force
    from {{ ref('fct_disclosures') }}
    group by report_id
),

fees as (
    select
        report_id,
        max(amount_yuan) filter (where fee_type = 'admin_fees') as admin_fees_yuan,
        max(amount_yuan) filter (where fee_type = 'info_processing_fee') as info_fee_yuan,
        cast(max(cases) filter (where fee_type = 'info_processing_fee') as bigint) as info_fee_cases
    from {{ ref('fct_fees') }}
    group by report_id
),

findings as (
    select report_id, count(*) as findings, count(*) filter (where severity = 'error') as error_findings
    from {{ ref('stg_findings') }}
    group by report_id
),

measures as (
    select
        r.report_id,
        r.agency_id,
        r.agency_name,
        r.report_year,
        r.template_version,
        r.t3_layout,
        r.is_synthetic,
        ag.level,
        ag.kind,
        ag.division_code,
        ag.province_code,
        ag.province_name,
        ag.prefecture_code,
        ag.prefecture_name,
        ag.county_code,
        ag.county_name,
        ag.unresolved as agency_unresolved,
        a.received,
        a.carried_over,
        a.handled,
        a.granted,
        a.partially_granted,
        {{ sum_known(['a.granted', 'a.partially_granted']) }} as disclosed,
        a.denied,
        a.unable,
        a.not_processed,
        a.other,
        a.carried_forward,
        p.reconsiderations,
        p.reconsiderations_corrected,
        p.reconsiderations_concluded,
        p.lawsuits,
        p.lawsuits_corrected,
        p.lawsuits_concluded,
        f.admin_fees_yuan,
        f.info_fee_yuan,
        f.info_fee_cases,
        d.documents_issued,
        d.documents_in_force,
        cast(coalesce(q.findings, 0) as bigint) as findings,
        cast(coalesce(q.error_findings, 0) as bigint) as error_findings,
        r.rules_failed,
        r.parse_status,
        list_concat(
            coalesce(a.derived_t3, []),
            case when list_has_any(coalesce(a.derived_t3, []), ['granted', 'partially_granted']) then ['disclosed'] else [] end,
            coalesce(p.derived_t4, [])
        ) as derived_from_parts
    from reports as r
    left join {{ ref('dim_agency') }} as ag on ag.agency_id = r.agency_id
    left join applications as a on a.report_id = r.report_id
    left join appeals as p on p.report_id = r.report_id
    left join documents as d on d.report_id = r.report_id
    left join fees as f on f.report_id = r.report_id
    left join findings as q on q.report_id = r.report_id
)

select
    *,
    {{ safe_ratio('disclosed', 'handled') }} as disclosure_rate,
    {{ safe_ratio('denied', 'handled') }} as denial_rate,
    {{ safe_ratio('unable', 'handled') }} as unable_rate,
    {{ safe_ratio('reconsiderations_corrected', 'reconsiderations_concluded') }} as reconsideration_correction_rate,
    {{ safe_ratio('lawsuits_corrected', 'lawsuits_concluded') }} as lawsuit_correction_rate
from measures
