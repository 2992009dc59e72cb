"""A new home's dbt run starts from the project's cached parse (warehouse/build.py), and a bad cache costs only time."""

from __future__ import annotations

from warehouse.build import PARSE_FILE, parse_cache, run_dbt
from warehouse.home import Home


def _parse(root) -> tuple[int, str]:
    home = Home.resolve(root).ensure()
    proc = run_dbt(["parse"], home, home.staging_db)
    return proc.returncode, (home.dbt_target / "logs" / "dbt.log").read_text(encoding="utf-8", errors="replace")


def test_a_new_home_reuses_the_cached_parse_and_survives_a_bad_one(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert not parse_cache().exists()
    rc, log = _parse(tmp_path / "a")
    assert rc == 0 and "Unable to do partial parsing" in log  # nothing cached: dbt parses the whole project
    assert parse_cache().is_file() and (tmp_path / "a" / ".dbt-target" / PARSE_FILE).is_file()

    rc, log = _parse(tmp_path / "b")  # another home, elsewhere: the profile reads the same, so the parse holds
    assert rc == 0 and "Unable to do partial parsing" not in log and "Nothing changed, skipping partial parsing" in log

    parse_cache().write_bytes(b"not a dbt parse")
    rc, log = _parse(tmp_path / "c")
    assert rc == 0 and "Nothing changed, skipping partial parsing" not in log
    assert parse_cache().stat().st_size > 1000  # the good parse is cached again
