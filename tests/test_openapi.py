"""The OpenAPI document as a generated client reads it, checked over every operation so routes
added later are held to the same promises: names, tagged unions, media types, headers, security."""

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.config import Settings
from app.errors import ERRORS
from app.main import create_app
from tests.conftest import MakeUser
from tests.files.helpers import multipart, multipart_headers, part

pytestmark = pytest.mark.anyio

Document = dict[str, Any]
JSON_TYPES = ("application/json", "application/problem+json")


@pytest.fixture
async def document(client: httpx.AsyncClient) -> Document:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: Document = response.json()
    return body


def operations(document: Document) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def walk(node: object) -> Iterator[dict[str, Any]]:
    """Every object in the document, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def resolve(document: Document, schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" not in schema:
        return schema
    name = schema["$ref"].removeprefix("#/components/schemas/")
    found: dict[str, Any] = document["components"]["schemas"][name]
    return found


async def test_component_names_are_chosen_not_derived(document: Document) -> None:
    names = list(document["components"]["schemas"])
    assert names
    bad = [n for n in names if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", n) or "__" in n or "Body_" in n]
    assert bad == []
    assert {"FileReadPage", "ImageViewPage", "ImageDetails", "TokenForm"} <= set(names)
    assert "HTTPValidationError" not in names


async def test_every_union_of_objects_is_discriminated(document: Document) -> None:
    schemas = document["components"]["schemas"]
    for node in walk(document):
        for key in ("anyOf", "oneOf"):
            refs = [option["$ref"] for option in node.get(key, []) if "$ref" in option]
            if len(refs) < 2:
                continue
            assert key == "oneOf", node
            assert "discriminator" in node, node
            field = node["discriminator"]["propertyName"]
            for target, ref in node["discriminator"]["mapping"].items():
                variant = schemas[ref.rsplit("/", 1)[1]]
                assert field in variant["required"]
                assert variant["properties"][field]["const"] == target


async def test_closed_string_sets_are_listed(document: Document) -> None:
    schemas = document["components"]["schemas"]

    def values(schema: str, field: str) -> set[str]:
        prop = schemas[schema]["properties"][field]
        return set(prop.get("enum") or [prop["const"]])

    assert values("FileRead", "kind") == {"image", "video", "audio", "text", "document", "archive", "other"}
    assert values("PublicImageRead", "kind") == values("FileRead", "kind")
    assert values("AlbumRead", "privacy_setting") == {"private", "public", "shared"}
    assert values("GalleryRead", "visibility") == {"private", "public"}
    assert values("TypeUsage", "type") == values("FileRead", "kind")
    assert values("Problem", "code") == set(ERRORS)
    assert values("ImageRead", "view") == {"owner"}
    assert values("PublicImageRead", "view") == {"public"}


async def test_problem_schemas_require_what_the_server_always_sends(document: Document) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail", "code"}
    assert "errors" in schemas["ValidationProblem"]["required"]
    assert "deleted_at" in schemas["FileRead"]["required"]


async def test_every_response_documents_its_headers_and_bytes(document: Document) -> None:
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            where = f"{method} {path} {status}"
            headers = response.get("headers", {})
            assert "X-Request-ID" in headers, where
            if status == "429":
                assert "Retry-After" in headers, where
            for media_type, content in response.get("content", {}).items():
                if media_type in JSON_TYPES:
                    continue
                if media_type == "text/html":  # the share page
                    assert content["schema"] == {"type": "string"}, where
                    continue
                assert content["schema"] == {"type": "string", "format": "binary"}, where
                assert {"Content-Disposition", "Cache-Control"} <= set(headers), where
                if media_type != "application/zip":  # a ZIP is built as it streams: no validator
                    assert "ETag" in headers, where
                if status == "206":
                    assert "Content-Range" in headers, where


async def test_downloads_say_they_may_be_any_type(document: Document) -> None:
    for path in ("/api/files/{file_id}/download", "/api/images/{image_id}/download"):
        content = document["paths"][path]["get"]["responses"]["200"]["content"]
        assert list(content) == ["*/*"]
        headers = document["paths"][path]["get"]["responses"]["206"]["headers"]
        assert {"Content-Range", "Accept-Ranges", "ETag", "Last-Modified"} <= set(headers)


async def test_every_tag_is_described(document: Document) -> None:
    described = {tag["name"] for tag in document["tags"] if tag.get("description")}
    used = {tag for _, _, operation in operations(document) for tag in operation.get("tags", [])}
    assert used <= described


async def test_every_json_request_body_has_an_example(document: Document) -> None:
    for method, path, operation in operations(document):
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
            schema = resolve(document, content["schema"])
            if media_type == "multipart/form-data" or schema.get("format") == "binary":
                continue
            assert resolve(document, content["schema"]).get("examples"), f"{method} {path}"


async def test_no_scope_section_and_one_scheme(document: Document) -> None:
    schemes = document["components"]["securitySchemes"]
    assert list(schemes) == ["OAuth2PasswordBearer"]
    flows = schemes["OAuth2PasswordBearer"]["flows"]
    assert flows["password"]["scopes"] == {}  # Swagger UI shows no scope section for none
    for _, _, operation in operations(document):
        for requirement in operation.get("security", []):
            assert set(requirement) <= {"OAuth2PasswordBearer"}
            assert all(scopes == [] for scopes in requirement.values())


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


def _uuid_queries(operation: dict[str, Any]) -> dict[str, str]:
    """An unknown id for every id filter: a visitor's listing names whose public items it wants."""
    return {
        parameter["name"]: str(uuid.uuid4())
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query" and '"uuid"' in str(parameter["schema"]).replace("'", '"')
    }


