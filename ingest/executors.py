"""Where the chunks of an ingest run: the local process pool (the default) or a Dask cluster.

:func:`executor_for` turns the command line's ``--executor`` and ``--scheduler`` into the object
:func:`ingest.batch.ingest_paths` takes as ``executor``: None for the local pool, else a
:class:`DaskExecutor`. Without a scheduler address (``--scheduler``, else ``$XXGK_DASK_SCHEDULER``)
a ``LocalCluster`` of worker processes starts on this machine; with one, the client joins that cluster.

The client hashes and deduplicates as for the local pool; only the chunks left to parse are sent.
A Dask task is one chunk: its worker reads the files, copies rejects to the quarantine and commits
the chunk to the lake as one batch (its commit marker written last), exactly as a pool worker does,
and returns a small :class:`ingest.batch.ChunkResult`. Inside the task the chunk runs in a reader
process forked from the worker with the pool's own guard (:func:`ingest.batch.run_chunks`), so the
per-file time and memory budgets and the ``worker_died`` quarantine are the same; the reader dies
with its worker. A worker killed mid-chunk leaves files without a marker (never visible); the
scheduler runs the task again on another worker, which first clears what the dead attempt left
(:func:`clear_attempt`), so the lake ends as after an undisturbed run.

The lake, the quarantine and the files to ingest must be on a filesystem every worker sees at
the same paths: :meth:`DaskExecutor.check` proves it before any task is sent.
"""

from __future__ import annotations

import contextlib
import importlib.util
import multiprocessing
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from . import batch
from .lake import Lake

EXECUTORS = ("local", "dask")
ENV_SCHEDULER = "XXGK_DASK_SCHEDULER"
CONNECT_SECONDS = 60

# Settings of the cluster xxgk starts itself. A task is one chunk of minutes in a forked reader, so the
# worker's own event loop has nothing to watch closely: Dask's defaults (a stack sample every 10 ms, an
# event-loop tick every 20 ms, system and memory monitors several times a second) cost each worker and
# the client about 10% of a core, which on a machine with one worker per core is taken from the readers.
# The worker's memory monitor sees only the worker, not its reader, whose budget ingest enforces itself
# (ingest.limits), so the cluster runs without a memory limit. Its worker processes start with the
# environment Dask gives them less its aggressive malloc trimming (MALLOC_TRIM_THRESHOLD_), which the
# readers forked from them would inherit: they read as the pool's readers do. A joined cluster keeps
# its own settings.
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "2s",
    "distributed.nanny.pre-spawn-environ": {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1},
}


class ClusterError(RuntimeError):
    """The cluster cannot run this ingest (unreachable, no workers, a worker that does not see the lake)."""


