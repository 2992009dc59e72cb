"""Legacy and other word-processor files (Word 97-2003 ``.doc``, WPS ``.wps``, RTF, OpenDocument ``.odt``):
converted to DOCX by LibreOffice.

The conversion runs ``soffice --headless --convert-to docx`` in a private
temporary directory with its own user profile (so concurrent conversions do not
share one) and a time limit; the result is read by the DOCX reader. Without
LibreOffice on the PATH the file is quarantined ``needs_libreoffice``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ..model import Document, Quarantine
from . import register
from .docx import read_docx

CONVERT_TIMEOUT_S = 60


def soffice() -> str | None:
    """The LibreOffice executable on the PATH, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(data: bytes, suffix: str, target: str = "docx", timeout: float = CONVERT_TIMEOUT_S) -> bytes:
    """``data`` converted by LibreOffice to ``target``; Quarantine when LibreOffice is missing or fails."""
    exe = soffice()
    if exe is None:
        raise Quarantine(
            "needs_libreoffice",
            "needs LibreOffice: legacy Word/WPS/RTF files are converted with "
            "soffice, which is not installed (Debian package libreoffice-writer-nogui)",
        )
    with tempfile.TemporaryDirectory(prefix="xxgk-soffice-") as tmp:
        work = Path(tmp)
        src = work / f"source{suffix}"
        src.write_bytes(data)
        out = work / "out"
        cmd = [
            exe,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(src),
        ]
        env = {**os.environ, "HOME": str(work), "SAL_USE_VCLPLUGIN": "svp"}
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )  # its own process group, stopped whole on timeout
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise Quarantine("too_slow", f"LibreOffice did not convert the file within {timeout:.0f} s") from None
        result = out / f"source.{target}"
        if not result.is_file():
            lines = [ln for ln in (stderr + stdout).decode("utf-8", "replace").splitlines() if ln.strip()]
            detail = next((ln for ln in lines if "rror" in ln), lines[-1] if lines else "no output")[-300:]
            raise Quarantine(
                "corrupt_doc", f"LibreOffice could not convert the file (exit {proc.returncode}): {detail}"
            )
        return result.read_bytes()


def _suffix(data: bytes) -> str:
    if data.lstrip()[:5] == b"{\\rtf":
        return ".rtf"
    return ".odt" if data.startswith(b"PK\x03\x04") else ".doc"


@register("doc")
def read_doc(data: bytes) -> Document:
    doc = read_docx(convert(data, _suffix(data)))
    doc.format = "doc"
    doc.meta["converted_by"] = "libreoffice"
    return doc
