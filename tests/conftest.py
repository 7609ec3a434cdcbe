"""Real servers for the whole test session: PostgreSQL, Redis and S3 from wheels, started once per test process.

Each pytest-xdist worker gets its own set under its own temporary folder. Tests isolate themselves by creating
their own organisations, users and campaigns (unique names), not by truncating tables.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from service.core.config import get_settings
from service.core.embedded import EmbeddedServers
from tests.support import ChildProcess, LiveAPI, worker_process


def _reset_caches() -> None:
    from service.cli.context import use_data_dir

    use_data_dir(None)


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServers]:
    # Not under pytest's basetemp: pytest prunes old basetemp folders, and another pytest run on the same machine would
    # delete this session's live database underneath it.
    root = Path(os.environ.get("MEDIADESK_TEST_TMP") or tempfile.mkdtemp(prefix="mediadesk-test-")) / "servers"
    stack = EmbeddedServers(root)
    stack.start()
    os.environ.update(stack.environment())
    os.environ["MEDIADESK_ENV"] = "test"
    os.environ["MEDIADESK_DATA_DIR"] = str(root)
    _reset_caches()
    from service.core.storage import get_storage
    from service.db.migrate import upgrade

    upgrade(stack.postgres.url)
    get_storage().ensure_bucket()
    try:
        yield stack
    finally:
        from service.core.db import reset_engines

        reset_engines()
        stack.stop()
        if "MEDIADESK_TEST_TMP" not in os.environ:
            shutil.rmtree(root.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def child_env(servers: EmbeddedServers) -> dict[str, str]:
    """Environment for API and worker processes started by tests."""
    root = Path(__file__).resolve().parent.parent
    return {**os.environ, **servers.environment(), "MEDIADESK_ENV": "test", "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(root), "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}


@pytest.fixture(scope="session")
def logs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture
def client(servers: EmbeddedServers) -> Iterator[TestClient]:
    """The app in-process (same code, real servers behind it)."""
    from service.app import create_app

    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_api(child_env: dict[str, str], logs_dir: Path) -> Iterator[LiveAPI]:
    """A real uvicorn process on a loopback port, shared by the session."""
    api = LiveAPI(child_env, logs_dir).start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def http(live_api: LiveAPI) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_api.url, timeout=30) as c:
        yield c


@pytest.fixture(scope="session")
def worker(child_env: dict[str, str], logs_dir: Path) -> Iterator[ChildProcess]:
    """One real Celery worker process consuming every queue, shared by the session."""
    proc = worker_process(child_env, logs_dir, name="session-worker", concurrency=2).start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def settings(servers: EmbeddedServers):  # type: ignore[no-untyped-def]
    return get_settings()
