"""create_app(): the FastAPI application (API, tus uploads, web pages)."""

from __future__ import annotations

from fastapi import FastAPI

from service.assets.clusters import router as clusters_router
from service.assets.endpoints import router as assets_router
from service.core import errors
from service.ingest.endpoints import router as submissions_router
from service.ops.health import router as health_router


def create_app() -> FastAPI:
    app = FastAPI(
        title="mediadesk",
        version="0.1.0",
        description="职业教育活动周 媒体素材管理与审核 / media asset management for the Vocational Education Activity Week",
    )
    errors.install(app)
    app.include_router(health_router)
    app.include_router(submissions_router)
    app.include_router(assets_router)
    app.include_router(clusters_router)
    return app
