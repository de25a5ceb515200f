"""PDFs, DOCX and ODT: a first-page preview and page count for PDFs, their text in search."""

import io

import httpx
from PIL import Image

from tests.conftest import MakeUser
from tests.previews.factory import docx_bytes, odt_bytes, pdf_bytes
from tests.previews.helpers import detail, found, upload


async def test_pdf_gets_a_first_page_preview_a_page_count_and_searchable_text(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    alice = await make_user()
    item = await upload(
        client, alice, pdf_bytes(["Quarterly zeppelin report", "Appendix marmalade"]), "r.pdf"
    )
    assert item["kind"] == "document"
    assert item["media"] is None
    assert (await detail(client, alice, item))["page_count"] == 2
    response = await client.get(item["urls"]["preview"], headers=alice.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    preview = Image.open(io.BytesIO(response.content))
    assert max(preview.size) == 256
    assert preview.size[0] < preview.size[1]  # a portrait letter page
    # the page is white with black text: mostly light, with some dark pixels
    grey = preview.convert("L")
    assert grey.getextrema()[0] < 128 < grey.getextrema()[1]
    assert await found(client, alice, "zeppelin") == ["r.pdf"]
    assert await found(client, alice, "marmalade") == ["r.pdf"]  # the second page too
    assert await found(client, alice, "walrus") == []


async def test_docx_and_odt_text_is_searchable(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user()
    docx = await upload(
        client, alice, docx_bytes(["Minutes of the quokka meeting", "Next: budget"]), "m.docx"
    )
    odt = await upload(client, alice, odt_bytes(["Letter about wombats", "Kind regards"]), "l.odt")
    assert docx["mime_type"].endswith("wordprocessingml.document")
    assert odt["mime_type"] == "application/vnd.oasis.opendocument.text"
    assert await found(client, alice, "quokka") == ["m.docx"]
    assert await found(client, alice, "budget") == ["m.docx"]
    assert await found(client, alice, "wombats") == ["l.odt"]
    assert await found(client, alice, '"kind regards"') == ["l.odt"]
    response = await client.get(docx["urls"]["preview"], headers=alice.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "preview_unavailable"


async def test_document_text_is_private_to_its_owner(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    alice = await make_user()
    bob = await make_user("bob")
    await upload(client, alice, pdf_bytes(["secret pangolin plans"]), "plans.pdf")
    assert await found(client, alice, "pangolin") == ["plans.pdf"]
    assert await found(client, bob, "pangolin") == []
