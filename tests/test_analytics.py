"""Agencies, harmonised facts and the analytics marts in built warehouses.

Two warehouses, each built once: generated reports whose agencies were renamed (an alias, a
traditional-character spelling, an ambiguous name), and the six real reports of ../shared/corpus.
"""

import hashlib
import json
import re

import pytest

from helpers import db, load_golden
from ingest.agency_names import Resolver
from ingest.batch import ingest_paths
from ingest.synthetic.figures import APPLICANTS
from warehouse.build import build
from warehouse.cli import main
from warehouse.home import Home

# generated agency index -> printed name per year
RENAMES = {
    0: {2022: "沭阳县发展和改革委员会", 2023: "沭阳县发展和改革局"},  # renamed in a reform (agency_aliases seed)
    1: {2022: "淮安市洪澤區人民政府", 2023: "洪泽区人民政府"},  # traditional characters; with and without 淮安市
    2: {2022: "鼓楼区人民政府", 2023: "鼓楼区人民政府"},  # four districts have this name
}


@pytest.fixture(scope="session")
def agency_home(tmp_path_factory):
    from ingest.synthetic import generate

    root = tmp_path_factory.mktemp("agencies")
    truth = generate(root / "corpus", n_agencies=4, years=range(2022, 2024), seed=5)
    agencies = list(dict.fromkeys(r.agency for r in truth))
    for rep in truth:
        new = RENAMES.get(agencies.index(rep.agency), {}).get(rep.year)
        if new:
            path = root / "corpus" / rep.file
            path.write_text(path.read_text(encoding="utf-8").replace(rep.agency, new), encoding="utf-8")
    home = Home.resolve(root / "home")
    ingest_paths([root / "corpus" / "reports"], home.root)
    build(home)
    return {"home": home, "truth": truth, "agencies": agencies}


def _agency_of(con, name):
    return (
        con.execute(
            """select a.* from dim_agency a join dim_report r using (agency_id)
                          where r.agency_name = ?""",
            [name],
        )
        .fetchdf()
        .to_dict("records")[0]
    )


def test_renamed_agencies_keep_one_id(agency_home):
    with db(agency_home["home"]) as con:
        old, new = _agency_of(con, "沭阳县发展和改革委员会"), _agency_of(con, "沭阳县发展和改革局")
        assert old["agency_id"] == new["agency_id"] and new["n_years"] == 2
        assert new["renamed_from"] == "沭阳县发展和改革委员会"
        assert set(new["names_seen"].split(" | ")) == {"沭阳县发展和改革局", "沭阳县发展和改革委员会"}
        trad, short = _agency_of(con, "淮安市洪澤區人民政府"), _agency_of(con, "洪泽区人民政府")
        assert trad["agency_id"] == short["agency_id"]
        assert (short["county_code"], short["level"], short["kind"]) == ("320813", "county", "government")
        n_agencies = con.execute("select count(*) from dim_agency").fetchone()[0]
        names = [n for (n,) in con.execute("select distinct agency_name from dim_report").fetchall()]
    resolver = Resolver.from_seeds()
    assert n_agencies == len({resolver.resolve(n).agency_id for n in names}) < len(names)


def test_unresolved_names_kept_and_listed_by_check(agency_home, capsys):
    home = agency_home["home"]
    with db(home) as con:
        rows = con.execute(
            "select agency_name, unresolved_reason, n_years, province_code from dim_agency where unresolved"
        ).fetchall()
    assert len(rows) == 1
    name, reason, years, province = rows[0]
    assert name == "鼓楼区人民政府" and years == 2 and province is None
    assert reason.startswith("ambiguous_region") and "320106" in reason
    assert main(["check", "--home", str(home.root)]) == 0
    out = capsys.readouterr().out
    assert "Unresolved agency names: 1" in out and "鼓楼区人民政府" in out and "ambiguous_region" in out


