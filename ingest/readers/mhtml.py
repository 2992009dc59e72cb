"""MHTML ("single file web page", ``.mht``/``.mhtml``): a MIME message holding the page and its resources.

The MIME parts are decoded with the standard library (quoted-printable and
base64 alike); the first ``text/html`` part is the page. Its charset parameter
is honoured (a ``<meta>`` charset inside the page is the fallback), and the
page is read by the HTML reader.
"""

from __future__ import annotations

import email
import email.policy

from ..model import Document, Quarantine
from . import register
from .html import decode_html, parse_html


def html_part(data: bytes) -> tuple[bytes, str | None]:
    """The payload bytes and declared charset of the message's first text/html part."""
    try:
        msg = email.message_from_bytes(data, policy=email.policy.compat32)
    except Exception as exc:  # noqa: BLE001 - the email parser is lenient; anything it raises is a bad file
        raise Quarantine(
            "corrupt_mhtml", f"the MHTML message could not be parsed: {type(exc).__name__}: {exc}"
        ) from None
    for part in msg.walk():
        if part.is_multipart() or part.get_content_type() != "text/html":
            continue
        payload = part.get_payload(decode=True)
        if payload:
            return payload, part.get_content_charset()
    raise Quarantine("corrupt_mhtml", "the MHTML file holds no text/html part")


@register("mhtml")
def read_mhtml(data: bytes) -> Document:
    payload, charset = html_part(data)
    text, enc = decode_html(payload, charset)
    doc = parse_html(text)
    doc.format = "mhtml"
    doc.encoding = enc
    return doc
