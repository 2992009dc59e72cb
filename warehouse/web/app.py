"""The read-only web explorer (``xxgk serve``): Starlette pages, their JSON API and downloads.

Every request opens its own read-only, locked-down connection (:func:`warehouse.serve.connect`)
and closes it before answering, so the explorer holds nothing between requests, never writes,
and a refresh that swaps in a new ``xxgk.duckdb`` is seen by the next request. Every page path has a
JSON twin under ``/api`` and downloads of each of its tables with ``?format=csv|parquet&table=NAME``.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ingest.fingerprint import file_hash

from .. import chartrules, serve
from ..errors import XxgkError
from ..home import Home
from ..serve import plain
from ..sqlguard import Denied
from . import charts, data
from .data import Table
from .i18n import LANGS, label, t

log = logging.getLogger("xxgk.web")
STATIC = Path(__file__).with_name("static")
ID = re.compile(r"^[A-Za-z0-9_]{1,64}$")
REPORT_ID = ID  # 16 hex digits for ingested reports; other ids (benchmark lakes) are allowed
CODE = re.compile(r"^[0-9]{6}$")
FORMATS = ("html", "json", "csv", "parquet")
DISPLAY_ROWS = 1000


class WebError(Exception):
    """An answer other than 200: an HTTP status and a message for a person."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Page:
    template: str
    title: str
    tables: dict[str, Table] = field(default_factory=dict)
    context: dict = field(default_factory=dict)
    status: int = 200


@dataclass
class Settings:
    home: Home
    sql_timeout_s: float = 10.0
    sql_row_limit: int = serve.DEFAULT_ROW_LIMIT