async def test_optional_security_is_true_both_ways(client: httpx.AsyncClient, document: Document) -> None:
    """Every operation documented as token-optional answers a caller without one (here 404 for an
    unknown id, or 200 for an unknown user's public items), and every one documented as needing a
    token refuses that caller with 401."""
    optional, required = 0, 0
    for method, path, operation in operations(document):
        security = operation.get("security")
        if security is None:
            continue
        params = _uuid_queries(operation) if {} in security else {}
        # tus routes refuse a request without the protocol's version header before anything else
        headers = {"Tus-Resumable": "1.0.0"}
        response = await client.request(method, _concrete(path), params=params, headers=headers)
        where = f"{method} {path}: {response.status_code}"
        if {} in security:
            optional += 1
            assert response.status_code not in (401, 403), where
            assert response.status_code < 500, where
        else:
            required += 1
            assert response.status_code == 401, where
    assert optional >= 8
    assert required >= 30


async def test_download_is_sent_with_the_type_the_document_allows(
    client: httpx.AsyncClient, make_user: MakeUser, document: Document
) -> None:
    user = await make_user()
    body = multipart([part("files", b"plain words\n", filename="note.txt", content_type="text/plain")])
    upload = await client.post("/api/upload", content=body, headers=multipart_headers(user.headers))
    assert upload.status_code == 201, upload.text
    file_id = upload.json()["files"][0]["id"]
    response = await client.get(f"/api/files/{file_id}/download", headers=user.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    documented = document["paths"]["/api/files/{file_id}/download"]["get"]["responses"]["200"]
    assert set(documented["headers"]) - {"X-Request-ID"} <= {name.title() for name in response.headers} | {
        "ETag"
    }
    assert response.headers["x-request-id"]


async def test_upload_form_default_works_as_filled(
    client: httpx.AsyncClient, make_user: MakeUser, document: Document
) -> None:
    """Swagger UI fills a form field with its default (or a sample value when it has none): the
    upload's documented default must be a value the server takes, never a sample UUID."""
    body = document["paths"]["/api/upload"]["post"]["requestBody"]
    folder = body["content"]["multipart/form-data"]["schema"]["properties"]["folder_id"]
    assert "format" not in folder
    user = await make_user()
    body = multipart(
        [
            part("folder_id", folder["default"].encode()),
            part("files", b"hello\n", filename="a.txt", content_type="text/plain"),
        ]
    )
    response = await client.post("/api/upload", content=body, headers=multipart_headers(user.headers))
    assert response.status_code == 201, response.text
    assert response.json()["files"][0]["folder_id"] is None


@pytest.mark.parametrize(
    "changed",
    [
        {"metrics_enabled": True},
        {"clamd_address": "tcp://127.0.0.1:3310", "scan_fail_mode": "open"},
        {"compress_at_rest": True, "signed_url_seconds": 60},
        {
            "storage_url": "s3://atrium-bucket/prefix",
            "aws_endpoint_url": "http://127.0.0.1:9",
            "download_redirect": True,
        },
    ],
)
def test_the_document_is_the_same_whatever_the_settings(settings: Settings, changed: dict[str, Any]) -> None:
    """One document for every deployment: clients are generated from it once."""
    other = Settings.model_validate({**settings.model_dump(), **changed})
    assert create_app(other).openapi() == create_app(settings).openapi()
