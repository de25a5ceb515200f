"""Swagger UI and ReDoc served from local assets: the docs work with no internet."""

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
# The docs pages may load nothing from anywhere but this server: ReDoc's bundle, for one, shows a
# logo from its CDN (the browser now refuses it and ReDoc leaves it out). Swagger UI starts from an
# inline script; ReDoc runs its search in a blob: worker.
DOCS_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
    )
)


# Swagger UI explains OAuth2 scopes for any OAuth2 scheme, even one with none (Atrium has none).
NO_SCOPES_CSS = "<style>.auth-container .scope-def { display: none; }</style>"


def _without_scope_text(page: HTMLResponse) -> HTMLResponse:
    html = bytes(page.body).decode().replace("</head>", f"{NO_SCOPES_CSS}</head>", 1)
    return HTMLResponse(html)


def _offline(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_CSP
    return page


def install_docs(app: FastAPI) -> None:
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    redirect_url = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return _offline(
            _without_scope_text(
                get_swagger_ui_html(
                    openapi_url="/openapi.json",
                    title=f"{app.title} - Swagger UI",
                    oauth2_redirect_url=redirect_url,
                    swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
                    swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
                    swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
                    swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
                )
            )
        )

    @app.get(redirect_url, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return _offline(get_swagger_ui_oauth2_redirect_html())

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _offline(
            get_redoc_html(
                openapi_url="/openapi.json",
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
                with_google_fonts=False,
            )
        )