def executor_for(
    name: str = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    log: Callable[[str], None] | None = None,
) -> contextlib.AbstractContextManager:
    """A context holding the executor named on the command line: None (the local pool) or a
    :class:`DaskExecutor`, closed (its own cluster stopped) on exit. ``workers`` sizes a local cluster."""
    if name not in EXECUTORS:
        raise ClusterError(f"unknown executor {name!r} (choose {' or '.join(EXECUTORS)})")
    if name == "local":
        if scheduler:
            raise ClusterError("--scheduler names a Dask scheduler; it needs --executor dask")
        return contextlib.nullcontext(None)
    return DaskExecutor(scheduler or os.environ.get(ENV_SCHEDULER) or None, workers, log=log)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class DaskExecutor:
    """Runs ingest chunks as Dask tasks. The cluster starts (or is joined) at first use.

    ``client``: an existing ``distributed.Client`` to use as it is (never closed here)."""

    def __init__(
        self,
        scheduler: str | None = None,
        workers: int | None = None,
        client=None,
        log: Callable[[str], None] | None = None,
    ):
        self.scheduler = scheduler
        self.workers = max(1, workers or batch.default_workers())
        self.log = log or _stderr
        self._client, self._own, self._cluster = client, client is None, None
        self._settings = None  # LOCAL_CLUSTER_CONFIG in force while this executor's own cluster runs

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._own and self._client is not None:
            self._client.close()
            if self._cluster is not None:
                self._cluster.close()
            self._client = self._cluster = None
        if self._settings is not None:
            self._settings.__exit__(None, None, None)
            self._settings = None

    @property
    def client(self):
        if self._client is None:
            self._client = self._start()
        return self._client

    def _start(self):
        from distributed import Client, LocalCluster

        dashboard = importlib.util.find_spec("bokeh") is not None
        if self.scheduler:
            client = None
            try:
                client = Client(self.scheduler, timeout=CONNECT_SECONDS)
                client.wait_for_workers(1, timeout=CONNECT_SECONDS)
            except (OSError, TimeoutError, ValueError) as exc:
                if client is not None:
                    client.close()
                raise ClusterError(
                    f"cannot use the Dask scheduler at {self.scheduler}: {exc or type(exc).__name__}"
                ) from None
            where = f"joined the Dask cluster at {self.scheduler} ({len(client.nthreads())} workers)"
            dashboard = "dashboard" in client.scheduler_info().get("services", {})  # the scheduler's own
        else:
            import dask

            # held until close(): a worker the nanny restarts (its process died) takes the settings then
            self._settings = dask.config.set(LOCAL_CLUSTER_CONFIG)
            self._cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=True,
                memory_limit=0,
                dashboard_address=":8787" if dashboard else ":0",
            )
            client = Client(self._cluster)
            where = (
                f"started a local Dask cluster of {self.workers} worker processes at {self._cluster.scheduler_address}"
            )
        link = client.dashboard_link if dashboard else None
        self.log(f"dask: {where}; dashboard: " + (link or "unavailable (bokeh is not installed)"))
        return client

    def slots(self) -> int:
        """The parallelism to plan chunks for: twice the worker threads (:func:`ingest.batch._chunks` makes
        two chunks of each at least), so a chunk run again after its worker died is a small share of the
        work and the progress bar moves as chunks complete."""
        return 2 * max(1, sum(self.client.nthreads().values()))

    def check(self, lake: Path, quarantine: Path, sample: Path | None = None) -> None:
        """Every worker sees ``lake`` (a token the client wrote), can write it and ``quarantine``,
        and can read ``sample`` (a file to ingest); else a :class:`ClusterError` naming the worker."""
        lake, quarantine = Path(lake).absolute(), Path(quarantine).absolute()
        if sample is not None and not os.access(sample, os.R_OK):
            sample = None  # unreadable here too: that file's own reject, not the cluster's fault
        quarantine.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex
        probe = lake / f".xxgk-probe-{token}"
        probe.write_text(token)
        try:
            answers = self.client.run(
                _probe, str(probe), token, str(quarantine), None if sample is None else os.path.realpath(sample)
            )
        finally:
            probe.unlink(missing_ok=True)
        bad = sorted((addr, why) for addr, why in answers.items() if why)
        if not answers:
            raise ClusterError("the Dask cluster has no workers")
        if bad:
            raise ClusterError(
                f"{len(bad)} of {len(answers)} Dask workers cannot use this home "
                f"(the lake, the quarantine and the files to ingest must be on a filesystem "
                f"every worker sees at the same paths): " + "; ".join(f"{a}: {w}" for a, w in bad)
            )

    def run(self, jobs: list, workers: int, progress: Callable[[int], None] | None) -> Iterator:
        """Submit every chunk, yield each :class:`ingest.batch.ChunkResult` as its task completes."""
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        jobs = [(os.path.abspath(j[0]), os.path.abspath(j[1]), *j[2:]) for j in jobs]
        futures = {self.client.submit(run_chunk, job, key=f"xxgk-ingest-{job[3]}", pure=False): job for job in jobs}
        try:
            for fut in as_completed(futures):
                try:
                    res = fut.result()
                except KilledWorker as exc:
                    raise ClusterError(f"the workers running chunk {futures[fut][3]} died too often: {exc}") from None
                if progress:
                    progress(len(futures[fut][2]) + len(futures[fut][5]))
                yield res
        finally:
            pending = [f for f in futures if not f.done()]
            if pending and self._client is not None:
                self._client.cancel(pending)


# ---------------------------------------------------------------- on a worker


def _probe(probe: str, token: str, quarantine: str, sample: str | None) -> str | None:
    """Run on each worker: None when it sees and can write the home, else why not."""
    try:
        if Path(probe).read_text() != token:
            return f"the lake at {Path(probe).parent} is another folder here"
    except OSError as exc:
        return f"does not see the lake at {Path(probe).parent} ({exc.strerror or exc})"
    for folder in (Path(probe).parent, Path(quarantine)):
        mine = folder / f".xxgk-probe-{token}-{os.getpid()}"
        try:
            mine.write_bytes(b"")
            mine.unlink()
        except OSError as exc:
            return f"cannot write {folder} ({exc.strerror or exc})"
    if sample is not None and not os.access(sample, os.R_OK):
        return f"cannot read the files to ingest, e.g. {sample}"
    return None


def run_chunk(job: tuple):
    """A Dask task: one chunk parsed in a forked reader (the pool's budgets) and committed as one batch."""
    clear_attempt(Path(job[0]), job[3])
    # Dask's worker processes are daemonic, and multiprocessing refuses children to those; the reader
    # forked by batch.run_chunks is killed with its worker (batch.run_chunks sets it to die with its parent), so none is orphaned.
    multiprocessing.current_process()._config["daemon"] = False  # type: ignore[attr-defined]
    results = list(batch.run_chunks([job], 1, None))
    return results[0]


def clear_attempt(root: Path, batch_id: str) -> list[Path]:
    """Remove what an earlier attempt at this chunk left (its worker died): :meth:`Lake.discard_attempt`."""
    return Lake(root).discard_attempt(batch_id)
