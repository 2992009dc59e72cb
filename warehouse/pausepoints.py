"""Named points where a refresh can be told to stop and wait, so crash tests can kill it there.

With ``XXGK_TEST_PAUSE_AT=<name>`` in the environment, a process reaching
:func:`pause_point` of that name writes ``{"point", "pid", …}`` as JSON to
``XXGK_TEST_PAUSE_FILE`` and sleeps (``XXGK_TEST_PAUSE_S``, default 300 s)
waiting to be killed. Without the variable every point is a no-op.

Points: ``after_fetch``, ``after_ingest``, ``during_build`` (the dbt child is
stopped mid-build), ``before_swap`` (built, tested, not yet swapped in),
``after_swap`` (swapped in, run not yet recorded).
"""

from __future__ import annotations

import json
import os
import time

ENV_POINT, ENV_FILE, ENV_SECONDS = "XXGK_TEST_PAUSE_AT", "XXGK_TEST_PAUSE_FILE", "XXGK_TEST_PAUSE_S"


def wanted(name: str) -> bool:
    return os.environ.get(ENV_POINT) == name


def pause_point(name: str, **info) -> None:
    if not wanted(name):
        return
    marker = os.environ.get(ENV_FILE)
    if marker:
        tmp = marker + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"point": name, "pid": os.getpid(), **info}, f)
        os.replace(tmp, marker)
    time.sleep(float(os.environ.get(ENV_SECONDS, "300")))
