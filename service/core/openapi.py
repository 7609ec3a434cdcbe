"""Make /openapi.json tell the truth about errors: every error is ``application/problem+json`` (errors.Problem).

FastAPI documents 422 as ``application/json`` with its own ``HTTPValidationError`` body and no other error at all;
clients generated from the spec (and the schemathesis fuzz test) then reject our real answers. This rewrites the
generated spec once: the 422 entries and the common error statuses point at one ``Problem`` schema.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from service.core.errors import PROBLEM_JSON

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `detail` is zh-CN, then English after ' / '",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "stable machine-readable code"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string", "description": "quote it when reporting an error (also X-Request-ID)"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["type", "title", "status", "code", "detail"],
    "additionalProperties": True,
}
#: Statuses any operation may answer with a problem (authentication, scope, state, limits, outages).
COMMON_ERRORS = {
    "400": "Bad request", "401": "Not authenticated", "403": "Not allowed for this role or organisation",
    "404": "Not found (or not visible to the caller)", "409": "Conflicts with the resource's state",
    "413": "Too large", "415": "Unsupported media type", "422": "Validation error", "429": "Too many requests",
    "503": "A backing service is unavailable; retry after Retry-After seconds",
}


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def document_problems(spec: dict[str, Any]) -> dict[str, Any]:
    spec.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, description in COMMON_ERRORS.items():
                existing = responses.get(status)
                generated = existing and "HTTPValidationError" in str(existing)
                if existing is None or generated:
                    responses[status] = _problem_response(description)
    return spec


def install(app: FastAPI) -> None:
    """Post-process the app's generated spec once, on first request of /openapi.json."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_problems(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
