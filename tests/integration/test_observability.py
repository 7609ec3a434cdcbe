"""What an operator sees: /metrics series, X-Request-ID in and out, JSON logs carrying the request id."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.core.queues import Queue
from service.db.org import Role
from service.ops import metrics
from tests.support import (
    LiveAPI,
    make_actor,
    make_asset,
    make_campaign,
    make_submission,
    media_bytes,
    tus_metadata,
    wait_until,
)


def scrape(client: TestClient | httpx.Client) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """``{sample name: {sorted labels: value}}`` from a /metrics response."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict[str, dict[tuple[tuple[str, str], ...], float]], name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for key, v in samples.get(name, {}).items() if wanted <= set(key))


def test_metrics_hold_request_upload_queue_and_asset_series(client: TestClient) -> None:
    actor = make_actor(Role.submitter)
    campaign = make_campaign()
    make_asset(actor, campaign, b"\xff\xd8\xff not really", "a.jpg", queue=False)
    before = scrape(client)
    asset_route = "/api/v1/assets/{asset_id}"

    for _ in range(3):
        assert client.get(f"/api/v1/assets/{uuid.uuid4()}", headers=actor.headers).status_code == 404
    assert client.get("/no/such/page").status_code == 404
    # A real tus upload through the API feeds the upload counters.
    tus = {**actor.headers, "Tus-Resumable": "1.0.0"}
    meta = tus_metadata(submission_id=str(make_submission(actor, campaign)), filename="m.jpg")
    created = client.post("/api/v1/uploads", headers={**tus, "Upload-Length": "1234", "Upload-Metadata": meta})
    assert created.status_code == 201, created.text
    patched = client.patch(created.headers["location"], content=media_bytes(1234, seed=7),
                           headers={**tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    assert patched.status_code == 204, patched.text
    assert patched.headers["x-asset-id"]
    with metrics.upload_in_flight():
        during = scrape(client)
    after = scrape(client)

    # Latency histogram and status counter by route template: ids never become labels.
    count = "mediadesk_http_request_duration_seconds_count"
    get_asset = {"route": asset_route, "method": "GET"}
    assert value(after, count, **get_asset) - value(before, count, **get_asset) == 3
    requests = "mediadesk_http_requests_total"
    not_found = {"route": asset_route, "status": "404"}
    assert value(after, requests, **not_found) - value(before, requests, **not_found) == 3
    assert value(after, requests, route="unmatched", status="404") >= 1
    assert not [key for key in after[requests] if any(v.count("-") == 4 for _, v in key)], "an id leaked into labels"
    # Upload counters the tus code feeds.
    received = "mediadesk_upload_bytes_received_total"
    assert value(after, received) - value(before, received) == 1234
    assert value(during, "mediadesk_uploads_in_flight") == value(before, "mediadesk_uploads_in_flight") + 1
    assert value(after, "mediadesk_uploads_in_flight") == value(before, "mediadesk_uploads_in_flight")
    assert value(after, "mediadesk_uploads_total", outcome="completed") >= 1
    # State read from Redis and PostgreSQL.
    assert {dict(key)["queue"] for key in after["mediadesk_queue_depth"]} == {q.value for q in Queue}
    assert value(after, "mediadesk_assets", status="stored") >= 1
    assert value(after, "mediadesk_state_scrape_errors") == 0


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "req-42.a"}).headers["x-request-id"] == "req-42.a"
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    unsafe = client.get("/healthz", headers={"X-Request-ID": "a b\"<script>"}).headers["x-request-id"]
    assert unsafe != "a b\"<script>"
    assert len(unsafe) == 32


def test_api_writes_json_logs_with_request_id(child_env: dict[str, str], logs_dir: Path) -> None:
    actor = make_actor(Role.submitter)
    api = LiveAPI({**child_env, "MEDIADESK_LOG_FORMAT": "json"}, logs_dir / "json-logs").start()
    try:
        with httpx.Client(base_url=api.url, timeout=30) as http:
            request_id = f"trace-{uuid.uuid4().hex[:8]}"
            missing = uuid.uuid4()
            response = http.get(f"/api/v1/assets/{missing}", headers={**actor.headers, "X-Request-ID": request_id})
            assert response.status_code == 404
            assert response.headers["x-request-id"] == request_id

        def logged() -> dict[str, object] | None:
            for line in api.log().splitlines():
                if line.startswith("{") and request_id in line:
                    return json.loads(line)  # type: ignore[no-any-return]
            return None

        entry = wait_until(logged, 30, 0.2, "a JSON log line with the request id")
        assert entry["request_id"] == request_id
        assert entry["route"] == "/api/v1/assets/{asset_id}"
        assert entry["status"] == 404
        assert entry["level"] == "INFO"
    finally:
        api.stop()


class FakeCollector(ThreadingHTTPServer):
    """FAKE OpenTelemetry collector (none runs here): records the OTLP/HTTP requests it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes]] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                collector.received.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def test_traces_go_to_the_otlp_endpoint_when_configured(child_env: dict[str, str], logs_dir: Path) -> None:
    collector = FakeCollector()
    endpoint = f"http://127.0.0.1:{collector.server_address[1]}"
    env = {**child_env, "MEDIADESK_OTEL_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"}
    api = LiveAPI(env, logs_dir / "otel").start()
    try:
        request_id = f"otel-{uuid.uuid4().hex[:8]}"
        with httpx.Client(base_url=api.url, timeout=30) as http:
            assert http.get("/healthz", headers={"X-Request-ID": request_id}).status_code == 200

        def exported() -> bool:
            return any(path == "/v1/traces" and request_id.encode() in body for path, body in collector.received)

        wait_until(exported, 30, 0.2, "a span carrying the request id at the collector")
        assert any(b"mediadesk-api" in body for _, body in collector.received)
    finally:
        api.stop()
        collector.shutdown()
