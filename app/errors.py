"""Every error leaves as RFC 9457 problem+json with a stable `code` from one registry.

`ERRORS` is the only list of codes the server answers with: raising or answering an unknown
code is a programming error (`UnregisteredCode`), and each route's documented problem
responses are generated from the codes it names (`app.problems.problems`).
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.requestid import REQUEST_ID_HEADER, bind_request_id, current_request_id, unbind_request_id

logger = logging.getLogger("atrium.errors")

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class ErrorSpec:
    """One registered problem: the status it answers with and what it means."""

    status: int
    description: str

    @property
    def title(self) -> str:
        return EXTRA_PHRASES.get(self.status) or HTTPStatus(self.status).phrase


# Statuses outside the HTTP registry that a protocol defines (tus 1.0's checksum extension).
EXTRA_PHRASES = {460: "Checksum Mismatch"}


def _codes(status: int, **descriptions: str) -> dict[str, ErrorSpec]:
    return {code: ErrorSpec(status, text) for code, text in descriptions.items()}


ERRORS: dict[str, ErrorSpec] = {
    **_codes(
        400,
        bad_request="the request cannot be understood",
        malformed_multipart="the multipart body is malformed",
        client_disconnected="the client went away before the body was complete",
        tag_filter_private="the tag filter applies to the caller's own images only",
        invalid_tus_header="a tus header (Upload-Length, Upload-Offset, Upload-Metadata, ...) is invalid",
        checksum_unsupported="the Upload-Checksum algorithm is not one of Tus-Checksum-Algorithm",
    ),
    **_codes(
        401,
        not_authenticated="a bearer token is required",
        invalid_token="the token is invalid, expired or revoked",  # noqa: S106 - a code, not a secret
        invalid_credentials="wrong username or password",
        share_locked="the share link has a password: unlock it first",
        share_password_invalid="wrong password for this share link",  # noqa: S106 - a code, not a secret
    ),
    **_codes(
        403,
        forbidden="the caller may see this but not do that",
        admin_required="the caller is not an administrator",
        not_owner="visible to the caller, but only its owner may change it",
        original_protected="the artist does not allow downloading this original",
        upload_is_final="a final (concatenated) upload takes no PATCH",
        download_not_allowed="the share link does not allow downloads",
        signed_url_invalid="the signature of this URL does not match it",
        signed_url_expired="this signed URL has expired",
    ),
    **_codes(
        404,
        not_found="no such route or resource",
        file_not_found="no such file, or not visible to the caller",
        folder_not_found="no such folder, or not the caller's",
        image_not_found="no such image, or not visible to the caller",
        album_not_found="no such album, or not visible to the caller",
        gallery_not_found="no such gallery, or not visible to the caller",
        artwork_not_found="no such artwork, or not visible to the caller",
        artist_not_found="no such artist",
        avatar_not_found="the artist has no avatar",
        user_not_found="no such user",
        preview_unavailable="files of this kind have no preview",
        content_missing="the stored bytes of this file are missing",
        upload_not_found="no such resumable upload, or not the caller's (or terminated, or removed)",
        share_not_found="no such share link, or revoked",
    ),
    **_codes(405, method_not_allowed="the route does not take this method"),
    **_codes(406, not_acceptable="no representation matches the Accept header"),
    **_codes(
        409,
        conflict="the request conflicts with the current state",
        username_taken="the username is already registered",
        email_taken="the email is already registered",
        folder_exists="a sibling folder has this name",
        folder_not_empty="the folder is not empty (send recursive=true)",
        folder_cycle="a folder cannot move into its own subtree",
        album_cycle="an album cannot nest inside itself",
        gallery_cycle="a gallery cannot nest inside itself",
        upload_offset_mismatch="Upload-Offset is not the upload's offset (see HEAD); nothing was written",
        upload_length_fixed="the upload's length is already known and cannot change",
        upload_not_complete="a partial upload named for concatenation is not complete yet",
    ),
    **_codes(
        410,
        upload_expired="the resumable upload expired (UPLOAD_EXPIRY_HOURS)",
        upload_ended="the resumable upload ended: it made its file, or a rule refused it",
        share_expired="the share link has expired",
        share_download_limit="the share link has reached its download limit",
    ),
    **_codes(412, tus_version_unsupported="Tus-Resumable must be 1.0.0"),
    **_codes(411, length_required="the request needs a Content-Length"),
    **_codes(
        413,
        payload_too_large="the request is too large",
        file_too_large="a file exceeds MAX_FILE_SIZE",
        quota_exceeded="the upload exceeds the caller's storage quota",
        too_many_files="the upload request carries too many files",
        request_too_large="the request body exceeds the request limit",
        upload_length_exceeded="the chunk goes past the upload's Upload-Length",
    ),
    **_codes(
        415,
        unsupported_type="the content's type is not accepted",
        type_mismatch="the name claims another kind than the content",
        not_an_image="the file could not be read as an image",
        offset_octet_stream_required="a PATCH carries Content-Type: application/offset+octet-stream",
    ),
    **_codes(416, range_not_satisfiable="the Range lies outside the file"),
    **_codes(
        422,
        validation_error="a parameter or the body is invalid (see `errors`)",
        invalid_text="the request contains text that is not valid Unicode",
        folder_too_deep="folders nest too deep",
        empty_query="the search query has no word to look for",
        query_too_complex="the search query has too many terms",
        invalid_query="the search query cannot be searched",
        invalid_cursor="the list cursor is malformed or was made for another sort or order",
        no_files="the upload request has no file parts",
        one_file_expected="send exactly one image as the `file` part",
        avatar_not_an_image="the avatar must be one of the caller's images",
        cover_not_in_collection="the cover must be an image of this collection",
        order_mismatch="the new order must list exactly the collection's items",
        image_unreadable="the image cannot be decoded",
        image_too_large="the image has too many pixels",
        not_a_regular_file="an imported path is not a regular file",
        invalid_folder_name="an imported directory name is not a valid folder name",
        malware_detected="the malware scanner flagged a file (its signature is in `detail`)",
    ),
    **_codes(423, upload_locked="another request is writing this upload now; retry after it ends"),
    **_codes(429, rate_limited="too many requests; see Retry-After"),
    **_codes(460, checksum_mismatch="the chunk does not match its Upload-Checksum; it was discarded"),
    **_codes(500, internal_error="an unexpected error; the request id is in the log"),
    **_codes(
        503,
        service_unavailable="the server cannot answer now",
        database_unavailable="the database does not answer",
        storage_unavailable="the storage cannot be written",
        scanner_unavailable="the malware scanner gave no verdict (SCAN_FAIL_MODE=closed)",
    ),
}

# The code of an HTTPException (Starlette's routing, 405s, body limits) that names none.
STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_type",
    416: "range_not_satisfiable",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class UnregisteredCode(LookupError):
    """A code that is not in `ERRORS`, or used with another status: a bug, caught by the tests."""


def spec(code: str, status: int | None = None) -> ErrorSpec:
    """The registry entry of `code`; `status`, when given, must be the registered one."""
    found = ERRORS.get(code)
    if found is None:
        raise UnregisteredCode(f"error code {code!r} is not in app.errors.ERRORS")
    if status is not None and status != found.status:
        raise UnregisteredCode(f"error code {code!r} is registered with {found.status}, not {status}")
    return found


class Problem(BaseModel):
    """RFC 9457 problem details; `code` is one of the registered error codes."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str