def test_agency_year_one_row_per_current_report(agency_home):
    with db(agency_home["home"]) as con:
        n_current = con.execute("select count(*) from dim_report where is_current").fetchone()[0]
        rows = con.execute(
            "select report_id, agency_id, report_year, handled, disclosed, disclosure_rate from agency_year"
        ).fetchall()
        totals = dict(
            con.execute("""select report_id, sum(requests) filter (where outcome_group = 'total_processed')
                                     from fct_applications where applicant_type = 'total' group by report_id""").fetchall()
        )
    assert len(rows) == n_current >= len(agency_home["agencies"])
    assert len({(a, y) for _, a, y, *_ in rows}) == len(rows)
    for rid, _, _, handled, disclosed, rate in rows:
        assert handled == totals[rid]
        assert rate == (pytest.approx(disclosed / handled) if handled else None)


def test_rollups_add_up(agency_home):
    with db(agency_home["home"]) as con:
        nat = con.execute(
            "select report_year, reports, handled, disclosed, disclosure_rate from national_year order by 1"
        ).fetchall()
        ay = con.execute("""select report_year, count(*), sum(handled), sum(disclosed) from agency_year
                            group by 1 order by 1""").fetchall()
        prov = con.execute("""select report_year, sum(reports), sum(handled) from region_year where rollup = 'province'
                              group by 1 order by 1""").fetchall()
        placed = con.execute("""select report_year, count(*), sum(handled) from agency_year where province_code is not null
                                group by 1 order by 1""").fetchall()
        pref = con.execute(
            "select count(*) from region_year where rollup = 'prefecture' and region_code is null"
        ).fetchone()[0]
        unplaced = con.execute("""select count(*) filter (where province_code is null),
                                         count(*) filter (where agency_unresolved) from agency_year""").fetchone()
    assert [r[:4] for r in nat] == ay
    for _, _, handled, disclosed, rate in nat:
        assert rate == pytest.approx(disclosed / handled)
    assert prov == placed and pref == 0
    assert unplaced == (2, 2)  # the ambiguous agency's two reports have no province


def test_every_mart_column_described_in_english_and_chinese(agency_home):
    manifest = json.loads((agency_home["home"].root / ".dbt-target" / "manifest.json").read_text(encoding="utf-8"))
    marts = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and any(d in "/" + n["original_file_path"] for d in ("/marts/", "/quality/"))
    ]
    assert {"agency_year", "region_year", "national_year", "dim_agency"} <= {n["name"] for n in marts}
    assert {"dq_cross_year_checks", "dq_findings", "dq_report_scorecard", "dq_agency_scorecard", "dq_rejects"} <= {
        n["name"] for n in marts
    }
    with db(agency_home["home"]) as con:
        for node in marts:
            cols = [r[0] for r in con.execute(f"describe {node['name']}").fetchall()]
            for text, what in [(node["description"], node["name"])] + [
                (node["columns"].get(c, {}).get("description", ""), f"{node['name']}.{c}") for c in cols
            ]:
                assert re.search(r"[\u4e00-\u9fff]", text) and re.search(r"[A-Za-z]{3}", text), what
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert {"notebook_trends", "notebook_agencies", "notebook_appeals_and_fees", "notebook_data_quality"} <= set(
        exposures
    )
    assert all(e["type"] == "notebook" and e["depends_on"]["nodes"] for e in exposures.values())


def test_docs_site_built_offline(agency_home, capsys):
    home = agency_home["home"]
    assert main(["docs", "--home", str(home.root)]) == 0
    path = capsys.readouterr().out.strip()
    html = open(path, encoding="utf-8").read()
    assert path == str(home.root / "docs" / "index.html")
    zh = "公开率"  # the site embeds the manifest as JSON, where Chinese may be \u-escaped
    assert "agency_year" in html and "notebook_trends" in html
    assert zh in html or zh.encode("unicode_escape").decode() in html
    assert not (home.build_dir / "docs.duckdb").exists()


# -- the real reports ------------------------------------------------------------------------------------

