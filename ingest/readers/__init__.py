"""Readers: one per source format, each ``bytes -> Document``.

``sniff`` decides the format from the content (never from the extension
alone), and ``read`` dispatches to the reader registered for it. New formats
(an OCR reader, say) plug in with :func:`register`.
"""
from __future__ import annotations

from collections.abc import Callable

from ..model import Document, Quarantine

Reader = Callable[[bytes], Document]
_READERS: dict[str, Reader] = {}


def register(fmt: str) -> Callable[[Reader], Reader]:
    def deco(fn: Reader) -> Reader:
        _READERS[fmt] = fn
        return fn

    return deco


def formats() -> list[str]:
    return sorted(_READERS)


def sniff(data: bytes, name: str = "") -> str:
    """The format of a file, judged by its bytes; the extension only breaks ties between text forms."""
    head = data[:4096].lstrip()
    if not data.strip():
        raise Quarantine("empty", "the file is empty")
    if head.startswith(b"%PDF"):
        return "pdf"
    if data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")):
        return "image"     # PNG, JPEG, TIFF: read by OCR
    if head.startswith(b"PK\x03\x04"):
        if b"word/" in data[:65536] or b"[Content_Types].xml" in data[:65536]:
            return "docx"
        raise Quarantine("archive", "the file is a zip archive, not a report; unpack it and ingest its files")
    for magic, kind in ((b"\x1f\x8b", "gzip"), (b"Rar!", "rar"), (b"7z\xbc\xaf", "7z"), (b"\xd0\xcf\x11\xe0", "ole2 (legacy .doc/.xls)")):
        if head.startswith(magic):
            raise Quarantine("unsupported_format", f"{kind} files are not supported")
    low = head[:2048].lower()
    if b"<html" in low or b"<!doctype html" in low or b"<table" in low or b"<body" in low:
        return "html"
    if _binary(data[:8192]):
        raise Quarantine("binary", "the file is binary data of an unknown format")
    lower = name.lower()
    if lower.endswith((".md", ".markdown")):
        return "markdown"
    if b"\n|---" in data or b"\n| ---" in data or b"|---|" in data:
        return "markdown"
    return "text"


def _binary(chunk: bytes) -> bool:
    if b"\x00" in chunk:
        return True
    ctrl = sum(1 for b in chunk if b < 9 or 13 < b < 32)
    return ctrl > len(chunk) * 0.02


def read(data: bytes, fmt: str) -> Document:
    try:
        reader = _READERS[fmt]
    except KeyError:
        raise Quarantine("unsupported_format", f"no reader for format {fmt!r}") from None
    return reader(data)


# Register the built-in readers.
from . import docx, html, pdf, text  # noqa: E402,F401

try:    # the OCR reader needs OpenCV and the OCR engine (installed with the dev group)
    from . import ocr  # noqa: E402,F401
except ImportError:
    pass