def fmt(v, column: str = "") -> str:
    """A value as a page shows it: rates as percentages, blanks as a dash."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "✓" if v else ""
    if isinstance(v, (float, Decimal)):
        if column.endswith("_rate"):
            return f"{float(v) * 100:.1f}%"
        return f"{float(v):,.2f}".rstrip("0").rstrip(".")
    if isinstance(v, int) and column not in ("report_year", "first_year", "last_year", "src_row", "src_col"):
        return f"{v:,}"
    return str(plain(v))


# --- connections ---------------------------------------------------------------------------------------

# One DuckDB database instance per file and configuration lives in a process: connections opened
# at the same time share it, and a second lock-down of a locked instance fails. Requests therefore
# read one at a time; each opens its own connection and closes it before answering.
DB_LOCK = threading.Lock()


@contextmanager
def opened(settings: Settings):
    """A fresh read-only, locked-down connection for one request; a clear page when there is no warehouse."""
    if not settings.home.db.exists():
        raise WebError(503, f"no warehouse at {settings.home.db}: run `xxgk build --home {settings.home.root}` first")
    with DB_LOCK, serve.connect(settings.home) as con:
        yield con


# --- pages ---------------------------------------------------------------------------------------------


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return lang if lang in LANGS else "zh"


def _scope(request: Request, con) -> str:
    scope = request.query_params.get("scope") or data.default_scope(con)
    if scope not in data.SCOPES:
        raise WebError(400, f"scope must be one of {', '.join(data.SCOPES)}, not {scope!r}")
    return scope


def home_page(request: Request, settings: Settings, lang: str) -> Page:
    with opened(settings) as con:
        scope = _scope(request, con)
        tables = data.home(con, scope)
        names = _key_labels(con, lang)
        covered = chartrules.coverage(con, data.SCOPES[scope]).label()
    series = _series_of(tables["trends"], lang)
    chart_svgs = {
        "requests": charts.line_chart(t("requests", lang), series("received", "handled", "disclosed"), note=covered),
        "disclosure_rate": _rate_chart(tables["trends"], lang, covered),
        "refusal_reasons": charts.bar_chart(
            t("refusal_reasons", lang),
            [(names.get(("t3", "row", o), o), v) for o, v in tables["refusal_reasons"].rows],
            note=covered,
        ),
        "appeals": charts.line_chart(t("appeals", lang), series("reconsiderations", "lawsuits"), note=covered),
    }
    cov = tables["coverage_by_year"]
    synthetic = sum(cov.column("synthetic"))
    return Page(
        "home.html",
        t("home", lang),
        tables,
        {
            "charts": chart_svgs,
            "scope": scope,
            "scopes": list(data.SCOPES),
            "synthetic_total": synthetic,
            "province_pivot": _pivot(tables["coverage_by_province"], "province_name", "report_year", "reports"),
            "chart_tables": {
                "requests": "trends",
                "disclosure_rate": "trends",
                "refusal_reasons": "refusal_reasons",
                "appeals": "trends",
            },
        },
    )


def search_page(request: Request, settings: Settings, lang: str) -> Page:
    q = request.query_params.get("q", "")
    if len(q) > 100:
        raise WebError(400, "the search text is too long (at most 100 characters)")
    with opened(settings) as con:
        found = data.search(con, q) if q.strip() else Table(["agency_id", "agency_name"])
    return Page("search.html", t("search", lang), {"agencies": found}, {"q": q})


def agency_page(request: Request, settings: Settings, lang: str) -> Page:
    agency_id = _valid(request.path_params["agency_id"], ID, "agency id")
    with opened(settings) as con:
        tables = data.agency(con, agency_id)
    if tables is None:
        raise WebError(404, f"no agency with id {agency_id!r}")
    info = tables["agency"].dicts()[0]
    series = _series_of(tables["measures"], lang)
    chart_svgs = {
        "requests": charts.line_chart(t("requests", lang), series("received", "handled", "disclosed")),
        "disclosure_rate": _rate_chart(tables["measures"], lang),
        "appeals": charts.line_chart(t("appeals", lang), series("reconsiderations", "lawsuits")),
    }
    peer_ids = [agency_id] + tables["peers"].column("agency_id")[:5]
    compare_url = "/compare?" + urlencode([("measure", "received")] + [("agency", a) for a in peer_ids])
    return Page(
        "agency.html",
        info["agency_name"],
        tables,
        {
            "info": info,
            "charts": chart_svgs,
            "compare_url": compare_url,
            "chart_tables": {"requests": "measures", "disclosure_rate": "measures", "appeals": "measures"},
        },
    )


def report_page(request: Request, settings: Settings, lang: str) -> Page:
    report_id = _valid(request.path_params["report_id"], REPORT_ID, "report id")
    with opened(settings) as con:
        tables = data.report(con, report_id)
        if tables is None:
            raise WebError(404, f"no report with id {report_id!r}")
        labels = data.labels_table(con)
        available = _source_file(settings, con, report_id, verify=False) is not None
    info = tables["report"].dicts()[0]
    grids = {tid: _grid(tables["cells"], labels, tid, lang) for tid in data.TABLE_IDS}
    return Page(
        "report.html",
        f"{info['agency_name']} {info['report_year']}",
        tables,
        {"info": info, "grids": grids, "file_available": available},
    )


def cell_page(request: Request, settings: Settings, lang: str) -> Page:
    p = request.path_params
    report_id = _valid(p["report_id"], REPORT_ID, "report id")
    if p["table_id"] not in data.TABLE_IDS:
        raise WebError(400, f"table must be one of {', '.join(data.TABLE_IDS)}")
    row_key, col_key = _valid(p["row_key"], ID, "row key"), _valid(p["col_key"], ID, "column key")
    with opened(settings) as con:
        tables = data.cell(con, report_id, p["table_id"], row_key, col_key)
        names = _key_labels(con, lang) if tables else {}
        available = tables is not None and _source_file(settings, con, report_id, verify=False) is not None
    if tables is None:
        raise WebError(404, f"no cell {p['table_id']}/{row_key}/{col_key} in report {report_id!r}")
    c = tables["cell"].dicts()[0]
    return Page(
        "cell.html",
        t("provenance", lang),
        tables,
        {
            "c": c,
            "row_label": names.get((c["table_id"], "row", row_key), row_key),
            "col_label": names.get((c["table_id"], "column", col_key), col_key),
            "file_available": available,
        },
    )


def report_file(request: Request, settings: Settings, lang: str) -> Response:
    """The original file, only from a path the warehouse recorded for it or from the inbox, and only with its hash."""
    report_id = _valid(request.path_params["report_id"], REPORT_ID, "report id")
    with opened(settings) as con:
        path = _source_file(settings, con, report_id, verify=True)
    if path is None:
        raise WebError(404, t("file_gone", lang))
    return FileResponse(path, filename=path.name)


def compare_page(request: Request, settings: Settings, lang: str) -> Page:
    q = request.query_params
    measure = q.get("measure", "received")
    if measure not in data.MEASURES:
        raise WebError(400, f"unknown measure {measure!r}; one of: {', '.join(data.MEASURES)}")
    agencies = [_valid(a, ID, "agency id") for a in _multi(q, "agency")]
    codes = [_valid(c, CODE, "region code (6 digits)") for c in _multi(q, "region")]
    if len(agencies) + len(codes) > 12:
        raise WebError(400, "compare at most 12 agencies and regions at once")
    with opened(settings) as con:
        long = data.compare(con, measure, agencies, codes)
        regions = data.regions(con)
    wide = _pivot(long, "series", "report_year", "value")
    series: dict[str, list] = {}
    rate = measure in data.RATES
    for sid, name, year, value, n in long.rows:  # a rate from too few cases is a gap in the chart, kept in the table
        shown = value is not None and (not rate or chartrules.rate_ok(n))
        series.setdefault(name or sid, []).append((year, float(value) if shown else None))
    return Page(
        "compare.html",
        t("compare", lang),
        {"compare": long, "regions": regions},
        {
            "measure": measure,
            "measures": list(data.MEASURES),
            "agencies": agencies,
            "codes": codes,
            "wide": wide,
            "chart": charts.line_chart(
                label(measure, lang), series, percent=rate, note=f"n ≥ {chartrules.MIN_RATE_N}" if rate else None
            ),
            "chart_tables": {"chart": "compare"},
        },
    )


def query_page(request: Request, settings: Settings, lang: str) -> Page:
    """The SQL box: exactly the sandbox of ``xxgk sql`` (sqlguard, locked connection, time limit)."""
    q = request.query_params
    examples = serve.load_examples()
    name = q.get("example", "")
    if name and name not in examples:
        raise WebError(400, f"no example query named {name!r}")
    sql = q.get("sql") or (examples[name].sql if name else "")
    if len(sql) > 20_000:
        raise WebError(400, "the query is too long (at most 20,000 characters)")
    ctx = {
        "sql": sql,
        "examples": list(examples.values()),
        "error": None,
        "truncated": False,
        "timeout": settings.sql_timeout_s,
        "limit": settings.sql_row_limit,
    }
    page = Page("query.html", t("query", lang), {}, ctx)
    if not sql.strip():
        return page
    if not settings.home.db.exists():
        raise WebError(503, f"no warehouse at {settings.home.db}")
    try:
        with DB_LOCK:
            cols, rows, truncated = serve.query(settings.home, sql, settings.sql_row_limit, settings.sql_timeout_s)
    except Denied as exc:
        page.status, ctx["error"] = 403, str(exc)
    except XxgkError as exc:
        message = str(exc)
        # serve.query reports a statement stopped by its timer with this wording
        page.status, ctx["error"] = (408 if "statement timeout" in message else 400), message
    else:
        page.tables["result"] = Table(cols, [tuple(r) for r in rows])
        ctx["truncated"] = truncated
    return page


def downloads_page(request: Request, settings: Settings, lang: str) -> Page:
    with opened(settings) as con:
        present = [m for m in data.MARTS if data.has_table(con, m)]
        counts = Table(
            ["table", "rows"], [(m, con.execute(f"select count(*) from {m}").fetchone()[0]) for m in present]
        )
    return Page("downloads.html", t("downloads", lang), {"marts": counts})


def mart_download(request: Request, settings: Settings, lang: str) -> Response:
    name, ext = request.path_params["name"], request.path_params["ext"]
    if name not in data.MARTS or ext not in ("csv", "parquet"):
        raise WebError(404, f"no download {name}.{ext}")
    with opened(settings) as con:
        if not data.has_table(con, name):
            raise WebError(404, f"the warehouse has no table {name}")
        if ext == "parquet":
            import pyarrow.parquet as pq

            table = con.execute(f"select * from {name}").to_arrow_table()
            buf = io.BytesIO()
            pq.write_table(table, buf, compression="zstd")
            return _attachment(buf.getvalue(), f"{name}.parquet", "application/vnd.apache.parquet")
        result = data.fetch(con, f"select * from {name}")
    return _attachment(_csv(result), f"{name}.csv", "text/csv; charset=utf-8")


# --- helpers -------------------------------------------------------------------------------------------


def _valid(value: str, pattern: re.Pattern, what: str) -> str:
    if not pattern.match(value or ""):
        raise WebError(400, f"malformed {what}: {value[:40]!r}")
    return value


def _rate_chart(table: Table, lang: str, covered: str | None = None) -> str:
    """The disclosure rate by year, left out where fewer requests were handled than a rate needs."""
    points = charts.mask_rates(
        list(zip(table.column("report_year"), table.column("disclosure_rate"))), table.column("handled")
    )
    note = f"n = {t('handled_requests', lang)} ≥ {chartrules.MIN_RATE_N}"
    return charts.line_chart(
        label("disclosure_rate", lang),
        {label("disclosure_rate", lang): points},
        percent=True,
        note=f"{covered}; {note}" if covered else note,
    )


def _series_of(table: Table, lang: str):
    """series(*columns): one line per column of a by-year table, named by its label."""
    years = table.column("report_year")
    return lambda *cols: {label(c, lang): list(zip(years, table.column(c))) for c in cols}


def _multi(q, name: str) -> list[str]:
    """Repeated parameters, also comma-separated ones."""
    return [v.strip() for raw in q.getlist(name) for v in raw.split(",") if v.strip()]


def _key_labels(con, lang: str) -> dict[tuple[str, str, str], str]:
    labels = data.labels_table(con)
    return {
        (r["table"], r["kind"], r["key"]): (r["label_en"] if lang == "en" else r["label_zh"]) for r in labels.dicts()
    }


def _pivot(table: Table, row: str, col: str, value: str) -> dict:
    cols = sorted({r[table.columns.index(col)] for r in table.rows})
    out: dict = {}
    ri, ci, vi = table.columns.index(row), table.columns.index(col), table.columns.index(value)
    for r in table.rows:
        out.setdefault(r[ri], {})[r[ci]] = r[vi]
    return {"columns": cols, "rows": out}


def _grid(cells: Table, labels: Table, table_id: str, lang: str) -> dict:
    """One table of a report as printed: rows and columns in template order, each cell with its raw text."""
    mine = [c for c in cells.dicts() if c["table_id"] == table_id]
    layouts = {c["layout"] for c in mine}
    order: dict[tuple[str, str], tuple] = {}
    for lab in labels.dicts():
        if lab["table"] == table_id and (lab["template"] in layouts or lab["template"] == "both"):
            order[(lab["kind"], lab["key"])] = (lab["ordinal"], lab["label_en"] if lang == "en" else lab["label_zh"])
    rows = sorted(
        {c["row_key"] for c in mine},
        key=lambda k: (order.get(("row", k), (10**6, k))[0], min(x["src_row"] or 0 for x in mine if x["row_key"] == k)),
    )
    cols = sorted({c["col_key"] for c in mine}, key=lambda k: (order.get(("column", k), (10**6, k))[0], k))
    at = {(c["row_key"], c["col_key"]): c for c in mine}
    return {
        "rows": [(k, order.get(("row", k), (0, k))[1]) for k in rows],
        "columns": [(k, order.get(("column", k), (0, k))[1]) for k in cols],
        "cells": at,
    }


def _source_file(settings: Settings, con, report_id: str, verify: bool) -> Path | None:
    """The report's file at a recorded path or in the inbox (same name), when its bytes are still the same."""
    found = data.source_paths(con, report_id)
    size = con.execute("select source_bytes from dim_report where report_id = ?", [report_id]).fetchone()
    if not found:
        return None
    sha, paths = found
    home = settings.home
    candidates: list[Path] = []
    for p in paths:
        path = Path(p)
        candidates += [path] if path.is_absolute() else [home.root / path, Path.cwd() / path]
        if home.inbox.is_dir():
            candidates += [c for c in home.inbox.rglob(path.name) if c.is_file()]
    for c in candidates:
        try:
            if not c.is_file() or (size and size[0] and c.stat().st_size != size[0]):
                continue
            if not verify or file_hash(c, c.stat().st_size) == sha:  # the lake's own fingerprint
                return c.resolve()
        except OSError:
            continue
    return None