REAL = {  # file -> province, prefecture, county code, division code, level, kind
    "2024_taian_xzspfwj.txt": ("山东省", "泰安市", None, "370900", "prefecture", "department"),
    "2023_shuyangxian_fgj.html": ("江苏省", "宿迁市", "321322", "321322", "county", "department"),
    "2023_hongzequ_zf.pdf": ("江苏省", "淮安市", "320813", "320813", "county", "government"),
    "2024_hongzequ_zf.pdf": ("江苏省", "淮安市", "320813", "320813", "county", "government"),
    "2024_huaianshi_zf.pdf": ("江苏省", "淮安市", None, "320800", "prefecture", "government"),
    "2025_shanghai_szfbgt.md": ("上海市", None, None, "310000", "provincial", "government_office"),
}


@pytest.fixture(scope="session")
def corpus_home(shared_corpus, tmp_path_factory):
    home = Home.resolve(tmp_path_factory.mktemp("corpus") / "home")
    files = [shared_corpus / "raw" / f for f in REAL]
    summary = ingest_paths(files, home.root)
    assert summary.reports == len(REAL)
    build(home)
    return {"home": home, "files": files}


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_real_agencies_resolve_in_dim_agency(corpus_home):
    with db(corpus_home["home"]) as con:
        got = {}
        for path in corpus_home["files"]:
            got[path.name] = con.execute(
                """select a.province_name, a.prefecture_name, a.county_code, a.division_code,
                                                   a.level, a.kind, a.unresolved, a.agency_id
                                            from dim_report r join dim_agency a using (agency_id)
                                            where r.source_sha256 = ?""",
                [_sha(path)],
            ).fetchone()
        unresolved = con.execute("select count(*) from dim_agency where unresolved").fetchone()[0]
    assert {f: g[:6] for f, g in got.items()} == REAL
    assert not any(g[6] for g in got.values()) and unresolved == 0
    assert got["2023_hongzequ_zf.pdf"][7] == got["2024_hongzequ_zf.pdf"][7]


def _known_sum(values):
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _ratio(num, den):
    return None if num is None or not den else num / den


T4_PARTS = ("upheld", "corrected", "other", "pending")


def _total_or_parts(cells: dict, row: str, parts: tuple[str, ...]):
    """A row's printed total, or the sum of its parts where the total is blank and every part printed."""
    total = cells.get(f"{row}|total")
    values = [cells.get(f"{row}|{p}") for p in parts]
    return total if total is not None or None in values else sum(values)


def expected_agency_year(gold: dict) -> dict:
    """The agency_year measures computed by hand from a golden file."""
    t3 = {
        k.split("|")[0]: _total_or_parts(gold["t3"], k.split("|")[0], APPLICANTS)
        for k in gold["t3"]
        if k.endswith("|total")
    }
    t4 = {
        **gold["t4"],
        **{f"{p}|total": _total_or_parts(gold["t4"], p, T4_PARTS) for p in {k.split("|")[0] for k in gold["t4"]}},
    }
    t2 = gold["t2"]

    def rows(*prefixes):
        return _known_sum([v for k, v in t3.items() if k.startswith(prefixes)])

    e = {
        "received": t3["new_received"],
        "carried_over": t3["carried_over"],
        "handled": t3["total_processed"],
        "granted": t3["granted"],
        "partially_granted": t3["partially_granted"],
        "denied": rows("denied_"),
        "unable": rows("unable_"),
        "not_processed": rows("not_processed_"),
        "other": rows("other_"),
        "carried_forward": t3["carried_forward"],
    }
    e["disclosure_rate"] = _ratio(_known_sum([e["granted"], e["partially_granted"]]), e["handled"])
    e["denial_rate"] = _ratio(e["denied"], e["handled"])
    e["unable_rate"] = _ratio(e["unable"], e["handled"])
    blocks = {
        "reconsiderations": ["reconsideration"],
        "lawsuits": ["litigation_direct", "litigation_after_reconsideration"],
    }
    for name, procs in blocks.items():
        e[name] = _known_sum([t4[f"{p}|total"] for p in procs])
        e[f"{name}_corrected"] = _known_sum([t4[f"{p}|corrected"] for p in procs])
        e[f"{name}_concluded"] = _known_sum([t4[f"{p}|{c}"] for p in procs for c in ("upheld", "corrected", "other")])
    e["reconsideration_correction_rate"] = _ratio(e["reconsiderations_corrected"], e["reconsiderations_concluded"])
    e["lawsuit_correction_rate"] = _ratio(e["lawsuits_corrected"], e["lawsuits_concluded"])
    fee = t2.get("admin_fees|amount_10k_yuan")
    e["admin_fees_yuan"] = None if fee is None else round(fee * 10000, 2)
    e["info_fee_yuan"], e["info_fee_cases"] = gold["info_fee"]["amount_yuan"], gold["info_fee"]["cases"]
    e["documents_issued"] = _known_sum([t2.get(f"{r}|issued") for r in ("regulations", "normative_documents")])
    e["documents_in_force"] = _known_sum([t2.get(f"{r}|in_force") for r in ("regulations", "normative_documents")])
    return e


