"""create_app(): the FastAPI application (API, tus uploads, web pages)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from service.assets.endpoints import router as assets_router
from service.core import errors
from service.ingest.endpoints import router as submissions_router
from service.ops.health import router as health_router
from service.portal.curation_endpoints import router as curation_router
from service.portal.curation_pages import router as curation_pages_router
from service.portal.endpoints import router as portal_router
from service.portal.pages import router as portal_pages_router
from service.reports.endpoints import router as reports_router
from service.web import deps as web_deps
from service.web.auth import router as web_auth_router
from service.web.middleware import WebSessionMiddleware
from service.web.templating import HERE as WEB_DIR


def create_app() -> FastAPI:
    app = FastAPI(
        title="mediadesk",
        version="0.1.0",
        description=(
            "职业教育活动周 媒体素材管理与审核 / media asset management for the Vocational Education Activity Week"
        ),
    )
    errors.install(app)
    web_deps.install(app)
    app.add_middleware(WebSessionMiddleware)
    app.include_router(health_router)
    app.include_router(submissions_router)
    app.include_router(assets_router)
    app.include_router(curation_router)
    app.include_router(portal_router)
    app.include_router(reports_router)
    app.include_router(portal_pages_router)
    app.include_router(curation_pages_router)
    app.include_router(web_auth_router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    return app
