"""The hostile media corpus through the real upload path and a real worker: every file ends refused with a specific
reason, no worker process dies or hangs past its limits, and nothing reaches the network (a sentinel listener named
in the files, and a sentinel proxy in the worker's environment, both stay silent). Hostile report documents go the
same way through the documents' upload and their worker, each refused with its own code."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from service.db.org import Role
from tests.documents_samples import HONEST_TEXT, PHONE_TEXT, make_report, multipart, pdf_bytes
from tests.load.tus import tus_available, upload_simple
from tests.security.hostile import Sentinel, corpus, documents
from tests.support import (
    LiveAPI,
    decodable_media,
    make_actor,
    make_campaign,
    make_submission,
    wait_until,
    worker_process,
)

pytestmark = [pytest.mark.fuzz, pytest.mark.security]
GENERIC_REASONS = {"internal_error", "transient_error"}
#: Refusals for what a file is (type, size, emptiness), not for who sent it or how.
CONTENT_REFUSALS = {400, 413, 415, 422}
CONTROL = "control: an honest photo"
#: What a dying or strangled worker writes in its log.
WORKER_DEATH = ("WorkerLostError", "exited with signal", "Hard time limit", "MemoryError", "Segmentation fault")


def test_hostile_files_are_refused_without_harm(live_api: LiveAPI, child_env: dict[str, str],
                                                logs_dir: Path) -> None:
    submitter = make_actor(Role.submitter)
    assert tus_available(live_api.url, submitter.token), "the tus upload endpoint does not answer OPTIONS"
    sentinel, proxy = Sentinel().start(), Sentinel().start()
    proxy_env = {name: proxy.url for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                                              "all_proxy")}
    worker = worker_process(child_env | proxy_env | {"NO_PROXY": "", "no_proxy": ""}, logs_dir,
                            name="hostile-worker", concurrency=1).start()
    try:
        submission = str(make_submission(submitter, make_campaign(), title="恶意文件测试"))
        refused_at_upload: dict[str, str] = {}
        assets: dict[str, str] = {}
        items = corpus(sentinel)
        lenient = {item.name for item in items if item.may_be_accepted}
        # The control: an honest photo through the same path must be stored and end ready, or a broken upload
        # endpoint (refusing everything) would pass for a wall that refuses hostile files.
        control = upload_simple(live_api.url, submitter.token, decodable_media("jpeg", seed=3),
                                filename="对照.jpg", submission_id=submission)
        assert control.headers.get("x-asset-id"), f"an honest photo was not stored: {control.status_code}"
        assets[CONTROL] = control.headers["x-asset-id"]
        for item in items:
            response = upload_simple(live_api.url, submitter.token, item.data, filename=item.name,
                                     submission_id=submission)
            assert response.status_code < 500, f"{item.name} ({item.why}): {response.status_code} {response.text}"
            if asset_id := response.headers.get("x-asset-id"):
                assets[item.name] = asset_id
            else:
                assert response.status_code in CONTENT_REFUSALS, (
                    f"{item.name}: neither stored nor refused for its content: {response.status_code} {response.text}")
                refused_at_upload[item.name] = response.json().get("code", "?")
        started = time.monotonic()
        final: dict[str, dict[str, object]] = {}

        def all_final() -> bool:
            with httpx.Client(base_url=live_api.url, headers=submitter.headers, timeout=30) as client:
                for name, asset_id in assets.items():
                    if name not in final:
                        body = client.get(f"/api/v1/assets/{asset_id}").json()
                        if body["status"] in ("ready", "rejected_invalid", "failed"):
                            final[name] = body
            return len(final) == len(assets)

        wait_until(all_final, timeout=420, interval=2, message="every hostile file to reach a final status")
        elapsed = time.monotonic() - started
        assert final[CONTROL]["status"] == "ready", f"the honest control photo ended {final[CONTROL]}"
        wrong = {name: (body["status"], body.get("reason")) for name, body in final.items()
                 if name != CONTROL and not (name in lenient and body["status"] == "ready")
                 and (body["status"] != "rejected_invalid"
                      or (body.get("reason") or {}).get("code") in GENERIC_REASONS)}
        assert not wrong, f"hostile files not refused with a specific reason: {wrong}"
        assert worker.proc is not None
        assert worker.proc.poll() is None, "the worker process died"
        deaths = [marker for marker in WORKER_DEATH if marker in worker.log()]
        assert not deaths, f"worker log shows {deaths}"
        assert sentinel.connections == [], (
            f"a worker connected to the URL inside a file: {sentinel.connections} {sentinel.requests}")
        assert proxy.connections == [], f"a worker used the proxy: {proxy.connections} {proxy.requests}"
        assert elapsed < 420
    finally:
        worker.stop()
        sentinel.stop()
        proxy.stop()


def test_hostile_documents_are_refused_with_their_reason(live_api: LiveAPI, child_env: dict[str, str],
                                                         logs_dir: Path) -> None:
    submitter = make_actor(Role.submitter)
    sentinel, proxy = Sentinel().start(), Sentinel().start()
    proxy_env = {name: proxy.url for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                                              "all_proxy")}
    worker = worker_process(child_env | proxy_env | {"NO_PROXY": "", "no_proxy": ""}, logs_dir,
                            name="hostile-documents-worker", concurrency=1).start()
    try:
        report_id = make_report(submitter, make_campaign(), title="恶意文档测试")
        items = documents(sentinel)
        expected = {item.name: item.code for item in items}
        uploaded: dict[str, str] = {}
        codes: dict[str, str] = {}
        with httpx.Client(base_url=live_api.url, headers=submitter.headers, timeout=120) as client:
            def send(name: str, data: bytes) -> httpx.Response:
                body, headers = multipart(name, data)
                return client.post(f"/api/v1/reports/{report_id}/documents", content=body, headers=headers)

            # the control: an honest PDF through the same path ends ready (a wall refusing everything would pass too)
            control = send("对照.pdf", pdf_bytes([HONEST_TEXT, PHONE_TEXT]))
            assert control.status_code == 202, control.text
            uploaded[CONTROL] = control.json()["id"]
            for item in items:
                response = send(item.name, item.data)
                assert response.status_code < 500, f"{item.name} ({item.why}): {response.status_code} {response.text}"
                if response.status_code == 202:
                    uploaded[item.name] = response.json()["id"]
                else:
                    assert response.status_code in CONTENT_REFUSALS, f"{item.name}: {response.text}"
                    codes[item.name] = response.json()["code"]
            final: dict[str, dict[str, object]] = {}

            def all_final() -> bool:
                for name, document_id in uploaded.items():
                    if name not in final:
                        body = client.get(f"/api/v1/documents/{document_id}").json()
                        if body["status"] in ("ready", "rejected"):
                            final[name] = body
                return len(final) == len(uploaded)

            wait_until(all_final, timeout=300, interval=1, message="every hostile document to be inspected")
        assert final[CONTROL]["status"] == "ready", final[CONTROL]
        for name, body in final.items():
            if name != CONTROL:
                reject = body["reject"] or {}
                codes[name] = reject.get("code", f"({body['status']})")  # type: ignore[union-attr]
        assert codes == expected, {name: (codes.get(name), code) for name, code in expected.items()
                                   if codes.get(name) != code}
        assert worker.proc is not None
        assert worker.proc.poll() is None, "the worker process died"
        deaths = [marker for marker in WORKER_DEATH if marker in worker.log()]
        assert not deaths, f"worker log shows {deaths}"
        assert sentinel.connections == [], f"something fetched an external entity: {sentinel.requests}"
        assert proxy.connections == [], f"a worker used the proxy: {proxy.requests}"
    finally:
        worker.stop()
        sentinel.stop()
        proxy.stop()
