"""One error shape for the whole API: RFC 9457 problem+json with a stable ``code``.

``detail`` is zh-CN first, then English after " / ", and never carries secrets or stack traces.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """An error the client can act on."""

    def __init__(
        self,
        status: int,
        code: str,
        zh: str,
        en: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{code}: {en}")
        self.status = status
        self.code = code
        self.detail = f"{zh} / {en}"
        self.headers = headers or {}
        self.extra = extra or {}

    def response(self, instance: str | None = None, request_id: str | None = None) -> JSONResponse:
        body: dict[str, Any] = {
            "type": f"https://mediadesk.invalid/problems/{self.code}",
            "title": self.code.replace("_", " "),
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
            **self.extra,
        }
        if instance:
            body["instance"] = instance
        if request_id:
            body["request_id"] = request_id  # the X-Request-ID header is added by the observability middleware
        return JSONResponse(body, status_code=self.status, headers=self.headers, media_type=PROBLEM_JSON)


def unauthorized() -> Problem:
    return Problem(
        401,
        "unauthorized",
        "未登录或令牌无效",
        "missing or invalid credentials",
        headers={"WWW-Authenticate": "Bearer"},
    )


def forbidden(zh: str = "无权访问该资源", en: str = "not allowed for your role or organisation") -> Problem:
    return Problem(403, "forbidden", zh, en)


def not_found(what: str = "resource") -> Problem:
    return Problem(404, "not_found", "未找到该资源或无权访问", f"{what} not found")


def unavailable(service: str) -> Problem:
    return Problem(
        503,
        "service_unavailable",
        "服务暂时不可用，请稍后重试",
        f"{service} is temporarily unavailable; retry later",
        headers={"Retry-After": "5"},
    )


def internal_error() -> Problem:
    return Problem(500, "internal_error", "服务器内部错误，请带上请求编号联系管理员",
                   "internal error; quote the request id when you report it")


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def respond(request: Request, problem: Problem) -> JSONResponse:
    """``problem`` as the response to ``request``, carrying the request id the logs use (set by observability)."""
    return problem.response(request.url.path, getattr(request.state, "request_id", None))


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return respond(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in exc.errors()
        ]
        problem = Problem(
            422, "validation_error", "请求内容不符合要求", "request validation failed", extra={"errors": errors}
        )
        return respond(request, problem)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        problem = Problem(exc.status_code, code, "请求无法处理", str(exc.detail), headers=dict(exc.headers or {}))
        return respond(request, problem)

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc.__class__.__name__)
        return respond(request, unavailable("database"))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The catch-all: a bug answers problem+json with the request id to quote, never a text/plain traceback.
        log.exception("unhandled error in %s %s", request.method, request.url.path)
        response = respond(request, internal_error())
        request_id = getattr(request.state, "request_id", None)
        if request_id:  # sent from outside the middleware that adds the header to every other response
            response.headers["X-Request-ID"] = request_id
        return response
