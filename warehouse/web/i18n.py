"""Labels in Chinese (default) and English.

Column labels come from the bilingual descriptions of the marts (models/marts/*.yml and the
measure docs in models/marts/_measures.md: "English text. 中文。"); the words of the pages
themselves are in ``UI`` below.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..home import PROJECT_ROOT

LANGS = ("zh", "en")
MARTS = PROJECT_ROOT / "models" / "marts"
_CJK = re.compile(r"[\u3400-\u9fff]")
_DOC = re.compile(r"{%\s*docs\s+(\w+)\s*%}(.*?){%\s*enddocs\s*%}", re.S)
_DOC_REF = re.compile(r"{{\s*doc\('(\w+)'\)\s*}}")

UI = {
    "title": ("政府信息公开年报数据浏览", "Government information disclosure reports explorer"),
    "home": ("首页", "Home"),
    "compare": ("比较", "Compare"),
    "query": ("查询", "Query"),
    "downloads": ("下载", "Downloads"),
    "search": ("搜索机关", "Search agencies"),
    "search_placeholder": ("机关名称，如：人民政府", "agency name, e.g. 人民政府"),
    "coverage": ("数据覆盖", "Coverage"),
    "coverage_by_year": ("各年度年报数", "Reports by year"),
    "coverage_by_province": ("各省份年报数", "Reports by province and year"),
    "reports": ("年报数", "reports"),
    "synthetic": ("合成数据", "synthetic"),
    "real": ("真实年报", "real"),
    "agencies": ("机关数", "agencies"),
    "trends": ("年度趋势", "Trends by year"),
    "handled_requests": ("办理数", "requests handled"),
    "requests": ("申请数量", "Requests"),
    "refusal_reasons": ("不予公开理由", "Refusal reasons"),
    "appeals": ("行政复议和行政诉讼", "Reconsiderations and lawsuits"),
    "synthetic_banner": (
        "注意：以下包含项目生成的合成数据，并非真实年报。",
        "Note: this includes synthetic data made by the project's generator, not real reports.",
    ),
    "showing": ("数据范围", "Data shown"),
    "only_real": ("仅真实年报", "real reports only"),
    "only_synthetic": ("仅合成数据", "synthetic data only"),
    "all_data": ("全部（真实与合成）", "all (real and synthetic)"),
    "agency": ("机关", "Agency"),
    "measures": ("主要指标", "Main measures"),
    "charts": ("图表", "Charts"),
    "findings": ("数据质量问题", "Data-quality findings"),
    "no_findings": ("无", "none"),
    "peers": ("同级同类机关（同一地区）", "Peers (same level and kind, same region)"),
    "compare_with_peers": ("与同级机关比较", "Compare with peers"),
    "report_list": ("年报", "Reports"),
    "report": ("年报", "Report"),
    "year": ("年度", "Year"),
    "t2": ("二、主动公开政府信息情况", "2. Proactive disclosure"),
    "t3": ("三、收到和处理政府信息公开申请情况", "3. Applications received and handled"),
    "t4": ("四、政府信息公开行政复议、行政诉讼情况", "4. Administrative reconsideration and litigation"),
    "provenance": ("数据来源", "Provenance"),
    "download_file": ("下载原始文件", "Download the original file"),
    "file_gone": (
        "原始文件已不在记录的路径或收件箱中。",
        "The original file is no longer at its recorded path or in the inbox.",
    ),
    "file": ("文件", "File"),
    "page": ("页码", "Page"),
    "table": ("表", "Table"),
    "row": ("行", "Row"),
    "column": ("列", "Column"),
    "printed_text": ("原文", "Printed text"),
    "match_method": ("匹配方式", "Row matched by"),
    "value": ("数值", "Value"),
    "blank": ("空白", "blank"),
    "not_recorded": ("未记录", "not recorded"),
    "source_table": ("源表序号", "Source table index"),
    "source_row": ("源行号", "Source row"),
    "source_col": ("源列号", "Source column"),
    "sha256": ("文件哈希", "SHA-256"),
    "paths": ("文件路径", "Paths seen"),
    "measure": ("指标", "Measure"),
    "add_agency": ("机关编号", "Agency ids"),
    "add_region": ("行政区划代码", "Region codes"),
    "show": ("显示", "Show"),
    "run": ("运行", "Run"),
    "examples": ("示例查询", "Example queries"),
    "sql_help": (
        "只读查询；每次一条语句，限时 {t} 秒，最多 {n} 行。",
        "Read-only; one statement at a time, {t} s time limit, at most {n} rows.",
    ),
    "rows": ("行", "rows"),
    "truncated": ("结果已按行数上限截断", "cut at the row limit"),
    "download": ("下载", "Download"),
    "json_api": ("JSON 接口", "JSON API"),
    "marts": ("数据表全量下载", "Whole tables"),
    "api_help": (
        "每个页面都有相同数据的 JSON 接口：在路径前加 /api，例如 /api/agency/<机关编号>。"
        "表格下载：页面地址加 ?format=csv&table=<表名>（或 parquet）。",
        "Every page has a JSON API with the same data: put /api before its path, e.g. /api/agency/<agency id>. "
        "Each table downloads with ?format=csv&table=<name> (or parquet) on the page's address.",
    ),
    "error": ("出错了", "Error"),
    "back_home": ("返回首页", "Back to the home page"),
    "no_results": ("没有找到", "nothing found"),
    "versions": ("版本", "version"),
    "current": ("现行", "current"),
    "superseded": ("已被替代", "superseded"),
    "level": ("层级", "Level"),
    "kind": ("类型", "Kind"),
    "region": ("地区", "Region"),
    "names_seen": ("曾用名称", "Names printed"),
    "language": ("English", "中文"),
    "no_warehouse": ("尚未构建数据仓库", "No warehouse has been built yet"),
    "v_central": ("中央", "central"),
    "v_provincial": ("省级", "provincial"),
    "v_prefecture": ("地级", "prefecture"),
    "v_county": ("县级", "county"),
    "v_township": ("乡级", "township"),
    "v_government": ("人民政府", "people's government"),
    "v_government_office": ("政府办公厅（室）", "government office"),
    "v_department": ("工作部门", "department"),
    "v_other": ("其他", "other"),
    "series": ("对象", "series"),
    "explain_compare": (
        "选择一个指标和若干机关（或行政区划），逐年并列比较。比率按合计重新计算。",
        "Pick one measure and several agencies (or regions) to see them side by side over the years. "
        "Rates of regions are pooled (sum over sum).",
    ),
}


def t(key: str, lang: str) -> str:
    zh, en = UI[key]
    return en if lang == "en" else zh


def split_description(text: str) -> tuple[str, str]:
    """("English", "中文") of a bilingual description: the Chinese part is the last sentence(s), with no Latin letters."""
    text = " ".join(text.split())
    for m in re.finditer(r"(?:^|[.)…]\s+)(?=[\u3400-\u9fff（])", text):
        if not re.search(r"[A-Za-z]", text[m.end() :]):
            return text[: m.start() + 1].strip(), text[m.end() :].strip()
    return text, ""


def short(en: str, zh: str, name: str = "") -> tuple[str, str]:
    """Short labels: the first clause of each; the column name in words when the English is a formula."""
    en_s = re.split(r"\s*(?:[:;]|\(|\. |\.$)", en, maxsplit=1)[0].strip() if en else ""
    if not en_s or re.search(r"[/_=]", en_s) or not en_s[0].isupper():
        en_s = name.replace("_", " ").capitalize()
    zh_s = re.split(r"[（(：；。，=]", zh, maxsplit=1)[0].strip() if zh else ""
    return en_s, zh_s


@lru_cache(maxsize=1)
def column_labels() -> dict[str, tuple[str, str]]:
    """Column name -> (English, 中文) short labels from the marts' descriptions."""
    import yaml

    docs = {}
    for md in MARTS.glob("*.md"):
        docs.update({k: v.strip() for k, v in _DOC.findall(md.read_text(encoding="utf-8"))})
    out: dict[str, tuple[str, str]] = {}
    for yml in sorted(MARTS.glob("*.yml")):
        spec = yaml.safe_load(yml.read_text(encoding="utf-8")) or {}
        for model in spec.get("models", []):
            for col in model.get("columns", []):
                desc = _DOC_REF.sub(lambda m: docs.get(m.group(1), ""), col.get("description") or "")
                en, zh = short(*split_description(desc), col["name"])
                if col["name"] not in out and (en or zh):
                    out[col["name"]] = (en or col["name"], zh or en or col["name"])
    return out


def label(name: str, lang: str) -> str:
    """Label of a column in ``lang``; the name itself when the marts do not describe it."""
    if name in UI:
        return t(name, lang)
    pair = column_labels().get(name)
    if not pair:
        return name
    return pair[0] if lang == "en" else pair[1]
