-- One row per current report, and so per agency-year: harmonised measures of tables 二, 三 and 四,
-- fees, rates and data quality, with the agency's level, kind and region.
-- A measure whose cells are all blank is null (unknown), and so is a rate over a null or zero denominator.
with reports as (
    select * from {{ ref('dim_report') }} where is_current
),

applications as (
    select
        report_id,
        {{ printed_sum('requests', "harmonised_outcome = 'new_received'") }} as received,
        {{ printed_sum('requests', "harmonised_outcome = 'carried_over'") }} as carried_over,
        {{ printed_sum('requests', "outcome_group = 'total_processed'") }} as handled,
        {{ printed_sum('requests', "outcome_group = 'granted'") }} as granted,
        {{ printed_sum('requests', "outcome_group = 'partially_granted'") }} as partially_granted,
        {{ printed_sum('requests', "outcome_group = 'denied'") }} as denied,
        {{ printed_sum('requests', "outcome_group = 'unable'") }} as unable,
        {{ printed_sum('requests', "outcome_group = 'not_processed'") }} as not_processed,
        {{ printed_sum('requests', "outcome_group = 'other'") }} as other,
        {{ printed_sum('requests', "outcome_group = 'carried_forward'") }} as carried_forward
    from {{ ref('fct_applications') }}
    where harmonised_applicant_type = 'total'
    group by report_id
),

appeals as (
    select
        report_id,
        {{ printed_sum('cases', "proceeding_group = 'reconsideration' and outcome_group = 'total'") }} as reconsiderations,
        {{ printed_sum('cases', "proceeding_group = 'reconsideration' and outcome_group = 'corrected'") }} as reconsiderations_corrected,
        {{ printed_sum('cases', "proceeding_group = 'reconsideration' and outcome_group in ('upheld', 'corrected', 'other')") }} as reconsiderations_concluded,
        {{ printed_sum('cases', "proceeding_group = 'litigation' and outcome_group = 'total'") }} as lawsuits,
        {{ printed_sum('cases', "proceeding_group = 'litigation' and outcome_group = 'corrected'") }} as lawsuits_corrected,
        {{ printed_sum('cases', "proceeding_group = 'litigation' and outcome_group in ('upheld', 'corrected', 'other')") }} as lawsuits_concluded
    from {{ ref('fct_appeals') }}
    group by report_id
),

documents as (
    select
        report_id,
        {{ printed_sum('value', "harmonised_item in ('regulations', 'normative_documents') and harmonised_measure = 'documents_issued'") }} as documents_issued,
        {{ printed_sum('value', "harmonised_item in ('regulations', 'normative_documents') and harmonised_measure = 'documents_in_force'") }} as documents_in_force
    from {{ ref('fct_disclosures') }}
    group by report_id
),

fees as (
    select
        report_id,
        max(amount_yuan) filter (where fee_type = 'admin_fees') as admin_fees_yuan,
        max(amount_yuan) filter (where fee_type = 'info_processing_fee') as info_fee_yuan,
        max(cases) filter (where fee_type = 'info_processing_fee') as info_fee_cases
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
        coalesce(q.findings, 0) as findings,
        coalesce(q.error_findings, 0) as error_findings,
        r.rules_failed,
        r.parse_status
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
