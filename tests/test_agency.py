"""Agency names -> stable identity, level, kind and region (ingest/agency_names.py), and the seeds it reads."""

import csv

import pytest

from ingest.agency_names import Resolver, agency_id_for, normalise_name
from ingest.template import SEEDS, keys

# name -> (province, prefecture, county code, division code, level, kind, parent government)
REAL = {
    "泰安市行政审批服务局": ("山东省", "泰安市", None, "370900", "prefecture", "department", "泰安市人民政府"),
    "沭阳县发展和改革局": ("江苏省", "宿迁市", "321322", "321322", "county", "department", "沭阳县人民政府"),
    "洪泽区人民政府": ("江苏省", "淮安市", "320813", "320813", "county", "government", None),
    "淮安市洪泽区人民政府": ("江苏省", "淮安市", "320813", "320813", "county", "government", None),
    "淮安市人民政府": ("江苏省", "淮安市", None, "320800", "prefecture", "government", None),
    "上海市人民政府办公厅": ("上海市", None, None, "310000", "provincial", "government_office", "上海市人民政府"),
}


@pytest.fixture(scope="module")
def resolver():
    return Resolver.from_seeds()


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_agencies_resolve(resolver, name):
    r = resolver.resolve(name)
    assert not r.unresolved, r.unresolved_reason
    assert (
        r.province_name,
        r.prefecture_name,
        r.county_code,
        r.division_code,
        r.level,
        r.kind,
        r.parent_agency_name,
    ) == REAL[name]


def test_hongze_is_one_agency_across_years(resolver):
    a, b = resolver.resolve("洪泽区人民政府"), resolver.resolve("淮安市洪泽区人民政府")
    assert a.agency_id == b.agency_id == agency_id_for("320813|人民政府")
    assert resolver.resolve("淮安市人民政府").agency_id != a.agency_id


def test_department_points_to_its_government(resolver):
    dept, gov = resolver.resolve("泰安市行政审批服务局"), resolver.resolve("泰安市人民政府")
    assert dept.parent_agency_id == gov.agency_id and gov.parent_agency_id is None
    assert (
        resolver.resolve("江苏省淮安市洪泽区三河镇人民政府").parent_agency_id
        == resolver.resolve("洪泽区人民政府").agency_id
    )


@pytest.mark.parametrize(
    "printed",
    [
        "淮安市洪泽区人民政府",
        " 淮安市 洪泽区\u3000人民政府 ",  # spaces, ideographic space
        "淮安市洪澤區人民政府",  # traditional characters
        "淮安市洪泽区人民政府２０２４年度",  # full-width digits and a year
        "淮安市洪泽区人民政府2024年政府信息公开工作年度报告",
        "淮安市洪泽区政府",  # 政府 for 人民政府
    ],
)
def test_spellings_normalise_to_one_identity(resolver, printed):
    assert resolver.resolve(printed).agency_id == resolver.resolve("洪泽区人民政府").agency_id


def test_normalise_name():
    assert normalise_name("上海市人民政府辦公廳") == "上海市人民政府办公厅"
    assert normalise_name("（盖章）泰安市行政审批服务局 2024 年度") == "泰安市行政审批服务局"
    assert normalise_name("ＡＢＣ局") == "ABC局"
    assert normalise_name(None) == normalise_name("  ") == ""


def test_aliases_follow_institutional_reforms(resolver):
    """Renames in seeds/agency_aliases.csv: the old name's reports belong to the current agency."""
    old, new = resolver.resolve("沭阳县发展和改革委员会"), resolver.resolve("沭阳县发展和改革局")
    assert old.agency_id == new.agency_id and old.alias_of == "沭阳县发展和改革局"
    assert (old.level, old.kind, old.county_code) == ("county", "department", "321322")
    # a division that no longer exists (洪泽县 became 洪泽区 in 2016) still reaches the same agency
    assert resolver.resolve("洪泽县人民政府").agency_id == resolver.resolve("洪泽区人民政府").agency_id
    # central agencies too, and an alias only applies to its own name
    assert resolver.resolve("国家卫生和计划生育委员会").agency_id == resolver.resolve("国家卫生健康委员会").agency_id
    assert resolver.resolve("宿迁市发展和改革委员会").agency_id != new.agency_id


