"""Metadata: agency, year and date from title, signature, opening sentence, page header."""
from datetime import date

import pytest

from ingest.metadata import extract_metadata, info_processing_fee
from ingest.readers import read


def _meta(text: str, fmt="text"):
    return extract_metadata(read(text.encode(), fmt))


def test_title_with_agency_first_and_signature_date():
    m = _meta("淮安市洪泽区人民政府\n2024 年政府信息公开工作年度报告\n报告中所列数据统计期限自 2024 年 1 月 1 日起至 2024 年 12 月 31 日止。\n正文\n淮安市洪泽区人民政府\n2025年2月3日\n")
    assert (m.agency_name, m.report_year, m.published_on, m.published_source) == ("淮安市洪泽区人民政府", 2024, date(2025, 2, 3), "signature")


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
    html = "<html><body><table><tr><td>公开日期</td><td>2024-01-17</td></tr></table><h1>沭阳县发展和改革局2023年政府信息公开年度报告</h1></body></html>"
    m = _meta(html, "html")
    assert (m.published_on, m.published_source) == (date(2024, 1, 17), "page_header")


@pytest.mark.parametrize("sentence,amount,cases", [
    ("2024年度,本单位无政府信息公开信息处理费产生。", 0.0, 0),
    ("全年收取政府信息公开信息处理费 3940 元。", 3940.0, None),
    ("全年收取政府信息公开信息处理费 0 元。", 0.0, 0),
    ("本年度共收取信息处理费2件，金额共计120元。", 120.0, 2),
    ("2025 年度本机关未收取信息公开处理费。", 0.0, 0),
])
def test_info_processing_fee(sentence, amount, cases):
    got = info_processing_fee(read(f"六、其他需要报告的事项\n{sentence}\n".encode(), "text"))
    assert got[:2] == (amount, cases)
