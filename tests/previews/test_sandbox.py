"""The extraction child: bounded in time and memory, its failures end as None and a warning."""

import io
import logging
import zipfile

import pytest
from defusedxml import EntitiesForbidden

from app.previews.office import DOCX_TYPE, ODT_TYPE, OfficeError, office_text
from app.previews.sandbox import Bounds, run_isolated
from tests.previews.factory import docx_bomb, docx_bytes, odt_bytes, pdf_bytes


def test_a_pdf_is_read_in_the_child() -> None:
    result = run_isolated("pdf", io.BytesIO(pdf_bytes(["one", "two", "three"])))
    assert result is not None
    assert result.page_count == 3
    assert result.text is not None
    assert result.text.split() == ["one", "two", "three"]


def test_a_child_past_its_memory_bound_gives_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="atrium.previews")
    tight = Bounds(seconds=20, memory_bytes=48 * 1024 * 1024)
    assert run_isolated("pdf", io.BytesIO(pdf_bytes(["hello"])), bounds=tight) is None
    assert any("extraction pdf failed" in record.getMessage() for record in caplog.records)


def test_a_child_past_its_time_bound_is_stopped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="atrium.previews")
    hurried = Bounds(seconds=0.01)
    assert run_isolated("video", io.BytesIO(b"\x00" * 1024), bounds=hurried) is None
    assert any("no answer within" in record.getMessage() for record in caplog.records)


def test_office_text_keeps_paragraphs_and_inline_runs() -> None:
    assert office_text(io.BytesIO(docx_bytes(["alpha beta", "gamma"])), DOCX_TYPE) == "alpha beta\ngamma"
    odt = odt_bytes(["plain <text:span>styled</text:span> tail", "x<text:tab/>y"])
    assert office_text(io.BytesIO(odt), ODT_TYPE) == "plain styled tail\nx\ty"


def test_office_text_refuses_entities() -> None:
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", laughs)
    with pytest.raises(EntitiesForbidden):
        office_text(io.BytesIO(buffer.getvalue()), DOCX_TYPE)


def test_office_text_refuses_a_zip_bomb() -> None:
    with pytest.raises(OfficeError, match="inflates"):
        office_text(io.BytesIO(docx_bomb(32 * 1024 * 1024)), DOCX_TYPE)
