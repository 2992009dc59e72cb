"""The lake: uncommitted batches swept, small files compacted without losing or doubling a row."""

import json

import duckdb

from ingest.batch import ingest_paths
from ingest.lake import Lake
from ingest.synthetic import generate


def _count(lake_root, table):
    return (
        duckdb.connect()
        .execute(f"select count(*) from read_parquet('{lake_root}/{table}/*/*.parquet', hive_partitioning = true)")
        .fetchone()[0]
    )


def test_many_small_ingests_are_compacted(tmp_path):
    truth = generate(tmp_path / "c", n_agencies=10, years=range(2024, 2025), seed=2, quirk_rates={})
    home = tmp_path / "home"
    for rep in truth:  # ten ingests of one file each
        ingest_paths([tmp_path / "c" / rep.file], home)
    lake = home / "lake"
    files = [p for p in (lake / "cells" / "report_year=2024").glob("*.parquet")]
    assert len(files) < 8  # merged after the eighth
    assert _count(lake, "cells") == sum(len(r.cells) for r in truth)
    assert _count(lake, "reports") == len(truth)
    markers = [json.loads(p.read_text()) for p in (lake / "_batches").glob("*-compact.json")]
    assert markers and all(m["supersedes"] for m in markers)


def test_killed_compaction_is_finished_by_the_next_writer(tmp_path):
    truth = generate(tmp_path / "c", n_agencies=2, years=range(2024, 2025), seed=2, quirk_rates={})
    home = tmp_path / "home"
    for rep in truth:
        ingest_paths([tmp_path / "c" / rep.file], home)
    lake = Lake(home / "lake")
    part = home / "lake" / "cells" / "report_year=2024"
    old = sorted(part.glob("b*.parquet"))
    assert len(old) == 2
    n = _count(home / "lake", "cells")
    assert lake.compact(min_files=2) >= 2
    new = sorted(part.glob("*.parquet"))
    assert len(new) == 1 and new[0].name.endswith("-compact.parquet")
    # put the replaced files back, as if the writer died before deleting them
    import shutil

    marker = next(
        m
        for m in (home / "lake" / "_batches").glob("*-compact.json")
        if "cells/" in json.loads(m.read_text())["files"][0]
    )
    replaced = json.loads(marker.read_text())["supersedes"]
    for rel, _p in zip(sorted(replaced), old):
        shutil.copyfile(new[0], home / "lake" / rel)
    assert _count(home / "lake", "cells") > n  # doubled while the leftovers exist
    lake.init()
    assert _count(home / "lake", "cells") == n


def test_uncommitted_batch_is_swept(tmp_path):
    lake = Lake(tmp_path / "lake")
    lake.init()
    stray = tmp_path / "lake" / "cells" / "report_year=2024"
    stray.mkdir(parents=True)
    (stray / "b20990101T000000-deadbeef.parquet").write_bytes(b"partial")
    lake.init()
    assert not list(stray.glob("*.parquet"))


def test_compaction_leaves_a_big_file_out_of_a_few_tiny_ones(tmp_path):
    from ingest.lake import merge_candidates

    def files(*sizes):
        out = []
        for i, n in enumerate(sizes):
            p = tmp_path / f"f{len(list(tmp_path.iterdir()))}-{i}.parquet"
            p.write_bytes(b"x" * n)
            out.append(p)
        return out

    big, *tiny = files(100_000, *[100] * 8)
    assert sorted(merge_candidates([big, *tiny], min_files=8, small_bytes=10**6)) == sorted(tiny)
    assert merge_candidates([big, *tiny[:7]], min_files=8, small_bytes=10**6) == []  # 7 tiny: wait for more
    same = files(1000, 1100)
    assert len(merge_candidates(same, min_files=2, small_bytes=10**6)) == 2  # alike sizes merge
    huge = files(10**7, 10**7)
    assert merge_candidates(huge, min_files=2, small_bytes=10**6) == []  # past small_bytes
