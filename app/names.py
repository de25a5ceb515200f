"""Display names from client names, and the Content-Disposition built from them (pure)."""

import re
import unicodedata
from urllib.parse import quote

MAX_NAME_LENGTH = 255
FALLBACK_NAME = "file"
# Control characters (C0, DEL, C1), bidi overrides/isolates/marks, zero-width and line separators.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")
_ASCII_UNSAFE = re.compile(r'[^\x20-\x7e]|["\\;%]')


def sanitize_name(raw: str) -> str:
    """The last path component, without control or bidi characters, bounded, never empty."""
    name = unicodedata.normalize("NFC", raw)
    name = _UNSAFE.sub("", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = name.strip()
    if not name.strip("."):
        return FALLBACK_NAME
    return _truncate(name)


def _truncate(name: str) -> str:
    """Cut to MAX_NAME_LENGTH characters, keeping a short extension."""
    if len(name) <= MAX_NAME_LENGTH:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and stem and 0 < len(ext) <= 16:
        return stem[: MAX_NAME_LENGTH - len(ext) - 1] + "." + ext
    return name[:MAX_NAME_LENGTH]


def content_disposition(name: str, disposition: str = "attachment") -> str:
    """RFC 6266: an ASCII fallback `filename` and the exact UTF-8 name in `filename*`."""
    safe = sanitize_name(name)
    ascii_name = unicodedata.normalize("NFKD", safe).encode("ascii", "ignore").decode("ascii")
    ascii_name = _ASCII_UNSAFE.sub("_", ascii_name).strip() or FALLBACK_NAME
    encoded = quote(safe, safe="")
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"
