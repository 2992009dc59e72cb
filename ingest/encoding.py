"""Decode report bytes: BOM first, then UTF-16 by its byte pattern, strict UTF-8, then strict GB18030 or Big5.

Guessing blindly corrupts Chinese text silently, so each step must decode the
whole input without error before it is accepted. GB18030 accepts almost any
Big5 byte string (as nonsense), so where both decode, words every report uses
(政府, 信息, 申请, 報告 …) decide between them. Only then does
charset-normalizer get a say, and if nothing fits the file is quarantined.
"""

from __future__ import annotations

import codecs

from .model import Quarantine

# words of the report template in simplified and traditional script: a right decoding is full of them
_REPORT_WORDS = (
    "政府",
    "信息",
    "公开",
    "公開",
    "申请",
    "申請",
    "年度",
    "报告",
    "報告",
    "工作",
    "情况",
    "情況",
    "行政",
    "机关",
    "機關",
    "复议",
    "復議",
    "诉讼",
    "訴訟",
    "本年",
    "处理",
    "處理",
    "主动",
    "主動",
    "总计",
    "總計",
    "办理",
    "辦理",
)
BIG5_CODECS = ("big5", "cp950", "big5hkscs")  # Big5 and its wider supersets, exact one first


def utf16_kind(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' where the bytes are UTF-16 (with or without BOM), else None.

    Without a BOM, a sample holding zero bytes is decoded both ways: the right byte order reads as text
    (ASCII, CJK ideographs and punctuation, full-width forms), the wrong one as scattered code points."""
    if data.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le"
    if data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be"
    sample = data[:4096]
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 8 or b"\x00" not in sample:
        return None
    best, kind = 0.0, None
    for enc in ("utf-16-le", "utf-16-be"):
        text = sample.decode(enc, errors="replace")
        share = sum(1 for ch in text if _texty(ch)) / len(text)
        if share > best:
            best, kind = share, enc
    return kind if best >= 0.9 else None


def _texty(ch: str) -> bool:
    o = ord(ch)
    return (
        32 <= o < 127
        or ch in "\r\n\t\f"
        or 0x4E00 <= o <= 0x9FFF
        or 0x3000 <= o <= 0x303F
        or 0xFF00 <= o <= 0xFFEF
        or 0x2000 <= o <= 0x206F
        or 0xA0 <= o <= 0xFF
    )


def decode_utf16(data: bytes, kind: str) -> str:
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        data = data[2:]
    return data[: len(data) - len(data) % 2].decode(kind)


def decode(data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise :class:`Quarantine` if no encoding fits."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="strict"), "utf-8-sig"
    kind = utf16_kind(data)
    if kind:
        try:
            text = decode_utf16(data, kind)
            if _plausible(text):
                return text, kind
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates: list[tuple[int, str, str]] = []
    for enc in ("gb18030", *BIG5_CODECS):
        if enc in BIG5_CODECS and any(c[1] in BIG5_CODECS for c in candidates):
            continue
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _looks_chinese(text):
            candidates.append((_report_words(text), enc, text))
    if candidates:
        # the most template words wins; GB18030 (listed first) on a tie
        score, enc, text = max(candidates, key=lambda c: c[0])
        return text, enc
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and _looks_chinese(str(best)):
        return str(best), best.encoding
    raise Quarantine(
        "undecodable",
        "the text encoding could not be determined (not UTF-8, UTF-16, GB18030, Big5 or a detectable one)",
    )


def _report_words(text: str) -> int:
    sample = text[:200_000]
    return sum(sample.count(w) for w in _REPORT_WORDS)


def _plausible(text: str) -> bool:
    """A UTF-16 decoding is right when it is mostly printable (few controls, no private-use runs)."""
    if not text:
        return False
    bad = sum(1 for ch in text[:20000] if (ord(ch) < 32 and ch not in "\r\n\t\f") or "\ue000" <= ch <= "\uf8ff")
    return bad <= min(len(text), 20000) * 0.01


def _looks_chinese(text: str) -> bool:
    """At least some CJK and few control characters: a sanity check on a decoding."""
    if not text:
        return False
    text = text[:200_000]  # a sample: the whole of a large file costs time and says no more
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    ctrl = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f")
    return cjk > 0 and ctrl <= len(text) * 0.01