def test_alias_rows_from_arguments():
    divisions = [
        {
            "code": "320000",
            "name": "江苏省",
            "level": "province",
            "parent_code": "",
            "province_code": "320000",
            "province_name": "江苏省",
            "prefecture_code": "",
            "prefecture_name": "",
        },
        {
            "code": "320800",
            "name": "淮安市",
            "level": "prefecture",
            "parent_code": "320000",
            "province_code": "320000",
            "province_name": "江苏省",
            "prefecture_code": "320800",
            "prefecture_name": "淮安市",
        },
    ]
    kinds = [{"rule": "kind_suffix", "pattern": "局", "value": "department"}]
    r = Resolver(divisions, kinds, [{"alias": "淮安市国土资源局", "canonical_name": "淮安市自然资源和规划局"}])
    assert r.resolve("淮安市国土资源局").agency_id == r.resolve("淮安市自然资源和规划局").agency_id
    assert (
        r.resolve("淮安市国土资源局").agency_id != Resolver(divisions, kinds, []).resolve("淮安市国土资源局").agency_id
    )


def test_levels_and_kinds(resolver):
    cases = {
        "教育部": ("central", "department"),
        "国务院办公厅": ("central", "government_office"),
        "江苏省发展和改革委员会": ("provincial", "department"),
        "上海市浦东新区人民政府": ("county", "government"),
        "新泰市人民政府": ("county", "government"),
        "洪泽区高良涧街道办事处": ("township", "government"),
        "淮安市人民政府办公室": ("prefecture", "government_office"),
        "泰安市政务服务中心": ("prefecture", "other"),
    }
    assert {n: (resolver.resolve(n).level, resolver.resolve(n).kind) for n in cases} == cases
    town = resolver.resolve("江苏省淮安市洪泽区三河镇人民政府")
    assert (town.level, town.township_name, town.county_code) == ("township", "三河镇", "320813")
    pudong = resolver.resolve("上海市浦东新区人民政府")
    assert (pudong.province_code, pudong.prefecture_code, pudong.county_code) == ("310000", None, "310115")


def test_unresolved_names_say_why(resolver):
    amb = resolver.resolve("鼓楼区人民政府")
    assert amb.unresolved and amb.unresolved_reason.startswith("ambiguous_region") and "320106" in amb.unresolved_reason
    assert amb.level is None and amb.province_code is None
    none = resolver.resolve("某某局")
    assert none.unresolved and none.unresolved_reason.startswith("no_region")
    assert resolver.resolve("").unresolved_reason.startswith("no_name")
    # the key keeps unresolved names apart
    assert resolver.resolve("某某局").agency_id != resolver.resolve("某某委").agency_id
    # context disambiguates: 南京市鼓楼区 is one district
    assert resolver.resolve("南京市鼓楼区人民政府").county_code == "320106"


# -- seeds -----------------------------------------------------------------------------------------------


