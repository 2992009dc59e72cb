"""The real Tai'an text and 沭阳县 HTML reports land on exactly their golden values in the marts."""

import hashlib

import pytest

from helpers import db, load_golden
from ingest.batch import ingest_paths
from warehouse.build import build
from warehouse.score import FACTS as FACT


def _golden_for(path, shared):
    return load_golden(shared / "golden" / (path.stem + ".json"))


@pytest.mark.parametrize("name", ["2024_taian_xzspfwj.txt", "2023_shuyangxian_fgj.html"])
def test_marts_hold_golden_values(real_home, shared_corpus, name):
    path = shared_corpus / "raw" / name
    gold = _golden_for(path, shared_corpus)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with db(real_home["home"]) as con:
        meta = con.execute(
            "select agency_name, report_year, template_version, published_on from dim_report where source_sha256 = ?",
            [sha],
        ).fetchone()
        assert meta[0] == gold["agency"] and meta[1] == gold["report_year"] and meta[2] == gold["template"]
        assert (meta[3].isoformat() if meta[3] else None) == gold["published"]
        for table, (fct, rk, ck, val) in FACT.items():
            rows = con.execute(
                f"""select f.{rk} || '|' || f.{ck}, {val}, f.is_blank from {fct} f
                                   join dim_report r using (report_id) where r.source_sha256 = ?""",
                [sha],
            ).fetchall()
            got = {k: (None if blank else v) for k, v, blank in rows}
            assert got == gold[table], table


def test_info_fee_from_part_six(real_home, shared_corpus):
    with db(real_home["home"]) as con:
        for path in real_home["files"]:
            gold = _golden_for(path, shared_corpus)
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
            amount, cases = con.execute(
                """select amount_yuan, cases from fct_fees f join dim_report r using (report_id)
                                           where r.source_sha256 = ? and fee_type = 'info_processing_fee'""",
                [sha],
            ).fetchone()
            assert (amount, cases) == (gold["info_fee"]["amount_yuan"], gold["info_fee"]["cases"])


def test_second_ingest_leaves_row_counts_unchanged(real_home):
    home = real_home["home"]
    tables = ["dim_report", "dim_agency", "fct_applications", "fct_appeals", "fct_disclosures", "fct_fees"]
    with db(home) as con:
        before = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}
    s = ingest_paths(real_home["files"], home.root)
    assert s.duplicates == 2 and s.reports == 0
    build(home)
    with db(home) as con:
        after = {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}
    assert before == after and before["dim_report"] == 2