class ValidationIssue(BaseModel):
    """One invalid part of the request: where (`loc`), what is wrong, and its kind."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationProblem(Problem):
    """A 422 problem; `errors` lists the invalid parts (empty for a code other than validation_error)."""

    errors: list[ValidationIssue]


def problem_body(code: str, detail: str, *, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The one place the problem shape is built. Every 422 carries `errors`."""
    found = spec(code)
    problem = Problem(title=found.title, status=found.status, detail=detail, code=code)
    if found.status == 422:
        issues = [ValidationIssue.model_validate(error) for error in errors or []]
        problem = ValidationProblem(**problem.model_dump(), errors=issues)
    return problem.model_dump(mode="json")


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    spec(code, status)
    all_headers = dict(headers or {})
    all_headers.setdefault(REQUEST_ID_HEADER, current_request_id())
    body = problem_body(code, detail, errors=errors)
    return JSONResponse(body, status_code=status, headers=all_headers, media_type=PROBLEM_JSON)


class AppError(Exception):
    """An error that carries its own HTTP status and a registered code.

    The status is the code's registered one; a subclass (NotFound, ...) or an explicit `status`
    that disagrees with the registry raises `UnregisteredCode` at construction.
    """

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status is None and type(self) is not AppError:
            status = self.status
        self.status = spec(self.code, status).status
        self.headers = headers or {}