def _rows(name):
    with open(SEEDS / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_admin_divisions_seed_shape():
    rows = _rows("admin_divisions.csv")
    assert list(rows[0]) == [
        "code",
        "name",
        "level",
        "parent_code",
        "province_code",
        "province_name",
        "prefecture_code",
        "prefecture_name",
    ]
    by_code = {r["code"]: r for r in rows}
    assert len(by_code) == len(rows) and all(len(c) == 6 and c.isdigit() for c in by_code)
    levels = [r["level"] for r in rows]
    assert levels.count("province") == 34 and levels.count("prefecture") >= 330 and levels.count("county") >= 2800
    for r in rows:
        if r["level"] != "province":
            assert r["parent_code"] in by_code and by_code[r["province_code"]]["name"] == r["province_name"]
        if r["prefecture_code"]:
            assert by_code[r["prefecture_code"]]["level"] == "prefecture"
    # every province but Hong Kong, Macao and Taiwan has county-level divisions
    with_counties = {r["province_code"] for r in rows if r["level"] == "county"}
    assert {r["code"] for r in rows if r["level"] == "province"} - with_counties == {"810000", "820000", "710000"}
    assert by_code["320813"]["prefecture_name"] == "淮安市" and by_code["310115"]["prefecture_code"] == ""


def test_harmonisation_seed_covers_every_template_key():
    harm = {(r["template"], r["table_id"], r["axis"], r["key"]): r for r in _rows("key_harmonisation.csv")}

    def entry(layout, k):
        for t in (layout, "both"):
            if (t, k.table, k.kind, k.key) in harm:
                return harm[(t, k.table, k.kind, k.key)]
        return None

    for k in keys():
        if k.kind == "group":
            continue
        for layout in ("2019", "2021") if k.template == "both" else (k.template,):
            e = entry(layout, k)
            assert e is not None, (layout, k.table, k.kind, k.key)
            assert e["harmonised_key"] and e["comparable"] in ("yes", "group", "no")
            if k.table == "t3" and k.kind == "row":
                assert e["outcome_group"] == (k.group_key or e["outcome_group"])
    groups = {r["key"]: r["outcome_group"] for r in harm.values() if r["table_id"] == "t3" and r["axis"] == "row"}
    assert {groups[k] for k in ("other_processing", "other_overdue_correction", "other_unpaid_fee", "other_other")} == {
        "other"
    }
    assert set(groups.values()) == {
        "received",
        "granted",
        "partially_granted",
        "denied",
        "unable",
        "not_processed",
        "other",
        "total_processed",
        "carried_forward",
    }


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_NAME_PARTS = st.sampled_from(
    [
        "淮安市",
        "洪泽区",
        "洪澤區",
        "上海市",
        "鼓楼区",
        "人民政府",
        "办公厅",
        "局",
        " ",
        "\u3000",
        "２０２４年",
        "年度报告",
        "政府信息公开工作",
        "（盖章）",
        "ABC",
        "县",
        "镇",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_NAME_PARTS, max_size=8).map("".join) | st.text(max_size=30))
def test_resolution_never_fails_and_normalising_is_idempotent(name):
    r = Resolver.from_seeds().resolve(name)
    assert r.agency_id.startswith("ag_") and len(r.agency_id) == 15
    assert r.unresolved == (r.unresolved_reason is not None)
    assert r.unresolved or r.level in ("central", "provincial", "prefecture", "county", "township")
    once = normalise_name(name)
    assert normalise_name(once) == once


# -- abbreviations, lookalike characters, zones, validation (seeds agency_abbreviations, lookalike_chars, special_zones)


@pytest.mark.parametrize(
    "short,full",
    [
        ("上海市科委", "上海市科学技术委员会"),
        ("泰安市发改委", "泰安市发展和改革委员会"),
        ("淮安市卫健委", "淮安市卫生健康委员会"),
        ("泰安市住建局", "泰安市住房和城乡建设局"),
        ("淮安市人社局", "淮安市人力资源和社会保障局"),
        ("淮安市洪泽区市场监管局", "淮安市洪泽区市场监督管理局"),
        ("沭阳县文广旅局", "沭阳县文化广电和旅游局"),
        ("泰安市医保局", "泰安市医疗保障局"),
        ("沭阳县府办", "沭阳县人民政府办公室"),
    ],
)
def test_abbreviation_gives_the_full_name_and_the_same_agency(resolver, short, full):
    a, b = resolver.resolve(short), resolver.resolve(full)
    assert a.canonical_name == full and a.agency_id == b.agency_id and not a.unresolved
    assert a.agency_name == short and a.name_note.startswith("abbreviation:")
    assert b.name_note is None


def test_lookalike_character_places_the_name_with_a_note(resolver):
    r = resolver.resolve("沐阳县人民政府")
    assert (r.county_code, r.prefecture_name, r.unresolved) == ("321322", "宿迁市", False)
    assert r.agency_id == resolver.resolve("沭阳县人民政府").agency_id
    assert r.canonical_name == "沭阳县人民政府" and "沐 read as 沭" in r.name_note
    inner = resolver.resolve("江苏省沐阳县发展和改革局")  # inside a correct province
    assert inner.agency_id == resolver.resolve("沭阳县发展和改革局").agency_id and inner.name_note
    assert resolver.resolve("沐川县人民政府").name_note is None  # 沐川县 exists: nothing to correct


def test_lookalike_with_several_candidates_stays_unresolved(resolver):
    r = resolver.resolve("自云区人民政府")  # 白云区 of 广州市 and of 贵阳市
    assert r.unresolved and r.unresolved_reason.startswith("ambiguous_lookalike")
    assert "440111" in r.unresolved_reason and "520113" in r.unresolved_reason


def test_lookalike_needs_a_seeded_pair(resolver):
    assert resolver.resolve("沭杨县人民政府").unresolved  # 杨 is no lookalike of 阳 in the seed


def test_zone_is_placed_in_its_host_region_and_kept_apart(resolver):
    z = resolver.resolve("平潭综合实验区管理委员会")
    assert (z.province_name, z.prefecture_name, z.division_name, z.unresolved) == (
        "福建省",
        "福州市",
        "平潭综合实验区",
        False,
    )
    assert z.agency_id == resolver.resolve("福建省平潭综合实验区管委会").agency_id
    assert z.agency_id != resolver.resolve("平潭县管理委员会").agency_id


@pytest.mark.parametrize(
    "name,ok",
    [
        ("上海市科委", True),
        ("淮安市洪泽区人民政府", True),
        ("沭阳县发展和改革委员会", True),
        ("国家统计局", True),
        ("洪泽县人民政府", True),
        ("平潭综合实验区", True),
        ("鼓楼区人民政府", True),
        ("鼓楼区位于", False),
        ("在省政府办公厅", False),
        ("省政府办公厅", False),
        ("淮安市洪泽区人民政府办公室编制", False),
        ("本机关", False),
        ("", False),
        ("沭阳县位于", False),
    ],
)
def test_names_agency_validates_candidates(resolver, name, ok):
    assert (resolver.names_agency(name) is not None) == ok
