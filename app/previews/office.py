"""The text of DOCX and ODT documents: zip + XML, read with the standard library's zipfile and
defusedxml (no DTDs, no entities), with bounds against zip bombs. Pure and sync."""

import zipfile
from collections.abc import Iterator
from typing import IO, BinaryIO
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import iterparse

from app.previews.found import TEXT_LIMIT

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT_TYPE = "application/vnd.oasis.opendocument.text"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT_NS = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
# (zip member, paragraph element, elements that stand for whitespace)
LAYOUTS = {
    DOCX_TYPE: ("word/document.xml", f"{W}p", {f"{W}tab": "\t", f"{W}br": "\n", f"{W}cr": "\n"}),
    ODT_TYPE: ("content.xml", f"{TEXT_NS}p", {f"{TEXT_NS}tab": "\t", f"{TEXT_NS}s": " "}),
}
HEADINGS = {f"{TEXT_NS}h"}
MAX_MEMBER_BYTES = 64 * 1024 * 1024  # the XML of a document, uncompressed
MAX_RATIO = 200  # uncompressed / compressed: past this the member is a bomb, not a document


class OfficeError(ValueError):
    pass


def office_text(source: BinaryIO, mime_type: str) -> str:
    """The paragraphs of a DOCX or ODT document, one per line, at most TEXT_LIMIT characters."""
    member, paragraph, spaces = LAYOUTS[mime_type]
    with zipfile.ZipFile(source) as archive:
        info = _checked_member(archive, member)
        with archive.open(info) as xml:
            return _collect(_paragraphs(_Bounded(xml, info.file_size), {paragraph, *HEADINGS}, spaces))


def _checked_member(archive: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise OfficeError(f"no {name} in the document") from None
    if info.file_size > MAX_MEMBER_BYTES or info.file_size > MAX_RATIO * max(info.compress_size, 1024):
        raise OfficeError(f"{name} inflates to {info.file_size} bytes")
    return info


class _Bounded:
    """A reader that refuses to inflate past the size the zip directory announced."""

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self.raw = raw
        self.left = limit

    def read(self, size: int = -1) -> bytes:
        want = 64 * 1024 if size < 0 else size
        data = self.raw.read(min(want, self.left + 1))
        self.left -= len(data)
        if self.left < 0:
            raise OfficeError("a member inflates past its announced size")
        return data


def _paragraphs(xml: _Bounded, paragraphs: set[str], spaces: dict[str, str]) -> Iterator[str]:
    for _, element in iterparse(xml, events=("end",)):
        if element.tag in paragraphs:
            yield _text_of(element, spaces)
            element.clear()  # a paragraph inside another (a text box) is not read twice


def _text_of(element: Element, spaces: dict[str, str]) -> str:
    parts = [element.text or ""]
    for child in element:
        parts.append(spaces[child.tag] if child.tag in spaces else _text_of(child, spaces))
        parts.append(child.tail or "")
    return "".join(parts)


def _collect(paragraphs: Iterator[str]) -> str:
    kept: list[str] = []
    size = 0
    for text in paragraphs:
        if not text.strip():
            continue
        kept.append(text)
        size += len(text) + 1
        if size >= TEXT_LIMIT:
            break
    return "\n".join(kept)[:TEXT_LIMIT]
