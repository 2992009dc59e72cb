"""Generate → ingest → build: every mart cell equals the generator's truth."""

from helpers import db
from ingest.batch import ingest_paths
from ingest.synthetic import CARRY_BREAK_RULE
from warehouse.score import FACTS as FACT


def _mart_cells(con):
    out = {}
    for table, (fct, rk, ck, val) in FACT.items():
        rows = con.execute(f"""select r.source_path, f.{rk}, f.{ck}, {val}, f.is_blank
                               from {fct} f join dim_report r using (report_id)""").fetchall()
        for path, r, c, v, blank in rows:
            out[(path, f"{table}|{r}|{c}")] = None if blank else v
    return out


def test_every_mart_cell_equals_truth(synthetic_home):
    home, truth = synthetic_home["home"], synthetic_home["truth"]
    corpus = synthetic_home["corpus"].resolve()
    with db(home) as con:
        got = _mart_cells(con)
    expected = {}
    assert any(not rep.is_current for rep in truth)  # a revision: facts hold its current version only
    for rep in truth:
        if not rep.is_current:
            continue
        for key, v in rep.cells.items():
            expected[(str(corpus / rep.file), key)] = v
    assert len(got) == len(expected)
    mismatches = [(k, v, got.get(k)) for k, v in expected.items() if got.get(k, "missing") != v]
    assert not mismatches, mismatches[:10]


def test_reports_flagged_synthetic_with_metadata(synthetic_home):
    home, truth = synthetic_home["home"], synthetic_home["truth"]
    corpus = synthetic_home["corpus"].resolve()
    with db(home) as con:
        rows = {
            r[0]: r[1:]
            for r in con.execute(
                "select source_path, agency_name, report_year, template_version, published_on, is_synthetic, is_current from dim_report"
            ).fetchall()
        }
    assert len(rows) == len(truth)
    for rep in truth:
        agency, year, template, published, synthetic, current = rows[str(corpus / rep.file)]
        assert (agency, year, template, published.isoformat()) == (rep.agency, rep.year, rep.layout, rep.published)
        assert synthetic and current == rep.is_current


def test_fees_and_quirk_findings(synthetic_home):
    home, truth = synthetic_home["home"], synthetic_home["truth"]
    corpus = synthetic_home["corpus"].resolve()
    with db(home) as con:
        fees = dict(
            con.execute("""select r.source_path, f.amount_yuan from fct_fees f join dim_report r using (report_id)
                                    where fee_type = 'info_processing_fee'""").fetchall()
        )
        found = set(
            con.execute("""select r.source_path, f.rule_id, f.table_id, f.row_key, f.col_key
                                   from stg_findings f join dim_report r using (report_id)
                                   where f.severity in ('warn', 'error')""").fetchall()
        )
    assert set(fees) == {str(corpus / r.file) for r in truth if r.is_current}
    for rep in truth:
        if rep.is_current:
            assert fees[str(corpus / rep.file)] == rep.info_fee["amount_yuan"]
    expected = {
        (str(corpus / r.file), f["rule_id"], f["table_id"], f["row_key"], f["col_key"])
        for r in truth
        for f in r.findings
        if f["rule_id"] != CARRY_BREAK_RULE
    }
    assert found == expected and found


def test_carry_over_breaks_are_exactly_the_injected_ones(synthetic_home):
    home, truth = synthetic_home["home"], synthetic_home["truth"]
    corpus = synthetic_home["corpus"].resolve()
    with db(home) as con:
        breaks = set(
            con.execute("""
            select r.source_path, a.applicant_type
            from fct_applications a
            join fct_applications p
              on p.agency_id = a.agency_id and p.report_year = a.report_year - 1 and p.applicant_type = a.applicant_type
             and p.outcome = 'carried_forward'
            join dim_report r on r.report_id = a.report_id
            where a.outcome = 'carried_over' and a.requests <> p.requests""").fetchall()
        )
    expected = {
        (str(corpus / r.file), f["col_key"])
        for r in truth
        if r.is_current
        for f in r.findings
        if f["rule_id"] == CARRY_BREAK_RULE
    }
    assert breaks == expected and breaks


def test_ingest_twice_changes_nothing(synthetic_home):
    home = synthetic_home["home"]
    before = sorted(p.relative_to(home.lake) for p in home.lake.rglob("*.parquet") if "sources" not in p.parts)
    s = ingest_paths([synthetic_home["corpus"] / "reports"], home.root)
    after = sorted(p.relative_to(home.lake) for p in home.lake.rglob("*.parquet") if "sources" not in p.parts)
    assert s.duplicates == s.files_in and s.reports == 0
    assert before == after


def test_build_warns_on_source_inconsistency(synthetic_home):
    res = synthetic_home["build"]
    assert res.tests_passed > 20
    t4_breaks = any(
        f["rule_id"] == "t4_total_equals_sum" for r in synthetic_home["truth"] if r.is_current for f in r.findings
    )
    assert any("t4_block_total" in w for w in res.warnings) == t4_breaks