@pytest.mark.parametrize("name", sorted(REAL))
def test_agency_year_matches_golden_by_hand(corpus_home, shared_corpus, name):
    path = shared_corpus / "raw" / name
    gold = load_golden(shared_corpus / "golden" / (path.stem + ".json"))
    expected = expected_agency_year(gold)
    with db(corpus_home["home"]) as con:
        cur = con.execute(
            f"""select a.report_year, {", ".join(expected)} from agency_year a
                              join dim_report r using (report_id) where r.source_sha256 = ?""",
            [_sha(path)],
        )
        rows = cur.fetchall()
    assert len(rows) == 1
    got = dict(zip(["report_year", *expected], rows[0]))
    assert got["report_year"] == gold["report_year"]
    for k, v in expected.items():
        assert got[k] == (v if v is None else pytest.approx(v)), k


def test_one_agency_year_row_per_real_report(corpus_home):
    with db(corpus_home["home"]) as con:
        n, pairs = con.execute("select count(*), count(distinct (agency_id, report_year)) from agency_year").fetchone()
        agencies = con.execute("select count(*) from dim_agency").fetchone()[0]
        ids = {
            Resolver.from_seeds().resolve(n).agency_id
            for (n,) in con.execute("select agency_name from dim_report").fetchall()
        }
    assert n == pairs == len(REAL) and agencies == len(ids) == len(REAL) - 1


def test_mart_types_and_comments(agency_home):
    """Counts are BIGINT (pandas gets int64, Parquet int64), money DOUBLE, and the bilingual
    descriptions are DuckDB comments that BI tools show."""
    with db(agency_home["home"]) as con:
        types = dict(
            con.execute("""select table_name || '.' || column_name, data_type from duckdb_columns()
                                    where table_name in ('agency_year', 'national_year', 'fct_disclosures')""").fetchall()
        )
        comments = dict(
            con.execute("""select column_name, comment from duckdb_columns()
                                       where table_name = 'agency_year'""").fetchall()
        )
        table_comment = con.execute("select comment from duckdb_tables() where table_name = 'agency_year'").fetchone()[
            0
        ]
        derived = con.execute("select typeof(derived_from_parts) from agency_year limit 1").fetchone()[0]
    for col in ("received", "handled", "disclosed", "denied", "reconsiderations", "documents_issued", "info_fee_cases"):
        assert types[f"agency_year.{col}"] == "BIGINT", col
        assert types[f"national_year.{col}"] == "BIGINT", col
    assert types["agency_year.disclosure_rate"] == types["agency_year.admin_fees_yuan"] == "DOUBLE"
    assert types["fct_disclosures.quantity"] == "BIGINT" and types["fct_disclosures.amount"] == "DOUBLE"
    assert "fct_disclosures.value" not in types and "fct_disclosures.table_layout" in types
    assert derived == "VARCHAR[]"
    assert re.search(r"[\u4e00-\u9fff]", table_comment) and "agency" in table_comment.lower()
    assert re.search(r"[\u4e00-\u9fff]", comments["disclosure_rate"] or "")


