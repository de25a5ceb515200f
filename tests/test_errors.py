"""The error registry and the documented problems: one list of codes, documents that match it."""

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.errors import ERRORS, AppError, NotFound, UnregisteredCode, problem_body
from app.problems import documented_codes, problems

APP_DIR = Path(__file__).parent.parent / "app"
# A code written as a literal: `code="x"`, a subclass default `status, code = 404, "x"`, a positional one.
LITERAL_CODES = (
    re.compile(r"\bcode\s*=\s*\"([a-z0-9_]+)\""),
    re.compile(r"status, code = \d+, \"([a-z0-9_]+)\""),
    re.compile(r"(?:ImageError|QueryError)\(\s*\"([a-z0-9_]+)\""),
    re.compile(r"problem_response\(\s*\d+,\s*\"([a-z0-9_]+)\""),
)
# Codes built at run time (collections/service.py: f"{kind}_not_found", f"{noun}_not_found", f"{kind}_cycle").
BUILT_CODES = {f"{kind}_{what}" for kind in ("album", "gallery") for what in ("not_found", "cycle")} | {
    "image_not_found",
    "artwork_not_found",
}


def codes_in_source() -> set[str]:
    found: set[str] = set()
    for path in APP_DIR.rglob("*.py"):
        text = path.read_text()
        for pattern in LITERAL_CODES:
            found.update(pattern.findall(text))
    return found


def test_every_code_the_source_uses_is_registered() -> None:
    used = codes_in_source()
    assert len(used) > 40  # the scan finds the raise sites
    assert used - ERRORS.keys() == set()
    assert BUILT_CODES - ERRORS.keys() == set()


def test_an_unregistered_code_or_a_wrong_status_fails_at_construction() -> None:
    with pytest.raises(UnregisteredCode):
        NotFound("x", code="no_such_code")
    with pytest.raises(UnregisteredCode):
        NotFound("x", code="folder_exists")  # a 409 raised as a 404
    assert AppError("x", code="image_too_large").status == 422  # the registry decides


def test_the_problem_shape_is_built_in_one_place() -> None:
    assert problem_body("file_not_found", "gone") == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "gone",
        "code": "file_not_found",
    }
    assert problem_body("no_files", "none")["errors"] == []  # every 422 carries `errors`


def test_problems_groups_codes_by_status() -> None:
    responses = problems("file_not_found", "folder_not_found", "quota_exceeded")
    assert sorted(responses) == [404, 413]
    assert documented_codes(responses[404]) == ["file_not_found", "folder_not_found"]
    assert "`quota_exceeded`" in responses[413]["description"]


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", op)
        for path, item in document["paths"].items()
        for method, op in item.items()
    ]


async def test_documented_problems_match_the_registry(client: httpx.AsyncClient) -> None:
    """Every documented problem status holds exactly the registered codes of that status."""
    document = (await client.get("/openapi.json")).json()
    for name, operation in operations(document):
        for status, response in operation["responses"].items():
            content = response.get("content", {})
            if not status.startswith(("4", "5")):
                continue
            assert "application/problem+json" in content, f"{name} {status} is not a problem"
            codes = documented_codes(response)
            assert codes, f"{name} {status} lists no code: hand-written, not from the registry"
            for code in codes:
                assert ERRORS[code].status == int(status), f"{name}: {code} documented under {status}"


async def test_422_is_the_validation_problem_everywhere(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in json.dumps(document)
    schemas = document["components"]["schemas"]
    assert set(schemas["ValidationProblem"]["required"]) >= {"title", "status", "detail", "code", "errors"}
    assert set(schemas["ValidationIssue"]["properties"]) == {"loc", "msg", "type"}
    for name, operation in operations(document):
        unprocessable = operation["responses"].get("422")
        if operation.get("parameters") or operation.get("requestBody"):
            assert unprocessable is not None, f"{name} takes input but documents no 422"
            assert "validation_error" in documented_codes(unprocessable), name
        if unprocessable is not None:
            schema = unprocessable["content"]["application/problem+json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ValidationProblem"}, name


async def test_routes_that_read_a_token_document_401(client: httpx.AsyncClient) -> None:
    """A token that is sent must be valid, on protected and public routes alike."""
    document = (await client.get("/openapi.json")).json()
    for name, operation in operations(document):
        if operation.get("security"):
            assert documented_codes(operation["responses"]["401"])[:2] == [
                "not_authenticated",
                "invalid_token",
            ], name


async def test_a_500_closes_the_connection(app: FastAPI, client: httpx.AsyncClient) -> None:
    @app.get("/api/test-boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("a bug")

    response = await client.get("/api/test-boom")
    assert response.status_code == 500
    assert response.headers["connection"] == "close"
    assert response.json()["code"] == "internal_error"
    assert "RuntimeError" not in response.text


async def test_invalid_utf8_json_is_a_documented_422(client: httpx.AsyncClient) -> None:
    body = b'{"username": "al\xffce", "email": "a@example.com", "password": "correct horse"}'
    response = await client.post(
        "/api/auth/register", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert problem["errors"][0]["type"] == "json_invalid"
    assert problem["errors"][0]["loc"][0] == "body"
