"""Which SQL ``xxgk sql`` runs: read queries only, checked before they reach the engine.

Each statement is classified by DuckDB's own parser (``extract_statements``).
Only SELECT-like statements pass (select, with, from, values, describe, show,
summarize, and explain of those). Their syntax tree
(``json_serialize_sql``) is then walked: table functions must be on a short
list (no ``read_csv``, ``read_parquet``, ``glob``, ``query`` …), no table may
be named by a file path (``from '/etc/passwd'``), and ``getenv`` is refused.
Everything else (COPY, ATTACH, INSTALL, LOAD, SET, PRAGMA, CALL, writes, DDL,
transactions) is denied with a one-line reason.

The connection settings in :mod:`warehouse.serve` (read-only, files limited to
the lake, no extension loading, configuration locked) are the second line.
"""

from __future__ import annotations

import json
import re

import duckdb

from .errors import XxgkError

READ_TYPES = {"SELECT"}
ALLOWED_TABLE_FUNCTIONS = {"range", "generate_series", "unnest", "pragma_table_info", "pragma_version"}
ALLOWED_TABLE_FUNCTION_PREFIXES = ("duckdb_",)
DENIED_FUNCTIONS = {"getenv"}
PATH_CHARS = re.compile(r"[/\\.:~]")
REASONS = {
    "COPY": "COPY reads or writes files",
    "EXPORT": "EXPORT DATABASE writes files",
    "ATTACH": "ATTACH opens another database",
    "DETACH": "DETACH changes the attached databases",
    "LOAD": "INSTALL and LOAD of extensions are not allowed",
    "SET": "SET, RESET and USE change settings, which are locked",
    "VARIABLE_SET": "SET VARIABLE changes session state",
    "PRAGMA": "PRAGMA statements are not allowed (query duckdb_settings() or pragma_table_info() instead)",
    "CALL": "CALL runs procedures (use SELECT … FROM the function instead)",
    "INSERT": "INSERT writes to tables; the warehouse is read-only",
    "UPDATE": "UPDATE writes to tables; the warehouse is read-only",
    "DELETE": "DELETE writes to tables; the warehouse is read-only",
    "MERGE_INTO": "MERGE writes to tables; the warehouse is read-only",
    "CREATE": "CREATE changes the catalog; the warehouse is read-only",
    "CREATE_FUNC": "CREATE FUNCTION changes the catalog; the warehouse is read-only",
    "DROP": "DROP changes the catalog; the warehouse is read-only",
    "ALTER": "ALTER changes the catalog; the warehouse is read-only",
    "VACUUM": "VACUUM writes; the warehouse is read-only",
    "ANALYZE": "ANALYZE writes statistics; the warehouse is read-only",
    "TRANSACTION": "transactions are not needed for read queries",
    "MULTI": "PIVOT and other multi-step statements are not allowed; write a SELECT with FILTER or GROUP BY",
    "UNKNOWN": "statements of this kind are not allowed; only read queries are",
}
# Blanks and comments, wherever the parser allows them between words.
_GAP = r"(?:\s|--[^\n]*(?:\n|$)|/\*.*?\*/)"
_LEADING = re.compile(rf"^{_GAP}*", re.S)
_EXPLAIN = re.compile(rf"^explain\b{_GAP}*(?:\([^)]*\){_GAP}*|analyze\b{_GAP}*)?", re.I | re.S)
# C0 and C1 controls, DEL, and the Unicode line/paragraph separators and bidi overrides.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


class Checked(str):
    """The text of one statement :func:`check_sql` passed; made nowhere else. :mod:`warehouse.serve`
    runs only these, so every statement is checked exactly once, where the text arrives."""


class Denied(XxgkError):
    """A statement ``xxgk sql`` will not run."""

    def __init__(self, reason: str, statement: str = ""):
        shown = escape_text(" ".join(statement.split()))
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        super().__init__(f"denied: {reason}" + (f" [{shown}]" if shown else ""))