class BadRequest(AppError):
    status, code = 400, "bad_request"


class Unauthorized(AppError):
    status, code = 401, "not_authenticated"

    def __init__(self, detail: str = "not authenticated", *, code: str | None = None) -> None:
        super().__init__(detail, code=code, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"


class PayloadTooLarge(AppError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(AppError):
    status, code = 415, "unsupported_type"


class RangeNotSatisfiable(AppError):
    status, code = 416, "range_not_satisfiable"


class Unprocessable(AppError):
    status, code = 422, "validation_error"


class InvalidFields(Unprocessable):
    """Input a service validates itself (a multipart form's fields): the same 422 and `errors` list
    as FastAPI's own validation."""

    def __init__(self, raw: Sequence[Mapping[str, Any]]) -> None:
        self.errors = validation_errors(raw)
        super().__init__(validation_summary(self.errors))


def validation_errors(raw: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": err.get("type", "")}
        for err in raw
    ]


def validation_summary(errors: list[dict[str, Any]]) -> str:
    summary = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:3])
    return summary or "invalid request"


class TooManyRequests(AppError):
    status, code = 429, "rate_limited"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


class ServiceUnavailable(AppError):
    status, code = 503, "service_unavailable"


async def handle_app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    errors = exc.errors if isinstance(exc, InvalidFields) else None
    return problem_response(exc.status, exc.code, exc.detail, headers=dict(exc.headers or {}), errors=errors)


async def handle_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        return _invalid_utf8(exc.__cause__)
    code = getattr(exc, "code", None) or STATUS_CODES.get(exc.status_code)
    if code is None:  # a status no code is registered for: a bug in a route, not the client's fault
        return await handle_unexpected(request, exc)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route for {request.method} {request.url.path}"
    return problem_response(exc.status_code, code, detail, headers=dict(exc.headers or {}))


def _invalid_utf8(exc: UnicodeDecodeError) -> JSONResponse:
    """FastAPI answers 400 to a JSON body that is not UTF-8; it is invalid JSON (RFC 8259 §8.1)."""
    msg = f"JSON body is not valid UTF-8 (byte {exc.start})"
    error = {"loc": ["body", exc.start], "msg": msg, "type": "json_invalid"}
    return problem_response(422, "validation_error", f"body: {msg}", errors=[error])


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc.errors())
    return problem_response(422, "validation_error", validation_summary(errors), errors=errors)


async def handle_unencodable_text(request: Request, exc: Exception) -> JSONResponse:
    """JSON may carry lone surrogates (`"\\ud800"`); they cannot be stored or sent as UTF-8.

    SQLite's driver raises the UnicodeEncodeError itself; asyncpg's arrives wrapped in a
    statement error, with the UnicodeEncodeError further down its chain of causes.
    """
    if not _caused_by(exc, UnicodeEncodeError):
        return await handle_unexpected(request, exc)
    return problem_response(422, "invalid_text", "the request contains text that is not valid Unicode")


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    """A bug: logged with the request id; the client gets no trace, and a connection not to reuse."""
    token = bind_request_id(getattr(request.state, "request_id", current_request_id()))
    try:
        logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        headers = {"Connection": "close"}
        return problem_response(500, "internal_error", "an unexpected error occurred", headers=headers)
    finally:
        unbind_request_id(token)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, handle_app_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(UnicodeEncodeError, handle_unencodable_text)
    app.add_exception_handler(StatementError, handle_unencodable_text)
    app.add_exception_handler(Exception, handle_unexpected)
