"""Decode report bytes: BOM first, then strict UTF-8, then strict GB18030, then detection.

Guessing blindly corrupts Chinese text silently, so each step must decode the
whole input without error before it is accepted; only then does
charset-normalizer get a say, and if nothing fits the file is quarantined.
"""
from __future__ import annotations

import codecs

from .model import Quarantine


def decode(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise :class:`Quarantine` if no encoding fits."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    for bom, enc in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc), enc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        if _looks_chinese(text):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and _looks_chinese(str(best)):
        return str(best), best.encoding
    raise Quarantine("undecodable", "the text encoding could not be determined (not UTF-8, GB18030 or a detectable one)")


def _looks_chinese(text: str) -> bool:
    """At least some CJK and few control characters: a sanity check on a decoding."""
    if not text:
        return False
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    ctrl = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
    return cjk > 0 and ctrl <= len(text) * 0.01