def test_facts_carry_page_and_match_method(corpus_home, shared_corpus):
    """Provenance in one row: a PDF cell names its page, every cell how its row was matched."""
    pdf = shared_corpus / "raw" / "2024_huaianshi_zf.pdf"
    with db(corpus_home["home"]) as con:
        pages, methods = con.execute(
            """select list(distinct f.src_page order by f.src_page), list(distinct f.match_method)
                                        from fct_applications f join dim_report r using (report_id)
                                        where r.source_sha256 = ?""",
            [_sha(pdf)],
        ).fetchone()
        no_page = con.execute("""select count(*) from fct_applications f join dim_report r using (report_id)
                                 where r.source_format = 'pdf' and f.src_page is null""").fetchone()[0]
        html_pages = con.execute("""select count(*) from fct_applications f join dim_report r using (report_id)
                                    where r.source_format = 'html' and f.src_page is not null""").fetchone()[0]
    assert pages and all(p >= 1 for p in pages) and no_page == 0 and html_pages == 0
    assert set(methods) <= {"label", "variant", "position"} and methods


def test_trace_a_number_to_its_printed_cell(corpus_home, shared_corpus, capsys):
    """`xxgk trace FILE t3 granted total` names file, page, position, printed text and match method."""
    pdf = shared_corpus / "raw" / "2024_huaianshi_zf.pdf"
    gold = load_golden(shared_corpus / "golden" / "2024_huaianshi_zf.json")
    home = str(corpus_home["home"].root)
    assert main(["trace", str(pdf), "t3", "granted", "total", "--home", home, "--format", "json"]) == 0
    (cell,) = json.loads(capsys.readouterr().out)
    assert cell["value"] == gold["t3"]["granted|total"] and str(gold["t3"]["granted|total"]) in cell["raw_text"]
    assert (
        cell["src_page"] >= 1
        and cell["src_table_index"] >= 0
        and cell["match_method"] in ("label", "variant", "position")
    )
    with db(corpus_home["home"]) as con:
        rid = con.execute("select report_id from dim_report where source_sha256 = ?", [_sha(pdf)]).fetchone()[0]
    assert main(["trace", rid, "--home", home]) == 0
    out = capsys.readouterr().out
    assert rid in out and "2024_huaianshi_zf.pdf" in out and "0-based" in out
    assert len([line for line in out.splitlines() if line.startswith(("t2 ", "t3 ", "t4 "))]) == len(gold["t2"]) + len(
        gold["t3"]
    ) + len(gold["t4"])
    assert main(["trace", "0000000000000000", "--home", home]) == 2
    assert "no report with id" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_every_mart_with_definitions(agency_home, tmp_path, fmt):
    import duckdb

    from warehouse.export import mart_names

    out = tmp_path / "export"
    assert main(["export", str(out), "--format", fmt, "--home", str(agency_home["home"].root)]) == 0
    schema = json.loads((out / "schema.json").read_text(encoding="utf-8"))
    assert {t["table"] for t in schema} == set(mart_names()) >= {"agency_year", "dim_report", "fct_applications"}
    ay = next(t for t in schema if t["table"] == "agency_year")
    assert all(c["description"] for c in ay["columns"])
    with db(agency_home["home"]) as con:
        n = con.execute("select count(*) from agency_year").fetchone()[0]
    reader = "read_parquet" if fmt == "parquet" else "read_csv_auto"
    assert (
        duckdb.execute(f"select count(*) from {reader}('{out / ('agency_year.' + fmt)}')").fetchone()[0]
        == n
        == ay["rows"]
    )
    assert "agency_year" in (out / "README.md").read_text(encoding="utf-8")
    assert main(["export", str(out), "--format", "xlsx", "--home", str(agency_home["home"].root)]) == 2  # usage
