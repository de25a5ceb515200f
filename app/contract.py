"""The OpenAPI document as generated clients read it: deliberate component names, a token that is
optional where visitors are served, the headers every response carries, described tags.

`document_contract(app)` finishes the document FastAPI (and `app.problems`) built; the tests in
tests/test_openapi.py pin what it promises over the whole document, so new routes are covered.
"""

import json
import re
from typing import Any

from fastapi import FastAPI

from app.auth.dependencies import OPTIONAL_SCHEME, SCHEME
from app.errors import ERRORS
from app.requestid import REQUEST_ID_HEADER

TAGS: list[dict[str, str]] = [
    {"name": "health", "description": "Liveness and readiness probes."},
    {"name": "auth", "description": "Accounts and bearer tokens (`Authorization: Bearer <token>`)."},
    {"name": "files", "description": "Uploads, downloads, metadata, previews and the trash."},
    {"name": "uploads", "description": "Resumable uploads (tus 1.0) and the caller's unfinished ones."},
    {"name": "zip", "description": "ZIP archives of albums, folders and chosen files, streamed as built."},
    {"name": "shares", "description": "The caller's share links: create, list, change, revoke."},
    {"name": "shared", "description": "What a share link's visitors get: listing, downloads, ZIP, the page."},
    {"name": "folders", "description": "The caller's folder tree."},
    {"name": "search", "description": "Full-text search over the caller's files."},
    {"name": "storage", "description": "The caller's storage use and quota."},
    {"name": "admin", "description": "Quotas and storage maintenance (administrators only)."},
    {"name": "albums", "description": "Photo albums: private, shared or public."},
    {"name": "images", "description": "The photo gallery's view of image files: EXIF, thumbnails, renders."},
    {"name": "portfolio", "description": "Artworks, galleries and public artist pages."},
]

_GENERIC_PAGE = re.compile(r"^((?:Cursor)?Page)_([A-Za-z0-9]+)_$")
_REQUEST_ID = {
    "description": "the request's id (the one sent, when sane), also in the server's log lines",
    "schema": {"type": "string"},
}
_RETRY_AFTER = {"description": "seconds to wait before trying again", "schema": {"type": "integer"}}


def document_contract(app: FastAPI) -> None:
    """Finish the document once, after the problem responses are in."""
    build = app.openapi
    finished: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        schema = build()
        if not finished or finished[0] is not schema:
            finished[:] = [_finish(schema)]
            app.openapi_schema = finished[0]
        return finished[0]

    app.openapi = openapi  # type: ignore[method-assign]


def _finish(schema: dict[str, Any]) -> dict[str, Any]:
    schema = _rename_components(schema)
    schema["tags"] = TAGS
    _restrict_problem_codes(schema)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            _optional_security(operation)
            _document_headers(operation)
    schemes = schema.get("components", {}).get("securitySchemes", {})
    schemes.pop(OPTIONAL_SCHEME, None)
    return schema


def _rename_components(schema: dict[str, Any]) -> dict[str, Any]:
    """`Page_FileRead_` (pydantic's name for `Page[FileRead]`) becomes `FileReadPage`, and
    `CursorPage_FileRead_` becomes `FileReadCursorPage`."""
    names = schema.get("components", {}).get("schemas", {})
    renames = {old: f"{found[2]}{found[1]}" for old in names if (found := _GENERIC_PAGE.match(old))}
    if not renames:
        return schema
    text = json.dumps(schema)
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    renamed: dict[str, Any] = json.loads(text)
    schemas = renamed["components"]["schemas"]
    for old, new in renames.items():
        schemas[new] = schemas.pop(old)
        schemas[new]["title"] = new
    return renamed


def _restrict_problem_codes(schema: dict[str, Any]) -> None:
    """`code` lists the registered codes (a 422's only those answered with 422)."""
    schemas = schema.get("components", {}).get("schemas", {})
    for name, codes in (
        ("Problem", sorted(ERRORS)),
        ("ValidationProblem", sorted(code for code, found in ERRORS.items() if found.status == 422)),
    ):
        if name in schemas:
            schemas[name]["properties"]["code"]["enum"] = codes


def _optional_security(operation: dict[str, Any]) -> None:
    """A route that serves visitors reads a token only if one is sent: `[{}, {bearer}]`, which
    generators turn into an optional token."""
    security = operation.get("security")
    if not security:
        return
    names = {name for requirement in security for name in requirement}
    if OPTIONAL_SCHEME not in names:
        return
    if SCHEME in names:  # a required token anywhere in the route wins
        operation["security"] = [{SCHEME: []}]
    else:
        operation["security"] = [{}, {SCHEME: []}]


def _document_headers(operation: dict[str, Any]) -> None:
    for status, response in operation.get("responses", {}).items():
        headers = response.setdefault("headers", {})
        headers[REQUEST_ID_HEADER] = _REQUEST_ID
        if status == "429":
            headers["Retry-After"] = _RETRY_AFTER
