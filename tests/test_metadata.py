"""Metadata: agency, year and date from title, signature, opening sentence, page header."""

from datetime import date

import pytest

from ingest.metadata import extract_metadata, info_processing_fee
from ingest.readers import read


def _meta(text: str, fmt="text"):
    return extract_metadata(read(text.encode(), fmt))


def test_title_with_agency_first_and_signature_date():
    m = _meta(
        "淮安市洪泽区人民政府\n2024 年政府信息公开工作年度报告\n"
        "报告中所列数据统计期限自 2024 年 1 月 1 日起至 2024 年 12 月 31 日止。\n正文\n淮安市洪泽区人民政府\n2025年2月3日\n"
    )
    assert (m.agency_name, m.report_year, m.published_on, m.published_source) == (
        "淮安市洪泽区人民政府",
        2024,
        date(2025, 2, 3),
        "signature",
    )


def test_title_with_year_first_split_over_lines():
    m = _meta("正文\n2025 年上海市人民政府办公厅政府信息公开\n工作年度报告\n")
    assert (m.agency_name, m.report_year) == ("上海市人民政府办公厅", 2025)


def test_statistical_period_beats_title_year():
    m = _meta("某市民政局2023年政府信息公开工作年度报告\n本报告统计期限自2022年1月1日至2022年12月31日。\n")
    assert m.report_year == 2022 and m.year_source == "statistical_period"


def test_agency_from_signature_when_no_title():
    m = _meta("特向社会公布2024年度本机关政府信息公开工作年度报告。\n正文。\n泰安市行政审批服务局\n2025年1月15日\n")
    assert (m.agency_name, m.agency_source, m.report_year) == ("泰安市行政审批服务局", "signature", 2024)


def test_page_header_date_fallback():
    html = (
        "<html><body><table><tr><td>公开日期</td><td>2024-01-17</td></tr></table>"
        "<h1>沭阳县发展和改革局2023年政府信息公开年度报告</h1></body></html>"
    )
    m = _meta(html, "html")
    assert (m.published_on, m.published_source) == (date(2024, 1, 17), "page_header")


@pytest.mark.parametrize(
    "sentence,amount,cases",
    [
        ("2024年度,本单位无政府信息公开信息处理费产生。", 0.0, 0),
        ("全年收取政府信息公开信息处理费 3940 元。", 3940.0, None),
        ("全年收取政府信息公开信息处理费 0 元。", 0.0, 0),
        ("本年度共收取信息处理费2件，金额共计120元。", 120.0, 2),
        ("2025 年度本机关未收取信息公开处理费。", 0.0, 0),
    ],
)
def test_info_processing_fee(sentence, amount, cases):
    got = info_processing_fee(read(f"六、其他需要报告的事项\n{sentence}\n".encode(), "text"))
    assert got[:2] == (amount, cases)


# -- agency and year wherever the report states them; candidates validated ---------------------------


def test_sentence_fragment_is_never_an_agency():
    m = _meta(
        "2024年，在省政府办公厅的指导下，我办认真落实政府信息公开工作。\n一、总体情况\n本机关全年主动公开信息120条。\n"
    )
    assert m.agency_name is None and m.agency_source is None
    assert ("agency_unknown", "warn") in [(r, s) for r, s, _ in m.notes]
    assert (m.report_year, m.year_source) == (2024, "opening_sentence")


def test_agency_from_the_body_sentence_it_opens():
    m = _meta(
        "一、总体情况\n（一）主动公开\n全年主动公开信息1200条。其中政策文件80条。解读材料30条。\n"
        "2024年，平潭综合实验区坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻落实《条例》。\n"
        "平潭综合实验区持续推进政务公开标准化规范化。\n"
    )
    assert (m.agency_name, m.agency_source) == ("平潭综合实验区", "body")
    assert (m.report_year, m.year_source) == (2024, "body")


def test_bare_division_needs_a_verb_after_it():
    m = _meta("一、总体情况\n全年主动公开信息1200条。\n平潭综合实验区位于福建省东部。\n")
    assert m.agency_name is None


def test_publisher_field_with_abbreviation_gives_a_finding():
    m = _meta("发布机构：上海市科委\n发布日期：2025-01-20\n一、总体情况\n本机关认真落实《条例》。\n")
    assert (m.agency_name, m.agency_source) == ("上海市科委", "publisher_field")
    assert (m.published_on, m.published_source) == (date(2025, 1, 20), "page_header")
    assert (m.report_year, m.year_source) == (2024, "published_date")
    rules = {r: msg for r, _, msg in m.notes}
    assert "上海市科学技术委员会" in rules["agency_abbreviation"] and "report_year_from_publication" in rules


def test_lookalike_name_in_the_opening_gives_a_finding():
    m = _meta("本报告由沐阳县人民政府办公室根据《条例》编制。统计期限自2023年1月1日起至2023年12月31日止。\n")
    assert (m.agency_name, m.agency_source, m.report_year) == ("沐阳县人民政府办公室", "opening_sentence", 2023)
    (msg,) = [msg for r, _, msg in m.notes if r == "agency_lookalike"]
    assert "沭阳县人民政府办公室" in msg and "沐 read as 沭" in msg


