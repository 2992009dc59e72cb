"""Parts of the web explorer that need no warehouse: bilingual labels and SVG charts."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from warehouse.web import charts
from warehouse.web.i18n import UI, column_labels, label, split_description

SVG = "{http://www.w3.org/2000/svg}"


def test_bilingual_descriptions_split_into_english_and_chinese():
    assert split_description("Disclosed in full (予以公开). 予以公开数。") == (
        "Disclosed in full (予以公开).",
        "予以公开数。",
    )
    en, zh = split_description(
        "Administrative reconsiderations: the 总计 printed in table 四. 行政复议总计（表四所印）。"
    )
    assert en.endswith("table 四.") and zh == "行政复议总计（表四所印）。"
    assert split_description("English only.") == ("English only.", "")


def test_every_compared_measure_has_a_label_in_both_languages():
    from warehouse.web.data import MEASURES

    labels = column_labels()
    for m in MEASURES:
        en, zh = labels[m]
        assert en and zh and en != zh, m
        assert not any("\u3400" <= ch <= "\u9fff" for ch in en[:1]), m
        assert any("\u3400" <= ch <= "\u9fff" for ch in zh), m
    assert label("disclosure_rate", "zh") == "公开率" and label("disclosure_rate", "en") == "Disclosure rate"
    assert label("no_such_column", "en") == "no_such_column"
    assert all(zh and en for zh, en in UI.values())


def test_line_chart_is_valid_svg_with_a_point_per_known_value():
    svg = charts.line_chart(
        "公开率", {"甲": [(2020, 0.5), (2021, None), (2022, 0.7)], "乙": [(2020, 0.1)]}, percent=True
    )
    root = ET.fromstring(svg)
    circles = root.findall(f"{SVG}circle")
    assert len(circles) == 3  # a gap for the unknown year
    assert "50%" in circles[0].find(f"{SVG}title").text
    assert "公开率" in svg and "<script" not in svg
    empty = ET.fromstring(charts.line_chart("x", {}))
    assert empty.findall(f"{SVG}circle") == []


def test_bar_chart_bars_scale_with_values_and_long_labels_are_cut():
    svg = charts.bar_chart("理由", [("很长的拒绝理由名称" * 5, 10), ("短", 5), ("空", None)])
    rects = ET.fromstring(svg).findall(f"{SVG}rect")
    assert len(rects) == 2 and float(rects[0].get("width")) == 2 * float(rects[1].get("width"))
    assert "…" in svg and "空" not in svg


def test_rates_under_the_minimum_n_are_gaps_and_the_note_is_shown():
    from warehouse import chartrules as rules

    n = rules.MIN_RATE_N
    points = charts.mask_rates([(2020, 0.5), (2021, 0.9), (2022, 0.7), (2023, 0.2)], [n, n - 1, None, 10 * n])
    assert points == [(2020, 0.5), (2021, None), (2022, None), (2023, 0.2)]
    svg = charts.line_chart("公开率", {"甲": points}, percent=True, note="6 reports, 5 agencies in 3 of 31 provinces")
    root = ET.fromstring(svg)
    assert len(root.findall(f"{SVG}circle")) == 2
    notes = [e.text for e in root.findall(f"{SVG}text") if e.get("class") == "chart-note"]
    assert notes == ["6 reports, 5 agencies in 3 of 31 provinces"]
    assert "3 of 31 provinces" in root.find(f"{SVG}title").text
    bar = ET.fromstring(charts.bar_chart("理由", [("短", 5)], note="全国 national"))
    assert [e.text for e in bar.findall(f"{SVG}text") if e.get("class") == "chart-note"] == ["全国 national"]
