{#
  Reconciliation (勾稽) checks from the seed reconciliation_rules: the same rows ingest/rules.py reads,
  so each rule is written once. A rule runs along its scope (every column, or every row, of its table
  in the report's layout; scope_keys narrows it); at each scope key the sum of its left terms (the
  printed total: `actual`) is compared with the sum of its right terms (`expected`). A term is a key on
  the other axis, `group:g` (every key of the layout whose group_key is g, seed template_keys), `-` in
  front to subtract, `prior.` for the agency's report of the year before.

  `cells`: a relation or CTE with report_id, agency_id, report_year, table_id, layout, row_key, col_key,
  v (the value, a blank as 0), unreadable and is_blank. `span`: report or prior_year (the seed's span), or
  `rule_id`: one rule; neither: every rule.
  One row per check made: a check with a missing or unreadable cell is not made. blank_total: the rule
  reads a blank single total over printed parts as a completeness gap (not passed, not an arithmetic break).
#}
{% macro reconciliation_checks(cells, span=none, rule_id=none) %}
    with rules as (
        select *, case scope when 'column' then 'row' else 'column' end as term_kind
        from {{ ref('reconciliation_rules') }}
        where true
        {%- if span %} and span = '{{ span }}'{% endif %}
        {%- if rule_id %} and rule_id = '{{ rule_id }}'{% endif %}
    ),

    keys as (
        select template, "table" as table_id, kind, key, group_key, label_zh from {{ ref('template_keys') }}
    ),

    term_text as (
        select rule_id, 'left' as side, unnest(string_split(left_terms, '|')) as term from rules
        union all
        select rule_id, 'right' as side, unnest(string_split(right_terms, '|')) as term from rules
    ),

    terms as (
        select rule_id, side,
            regexp_extract(term, '(\w+)$') as ref,
            case when starts_with(term, '-') then -1 else 1 end as sign,
            case when contains(term, 'prior.') then 1 else 0 end as years_back,
            contains(term, 'group:') as is_group
        from term_text
    ),

    report_tables as (
        select distinct report_id, agency_id, report_year, table_id, layout from {{ cells }}
    ),

    -- one check per report, rule and key of the rule's scope in the report's layout
    rule_checks as (
        select t.report_id, t.agency_id, t.report_year, r.rule_id, r.table_id, r.scope, r.term_kind, r.blank_total,
               r.severity, r.message, k.key as scope_key, k.label_zh as scope_label
        from report_tables as t
        join rules as r on r.table_id = t.table_id
        join keys as k on k.table_id = t.table_id and k.kind = r.scope and k.template in (t.layout, 'both')
        where coalesce(r.scope_keys, '') = '' or list_contains(string_split(r.scope_keys, '|'), k.key)
    ),

    -- the report each term reads: this one, or the agency's report of the year before
    term_reports as (
        select c.report_id, c.rule_id, c.scope_key, c.scope, c.term_kind, c.table_id, tm.side, tm.sign, tm.years_back,
               tm.ref, tm.is_group,
               coalesce(same.report_id, prior.report_id) as term_report_id,
               coalesce(same.layout, prior.layout) as term_layout
        from rule_checks as c
        join terms as tm on tm.rule_id = c.rule_id
        left join report_tables as same
            on tm.years_back = 0 and same.report_id = c.report_id and same.table_id = c.table_id
        left join report_tables as prior
            on tm.years_back > 0 and prior.agency_id = c.agency_id and prior.report_year = c.report_year - tm.years_back
            and prior.table_id = c.table_id
    ),

    -- the cells each check needs: a group term stands for its keys in the layout of the report it reads
    term_cells as (
        select t.*, coalesce(k.key, t.ref) as term_key,
               case when t.scope = 'column' then coalesce(k.key, t.ref) else t.scope_key end as row_key,
               case when t.scope = 'column' then t.scope_key else coalesce(k.key, t.ref) end as col_key
        from term_reports as t
        left join keys as k
            on t.is_group and k.table_id = t.table_id and k.kind = t.term_kind and k.group_key = t.ref
            and k.template in (t.term_layout, 'both')
    ),

    sums as (
        select
            n.report_id, n.rule_id, n.scope_key,
            bool_and(x.report_id is not null and not x.unreadable) as complete,
            sum(n.sign * x.v) filter (where n.side = 'left') as actual,
            sum(n.sign * x.v) filter (where n.side = 'right') as expected,
            count(*) filter (where n.side = 'left') as n_left,
            any_value(n.term_key) filter (where n.side = 'left') as left_key,
            bool_or(x.is_blank) filter (where n.side = 'left') as left_blank,
            bool_or(not x.is_blank) filter (where n.side = 'right') as right_printed,
            any_value(n.term_report_id) filter (where n.years_back > 0) as prior_report_id
        from term_cells as n
        left join {{ cells }} as x
            on x.report_id = n.term_report_id and x.table_id = n.table_id and x.row_key = n.row_key and x.col_key = n.col_key
        group by n.report_id, n.rule_id, n.scope_key
    )

    select
        c.report_id,
        c.agency_id,
        c.report_year,
        s.prior_report_id,
        c.rule_id,
        c.severity,
        c.table_id,
        case when s.n_left = 1 and c.scope = 'column' then s.left_key
             when c.scope = 'row' then c.scope_key end as row_key,
        case when s.n_left = 1 and c.scope = 'row' then s.left_key
             when c.scope = 'column' then c.scope_key end as col_key,
        s.expected,
        s.actual,
        replace(replace(replace(replace(c.message,
            '{expected}', s.expected::bigint::varchar), '{actual}', s.actual::bigint::varchar),
            '{scope}', c.scope_key), '{label}', c.scope_label) as message,
        c.blank_total = 'yes' and s.n_left = 1 and s.left_blank and coalesce(s.right_printed, false) as blank_total,
        abs(s.expected - s.actual) < 1e-6
            and not (c.blank_total = 'yes' and s.n_left = 1 and s.left_blank and coalesce(s.right_printed, false)) as passed
    from rule_checks as c
    join sums as s on s.report_id = c.report_id and s.rule_id = c.rule_id and s.scope_key = c.scope_key
    where s.complete
{% endmacro %}