def test_signature_on_one_line_with_its_date():
    m = _meta("一、总体情况\n2024年，本机关认真落实《条例》。\n泰安市住建局 2025年1月15日\n")
    assert (m.agency_name, m.agency_source, m.published_on) == ("泰安市住建局", "signature", date(2025, 1, 15))


def test_sentence_ending_in_a_date_is_not_a_signature():
    m = _meta("一、总体情况\n本机关于2024年3月1日召开专题会议。\n")
    assert m.agency_name is None and m.published_on is None


def test_title_agency_with_a_prefix_is_trimmed_to_a_valid_name():
    m = _meta("【年报】淮安市人民政府2024年政府信息公开工作年度报告\n正文\n")
    assert (m.agency_name, m.agency_source, m.report_year) == ("淮安市人民政府", "title", 2024)


# -- the shared real reports with their title, signature or opening taken away --------------------------


def _real_docs():
    from helpers import SHARED, golden_files, load_golden
    from ingest.readers import sniff

    for g in golden_files():
        gold = load_golden(g)
        data = (SHARED / gold["source"]).read_bytes()
        yield g.stem, gold, read(data, sniff(data, gold["source"]))


def _variants(doc):
    """The report as an article fragment without a title (body and tables), and reduced to its tables
    plus only the opening sentence or only the signature block."""
    import re

    from ingest.model import Document, Paragraph, Table

    body = [
        b
        for b in doc.blocks
        if not (isinstance(b, Paragraph) and re.search(r"年度?报告|年报", b.text) and len(b.text) < 80)
    ]
    paras = [b for b in body if isinstance(b, Paragraph)]
    tables = [b for b in body if isinstance(b, Table)]
    opening, text = [], ""
    for p in paras:
        opening.append(p)
        text += p.text
        if "。" in text and len(text) > 40:
            break
    return {
        "no_title": Document(body, doc.format),
        "opening_only": Document(opening + tables, doc.format),
        "signature_only": Document(tables + paras[-3:], doc.format),
    }


def test_real_reports_without_title_keep_agency_and_year(shared_corpus):
    from ingest.agency_names import Resolver
    from warehouse.score import agency_matches

    seen = 0
    for name, gold, doc in _real_docs():
        full = extract_metadata(doc)
        for variant, vdoc in _variants(doc).items():
            m = extract_metadata(vdoc)
            where = f"{name} {variant}: {m.agency_name} ({m.agency_source}), {m.report_year} ({m.year_source})"
            # a wrong agency is worse than none: whatever is read must be the golden one
            canonical = Resolver.from_seeds().resolve(m.agency_name).canonical_name
            assert m.agency_name is None or agency_matches(gold["agency"], m.agency_name, canonical), where
            assert m.report_year in (None, gold["report_year"]), where
            if variant == "no_title":
                assert m.agency_name and m.report_year == gold["report_year"], where
                assert m.agency_source in ("opening_sentence", "signature", "body", "publisher_field"), where
            if variant == "signature_only" and full.agency_source == "signature":
                assert m.agency_source == "signature", where
            if m.agency_name is None:
                assert "agency_unknown" in [r for r, _, _ in m.notes], where
            seen += 1
    assert seen == 18


def test_inspect_shows_where_metadata_came_from(tmp_path):
    from fixtures.reports import good_report
    from warehouse.inspect import inspect_file

    lines = [
        line
        for line in good_report("text", 2024, seed=41).splitlines()
        if "年度报告" not in line and "统计期限" not in line and not line.strip().startswith(("2025年", "20"))
    ]
    body = "\n".join(["本报告由沐阳县人民政府办公室根据《条例》编制。全年工作情况如下。"] + lines[1:])
    f = tmp_path / "fragment.txt"
    f.write_text(body, encoding="utf-8")
    out = inspect_file(f)
    assert (
        "agency    沐阳县人民政府办公室 (from opening_sentence); canonical 沭阳县人民政府办公室; region 江苏省/宿迁市/沭阳县"
        in out
    )
    assert "[info] agency_lookalike:" in out
    assert "year      " in out and "(from " in out and "parser    0." in out


def test_pipeline_records_metadata_findings():
    from fixtures.reports import good_report
    from ingest.pipeline import parse_report

    text = good_report("text", 2024, seed=42)
    lines = text.splitlines()
    title = next(line for line in lines if line.endswith("政府信息公开工作年度报告"))
    agency = title.split("2024年")[0]
    untitled = text.replace(title, "2024年政府信息公开工作年度报告")
    parsed = parse_report(untitled.encode(), "x.txt")
    assert (parsed.report["agency_name"], parsed.report["agency_source"]) == (agency, "signature")
    nameless = parse_report(untitled.replace(agency, "本机关").encode(), "y.txt")
    assert nameless.report["agency_name"] is None and nameless.status == "parsed_with_findings"
    assert [f["rule_id"] for f in nameless.findings if f["severity"] == "warn"] == ["agency_unknown"]