def _csv(table: Table) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(table.columns)
    w.writerows([[plain(v) for v in r] for r in table.rows])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # a BOM, so spreadsheets read the Chinese


def _parquet(table: Table) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pydict({c: [plain(r[i]) for r in table.rows] for i, c in enumerate(table.columns)})
    buf = io.BytesIO()
    pq.write_table(arrow, buf, compression="zstd")
    return buf.getvalue()


def _attachment(body: bytes, filename: str, media_type: str) -> Response:
    return Response(body, media_type=media_type, headers={"content-disposition": f'attachment; filename="{filename}"'})


def _json(payload, status: int = 200) -> JSONResponse:
    return JSONResponse(json.loads(json.dumps(payload, default=plain, ensure_ascii=False)), status_code=status)


# --- rendering -----------------------------------------------------------------------------------------

ENV = Environment(loader=PackageLoader("warehouse.web", "templates"), autoescape=select_autoescape(["html"]))
ENV.filters["fmt"] = fmt
ENV.filters["link"] = lambda pattern, columns, row: pattern.format(
    **{c: quote(str(plain(v)), safe="") for c, v in zip(columns, row)}
)


def _url_with(request: Request, **params) -> str:
    merged = [(k, v) for k, v in request.query_params.multi_items() if k not in params]
    merged += [(k, v) for k, v in params.items() if v is not None]
    return request.url.path + ("?" + urlencode(merged) if merged else "")


