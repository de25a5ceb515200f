"""Documented problem responses, generated from the error registry so docs cannot drift from code.

Routes declare the codes they can answer with: `responses=problems(*AUTH, "file_not_found")`.
`document_problems(app)` publishes `Problem` and `ValidationProblem` and rewrites FastAPI's
default 422 (`HTTPValidationError`, a shape the server never sends) on every operation.
"""

from collections import defaultdict
from typing import Any

from fastapi import FastAPI

from app.errors import ERRORS, Problem, ValidationIssue, ValidationProblem, spec

Responses = dict[int | str, dict[str, Any]]

SCHEMAS = "#/components/schemas/"
PROBLEM_REF = {"$ref": f"{SCHEMAS}Problem"}
VALIDATION_REF = {"$ref": f"{SCHEMAS}ValidationProblem"}
# The codes of a protected route's token check, and of a body or parameter that fails its schema.
AUTH = ("not_authenticated", "invalid_token")
VALIDATION = "validation_error"


def problems(*codes: str) -> Responses:
    """The `responses=` of a route that can answer with `codes`: one entry per status, each
    listing its codes in the description and as named examples."""
    by_status: dict[int, list[str]] = defaultdict(list)
    for code in dict.fromkeys(codes):
        by_status[spec(code).status].append(code)
    return {status: _response(status, found) for status, found in sorted(by_status.items())}


def _response(status: int, codes: list[str]) -> dict[str, Any]:
    description = "; ".join(f"`{code}`: {ERRORS[code].description}" for code in codes)
    examples = {code: {"summary": ERRORS[code].description, "value": _example(code)} for code in codes}
    schema = VALIDATION_REF if status == 422 else PROBLEM_REF
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": schema, "examples": examples}},
    }


def _example(code: str) -> dict[str, Any]:
    found = ERRORS[code]
    body: dict[str, Any] = Problem(
        title=found.title, status=found.status, detail=found.description, code=code
    ).model_dump()
    if found.status == 422:
        body["errors"] = []
    return body


def documented_codes(response: dict[str, Any]) -> list[str]:
    """The codes a generated response documents (its example names)."""
    content = response.get("content", {}).get("application/problem+json", {})
    return list(content.get("examples", {}))


def document_problems(app: FastAPI) -> None:
    """Publish the problem schemas; document every 422 as the `ValidationProblem` it is."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            schemas.update(_problem_schemas())
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    _fix_validation(operation)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _problem_schemas() -> dict[str, Any]:
    schemas = {}
    for model in (Problem, ValidationIssue, ValidationProblem):
        schema = model.model_json_schema(ref_template=SCHEMAS + "{model}", mode="serialization")
        schema.pop("$defs", None)
        schemas[model.__name__] = schema
    return schemas


def _fix_validation(operation: dict[str, Any]) -> None:
    """FastAPI documents a 422 `HTTPValidationError` on a route with parameters or a body unless
    the route declares its own 422; either way it becomes our `ValidationProblem`."""
    responses = operation["responses"]
    declared = responses.get("422")
    if declared is not None and "application/json" in declared.get("content", {}):
        del responses["422"]
    if operation.get("parameters") or operation.get("requestBody"):
        _merge(responses, VALIDATION)
    if operation.get("requestBody"):  # every body passes the size limit; JSON text may not be Unicode
        _merge(responses, "request_too_large")
        _merge(responses, "invalid_text")


def _merge(responses: dict[str, Any], code: str) -> None:
    status = str(ERRORS[code].status)
    codes = documented_codes(responses.get(status, {}))
    if code not in codes:
        responses[status] = _response(int(status), [*codes, code])