def _parser() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(
        ":memory:",
        config={
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "enable_external_access": False,
        },
    )


def check_sql(sql: str) -> list[Checked]:
    """The statements of ``sql``, each checked; raises :class:`Denied` on the first that may not run.

    Whatever the parser raises becomes a one-line :class:`XxgkError` (exit 2), never an exception of its own.
    """
    con = _parser()
    try:
        statements = _statements(con, sql)
        if not statements:
            raise XxgkError("no query given")
        out = []
        for st in statements:
            text = st.query.strip().rstrip(";").strip()
            _check_statement(con, _kind(st), text)
            out.append(Checked(text))
        return out
    except duckdb.Error as exc:
        raise Denied(f"the statement cannot be checked: {error_text(str(exc))}") from None
    finally:
        con.close()


def _statements(con, sql: str) -> list:
    try:
        return con.extract_statements(sql)
    except duckdb.Error as exc:
        raise XxgkError(error_text(str(exc))) from None


def _kind(statement) -> str:
    try:
        return statement.type.name
    except ValueError:  # a statement type the Python enum does not know (UPDATE EXTENSIONS, …)
        return "UNKNOWN"


def _check_statement(con, kind: str, text: str) -> None:
    if kind == "EXPLAIN":
        body = _LEADING.sub("", text, count=1)
        inner = _EXPLAIN.sub("", body, count=1)
        if inner == body:
            raise Denied("this EXPLAIN form is not allowed", text)
        inner_statements = _statements(con, inner)
        if len(inner_statements) != 1:
            raise Denied("EXPLAIN takes one statement", text)
        return _check_statement(con, _kind(inner_statements[0]), inner)
    if kind not in READ_TYPES:
        raise Denied(REASONS.get(kind, f"{kind} statements are not allowed; only read queries are"), text)
    tree = json.loads(con.execute("select json_serialize_sql(?)", [text]).fetchone()[0])
    if tree.get("error"):
        raise Denied("this form of query cannot be checked; write it as a plain SELECT", text)
    _walk(tree["statements"], text)
    return None


def _walk(node, text: str) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, text)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "TABLE_FUNCTION":
        fn = (node.get("function") or {}).get("function_name", "").lower()
        if fn not in ALLOWED_TABLE_FUNCTIONS and not fn.startswith(ALLOWED_TABLE_FUNCTION_PREFIXES):
            raise Denied(
                f"the table function {fn}() is not allowed: queries read the warehouse's tables and views only", text
            )
    elif kind == "BASE_TABLE":
        name = node.get("table_name", "")
        if PATH_CHARS.search(name):
            raise Denied(f"{name!r} looks like a file path: queries read the warehouse's tables and views only", text)
    elif node.get("class") == "FUNCTION" and node.get("function_name", "").lower() in DENIED_FUNCTIONS:
        raise Denied(f"the function {node['function_name']}() is not allowed", text)
    for value in node.values():
        if isinstance(value, (dict, list)):
            _walk(value, text)


def escape_text(s: str) -> str:
    """``s`` with control characters shown as escapes (``\\x1b``, ``\\n``), safe to print on a terminal."""
    return CONTROL.sub(
        lambda m: _NAMED.get(
            m.group(), f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}"
        ),
        s,
    )


def error_text(msg: str) -> str:
    """A DuckDB error in full, each line escaped: its hints ("Did you mean", candidate bindings and
    functions) and the ``LINE 1:`` excerpt with its caret stay, aligned; runs of blank lines become one."""
    lines = [escape_text(line.replace("\t", "    ")).rstrip() for line in msg.strip().splitlines()]
    out = [line for i, line in enumerate(lines) if line or (i and lines[i - 1])]
    return "\n".join(out) or "query failed"


def first_line(msg: str) -> str:
    """The first line of an engine message (a one-line error for where the full text does not fit)."""
    return msg.strip().splitlines()[0] if msg.strip() else "query failed"