def _html(request: Request, template: str, ctx: dict, status: int, lang: str) -> HTMLResponse:
    other = "en" if lang == "zh" else "zh"
    body = ENV.get_template(template).render(
        request=request,
        lang=lang,
        t=lambda k: t(k, lang),
        label=lambda c: label(c, lang),
        lang_url=_url_with(request, lang=other),
        download=lambda name, f: _url_with(request, format=f, table=name, lang=None),
        api_url="/api"
        + (request.url.path if request.url.path != "/" else "")
        + ("?" + request.url.query if request.url.query else ""),
        markup=Markup,
        **ctx,
    )
    response = HTMLResponse(body, status_code=status)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response


def _respond(request: Request, page: Page, api: bool, lang: str) -> Response:
    fmt_ = "json" if api else request.query_params.get("format", "html")
    if fmt_ not in FORMATS:
        raise WebError(400, f"format must be one of {', '.join(FORMATS)}")
    if fmt_ == "json":
        payload = {
            "page": page.template.removesuffix(".html"),
            "title": page.title,
            "tables": {k: {"columns": v.columns, "rows": v.dicts()} for k, v in page.tables.items()},
        }
        if page.context.get("error"):
            payload["error"] = page.context["error"]
        return _json(payload, page.status)
    if fmt_ in ("csv", "parquet"):
        name = request.query_params.get("table", "")
        if name not in page.tables:
            raise WebError(400, f"table must be one of: {', '.join(page.tables) or '(none on this page)'}")
        stem = re.sub(r"[^A-Za-z0-9_-]", "_", f"{page.template.removesuffix('.html')}_{name}")
        if fmt_ == "csv":
            return _attachment(_csv(page.tables[name]), f"{stem}.csv", "text/csv; charset=utf-8")
        return _attachment(_parquet(page.tables[name]), f"{stem}.parquet", "application/vnd.apache.parquet")
    shown = {k: Table(v.columns, v.rows[:DISPLAY_ROWS]) for k, v in page.tables.items()}
    return _html(request, page.template, {**page.context, "title": page.title, "tables": shown}, page.status, lang)


