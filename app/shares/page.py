"""The page a person opens: GET /s/{token}, server-rendered (Jinja2), no external assets, no inline
script, a strict Content-Security-Policy. The password form sets a short-lived HttpOnly,
SameSite=Strict cookie scoped to this link's page and API paths."""

import math
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.auth.dependencies import ClientAddress, SettingsDep
from app.db import SessionDep
from app.errors import AppError
from app.pagination import MAX_PAGE, PageParams
from app.problems import Responses, problems
from app.shares import links
from app.shares.dependencies import UNLOCK_COOKIE, ShareToken, unlock_token_of
from app.shares.schemas import UnlockRequest

router = APIRouter(tags=["shared"])

HERE = Path(__file__).parent
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True), auto_reload=False
)
ASSETS = {
    "share.css": ("text/css; charset=utf-8", (HERE / "static" / "share.css").read_bytes()),
    "share.js": ("text/javascript; charset=utf-8", (HERE / "static" / "share.js").read_bytes()),
    "placeholders.js": ("text/javascript; charset=utf-8", (HERE / "static" / "placeholders.js").read_bytes()),
    "thumbhash.js": ("text/javascript; charset=utf-8", (HERE / "static" / "thumbhash.js").read_bytes()),
    "icon.svg": ("image/svg+xml", (HERE / "static" / "icon.svg").read_bytes()),
}
PER_PAGE = 60
CSP = (
    "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "private, no-store",
}


HTML = {"type": "string"}


def html_or_problems(*codes: str) -> Responses:
    """A page's refusals: an HTML page for browsers, the problem+json for clients asking for JSON."""
    documented = problems(*codes)
    for response in documented.values():
        response["content"]["text/html"] = {"schema": HTML}
    return {200: {"content": {"text/html": {"schema": HTML}}, "description": "the page"}, **documented}


PAGE_CODES = ("share_locked", "share_not_found", "share_expired")
GONE = {
    "share_not_found": ("Link not found", "This link does not exist or was revoked by its owner."),
    "share_expired": ("Link expired", "This link has expired. Ask its owner for a new one."),
}


def render(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = TEMPLATES.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept or "*/*" in accept or not accept


def page_of_refusal(request: Request, exc: AppError, token: str) -> HTMLResponse:
    """The page for a refused link; a client that does not take HTML gets the problem itself."""
    if not wants_html(request):
        raise exc
    if exc.code == "share_locked":
        return render("locked.html", 401, token=token, error=None)
    heading, message = GONE.get(exc.code, ("Not available", exc.detail))
    return render("gone.html", exc.status, heading=heading, message=message)


@router.get("/s/{token}", response_class=HTMLResponse, responses=html_or_problems(*PAGE_CODES))
async def share_page(
    request: Request,
    token: ShareToken,
    session: SessionDep,
    settings: SettingsDep,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    """The share link's page: a thumbnail grid and viewer, or its password form, or why it is gone."""
    try:
        link = await links.open_link(session, settings=settings, token=token, unlock=unlock_token_of(request))
        shown = await links.listing(
            session,
            link=link,
            page=PageParams(page=page, per_page=PER_PAGE, order="asc"),
            count_view=page == 1,
        )
    except AppError as exc:
        return page_of_refusal(request, exc, token)
    zip_allowed = shown.share.allow_download and shown.share.downloads_left != 0 and shown.items.total > 0
    return render(
        "share.html",
        token=token,
        share=shown.share,
        target=shown.target,
        items=shown.items,
        pages=max(1, math.ceil(shown.items.total / PER_PAGE)),
        zip_allowed=zip_allowed,
    )


@router.post(
    "/s/{token}/unlock",
    response_class=HTMLResponse,
    responses={
        **html_or_problems("share_not_found", "share_expired", "share_password_invalid", "rate_limited"),
        303: {"description": "unlocked: back to the page, with the cookie"},
    },
)
async def unlock_share_page(
    request: Request,
    token: ShareToken,
    form: Annotated[UnlockRequest, Form()],
    session: SessionDep,
    settings: SettingsDep,
    client: ClientAddress,
) -> Response:
    """The password form: on success a cookie for this link and back to its page."""
    try:
        unlocked = await links.unlock(
            session, settings=settings, token=token, password=form.password, client=client
        )
    except AppError as exc:
        if not wants_html(request):
            raise
        if exc.code in ("share_password_invalid", "rate_limited"):
            error = (
                "Wrong password." if exc.code == "share_password_invalid" else "Too many attempts; try later."
            )
            return render("locked.html", exc.status, token=token, error=error)
        return page_of_refusal(request, exc, token)
    response = RedirectResponse(f"/s/{token}", status_code=303, headers=PAGE_HEADERS)
    secure = request.url.scheme == "https"
    for path in (f"/s/{token}", f"/api/s/{token}"):
        response.set_cookie(
            UNLOCK_COOKIE,
            unlocked.access_token,
            max_age=unlocked.expires_in,
            path=path,
            httponly=True,
            samesite="strict",
            secure=secure,
        )
    return response


@router.get("/s-assets/{name}", include_in_schema=False)
async def share_asset(name: str) -> Response:
    found = ASSETS.get(name)
    if found is None:
        return Response(status_code=404)
    media_type, body = found
    headers = {"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return Response(body, media_type=media_type, headers=headers)