def _endpoint(fn, settings: Settings, api: bool):
    def endpoint(request: Request) -> Response:
        lang = _lang(request)
        result = fn(request, settings, lang)
        return result if isinstance(result, Response) else _respond(request, result, api, lang)

    endpoint.__name__ = fn.__name__ + ("_api" if api else "")
    return endpoint


def _error(request: Request, status: int, message: str) -> Response:
    lang = _lang(request)
    if request.url.path.startswith("/api") or request.query_params.get("format") == "json":
        return _json({"error": message, "status": status}, status)
    try:
        return _html(
            request, "error.html", {"title": t("error", lang), "status": status, "message": message}, status, lang
        )
    except Exception:  # the error page itself failed: still no traceback
        return Response(f"{status}: {message}", status_code=status, media_type="text/plain; charset=utf-8")


def create_app(home: Home, sql_timeout_s: float = 10.0, sql_row_limit: int = serve.DEFAULT_ROW_LIMIT) -> Starlette:
    settings = Settings(home, sql_timeout_s, sql_row_limit)
    pages = [
        ("/", home_page),
        ("/search", search_page),
        ("/agency/{agency_id}", agency_page),
        ("/report/{report_id}", report_page),
        ("/report/{report_id}/cell/{table_id}/{row_key}/{col_key}", cell_page),
        ("/compare", compare_page),
        ("/query", query_page),
        ("/downloads", downloads_page),
    ]
    routes = []
    for path, fn in pages:
        routes.append(Route(path, _endpoint(fn, settings, api=False), methods=["GET", "HEAD"]))
        routes.append(
            Route("/api" + (path if path != "/" else ""), _endpoint(fn, settings, api=True), methods=["GET", "HEAD"])
        )
    routes += [
        Route("/report/{report_id}/file", _endpoint(report_file, settings, api=False)),
        Route("/downloads/{name}.{ext}", _endpoint(mart_download, settings, api=False)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    async def web_error(request, exc: WebError):
        return _error(request, exc.status, exc.message)

    async def http_error(request, exc: HTTPException):
        message = {404: "no such page", 405: "method not allowed"}.get(exc.status_code, exc.detail)
        return _error(request, exc.status_code, message)

    async def server_error(request, exc: Exception):
        log.exception("error answering %s", request.url.path)
        return _error(request, 500, "the server could not answer this request; the error was logged")

    return Starlette(
        routes=routes, exception_handlers={WebError: web_error, HTTPException: http_error, Exception: server_error}
    )


def run(home: Home, host: str = "127.0.0.1", port: int = 8001, sql_timeout_s: float = 10.0) -> None:
    import uvicorn

    uvicorn.run(create_app(home, sql_timeout_s), host=host, port=port, log_level="info")
