"""The busiest evening, compressed: uploaders, editors paging and deciding, outlets downloading, backlog sampled.

Everything runs on one asyncio loop in this process; each actor keeps going until the deadline, then finishes the
file in hand (uploads are bounded by their own deadline).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.load.audit import PortalDownload
from tests.load.contract import Contract
from tests.load.media import Sample, unique_copy
from tests.load.metrics import CONNECTION_ERROR, BacklogPoint, Recorder
from tests.load.stack import World
from tests.load.tus import Acknowledged, TusUploader, UploadFailed, retry_after_seconds

TERMINAL = {"ready", "rejected_invalid", "failed"}
QUEUES = ("ingest", "media", "ml", "default")
S3_DOWNLOAD = "S3: GET presigned URL (not the API)"


@dataclass
class LoadConfig:
    duration: float = 60.0
    uploaders: int = 200
    editors: int = 3
    outlets: int = 2
    video_share: float = 0.15
    disconnect_probability: float = 0.2
    backlog_every: float = 5.0
    drain_timeout: float = 600.0
    rate_kib: float = 0.0  # per-uploader bandwidth (KiB/s); 0 = unlimited
    think: float = 0.0  # mean pause between one uploader's files (s)
    max_files: int = 0  # stop starting new uploads after this many (0 = unlimited): keeps the drain bounded
    seed: int = 20230514


@dataclass
class LoadResult:
    acknowledged: list[Acknowledged] = field(default_factory=list)
    refused: list[tuple[str, int, str]] = field(default_factory=list)  # (filename, status, detail)
    bytes_uploaded: int = 0
    downloads_verified: int = 0
    downloads_corrupt: int = 0
    portal_downloads: int = 0  # originals fetched by outlets through the portal (captions written in)
    portal_received: list[PortalDownload] = field(default_factory=list)  # hashed as received; the audit compares
    attempted: dict[str, str] = field(default_factory=dict)  # sha256 → file name of every upload started
    refused_sha256: dict[str, str] = field(default_factory=dict)  # sha256 → file name refused for good
    featured: list[str] = field(default_factory=list)
    collections: int = 0
    started: int = 0
    in_flight: int = 0
    max_in_flight: int = 0  # the most uploads in progress at the same moment
    decisions: int = 0
    load_seconds: float = 0.0
    drain_seconds: float = 0.0
    drained: bool = False


@dataclass
class Deadline:
    """When the actors stop; fault rounds push it back so that the load runs until the last fault recovered."""

    at: float

    def passed(self) -> bool:
        return time.monotonic() >= self.at

    def extend_to(self, at: float) -> None:
        self.at = max(self.at, at)

    async def sleep(self, seconds: float) -> None:
        """Pause up to ``seconds``, waking at the deadline (a long think time must not hold the run open)."""
        while seconds > 0 and not self.passed():
            step = min(seconds, max(0.0, self.at - time.monotonic()), 5.0)
            await asyncio.sleep(step)
            seconds -= step


class Api:
    """A tiny request helper for the non-upload actors: failover between replicas, 503 back-off, recording."""

    def __init__(self, bases: list[str], recorder: Recorder, rng: random.Random) -> None:
        self.bases, self.recorder, self.rng = bases, recorder, rng

    async def call(self, client: httpx.AsyncClient, method: str, path: str, endpoint: str, token: str,
                   **kwargs: Any) -> httpx.Response | None:
        base = self.rng.choice(self.bases)
        start = time.perf_counter()
        try:
            response = await client.request(method, base + path, headers={"Authorization": f"Bearer {token}"},
                                            **kwargs)
        except httpx.TransportError:
            self.recorder.record(endpoint, CONNECTION_ERROR, (time.perf_counter() - start) * 1000)
            await asyncio.sleep(0.5)
            return None
        self.recorder.record(endpoint, response.status_code, (time.perf_counter() - start) * 1000,
                             "retry-after" in response.headers)
        if response.status_code in (429, 503):
            await asyncio.sleep(retry_after_seconds(response))
            return None
        return response


async def uploader(index: int, tus: TusUploader, world: World, pool: list[Sample], cfg: LoadConfig,
                   result: LoadResult, deadline: Deadline) -> None:
    rng = random.Random(cfg.seed + index)
    actor, submission_id = world.submitters[index % len(world.submitters)]
    videos = [s for s in pool if s.kind == "video"]
    photos = [s for s in pool if s.kind == "image"]
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=2)
    async with httpx.AsyncClient(timeout=httpx.Timeout(60, connect=10), limits=limits) as client:
        while not deadline.passed():
            if cfg.max_files and result.started >= cfg.max_files:
                return
            result.started += 1
            sample = rng.choice(videos if videos and rng.random() < cfg.video_share else photos)
            data = unique_copy(sample, f"load-{index}-{rng.getrandbits(64):016x}")
            name = f"u{index:03d}-{rng.getrandbits(32):08x}-{sample.name}"
            result.in_flight += 1
            result.max_in_flight = max(result.max_in_flight, result.in_flight)
            sha = hashlib.sha256(data).hexdigest()
            result.attempted[sha] = name
            try:
                ack = await tus.upload(client, data, filename=name, kind=sample.kind, submission_id=str(submission_id))
            except UploadFailed as exc:
                result.refused.append((name, exc.status, exc.detail))
                if exc.status:  # a refusal (a deadline given up on may still have completed on the server)
                    result.refused_sha256[sha] = name
                continue
            finally:
                result.in_flight -= 1
            result.acknowledged.append(ack)
            result.bytes_uploaded += ack.size
            if cfg.think:
                await deadline.sleep(rng.uniform(0, 2 * cfg.think))


async def editor(index: int, api: Api, world: World, contract: Contract, result: LoadResult,
                 deadline: Deadline) -> None:
    rng = random.Random(index)
    token = world.editors[index % len(world.editors)].token
    async with httpx.AsyncClient(timeout=30) as client:
        while not deadline.passed():
            offset = rng.choice((0, 0, 0, 20, 40))
            if contract.review_queue:
                page = await api.call(client, "GET", contract.review_queue, f"GET {contract.review_queue}", token,
                                      params={"limit": 20, "offset": offset})
            else:
                page = await api.call(client, "GET", "/api/v1/assets", "GET /api/v1/assets", token,
                                      params={"status": "ready", "campaign_id": str(world.campaign_id),
                                              "limit": 20, "offset": offset})
            items = _items(page)
            if not items:
                await asyncio.sleep(2)
                continue
            asset_id = str(rng.choice(items).get("id") or rng.choice(items).get("asset_id"))
            await api.call(client, "GET", f"/api/v1/assets/{asset_id}", "GET /api/v1/assets/{id}", token)
            if contract.review_claim:
                path = _fill(contract.review_claim, asset_id)
                await api.call(client, "POST", path, f"POST {contract.review_claim}", token)
            if contract.review_decision:
                path = _fill(contract.review_decision, asset_id)
                decision = rng.choice(("approve", "approve", "feature", "reject"))
                body: dict[str, Any] = {"decision": decision, "action": decision}
                if decision == "reject":
                    body |= {"reason": "low_quality", "reason_code": "low_quality", "note": "负载测试 / load test"}
                response = await api.call(client, "POST", path, f"POST {contract.review_decision}", token, json=body)
                if response is not None and response.status_code < 300:
                    result.decisions += 1
                    if decision == "feature":
                        result.featured.append(asset_id)
            await asyncio.sleep(rng.uniform(0.5, 1.5))  # an editor looks at the picture


async def curator(api: Api, world: World, contract: Contract, result: LoadResult, deadline: Deadline) -> None:
    """An editor who releases the newly featured assets to every outlet as a collection, every 15 s."""
    released = 0
    async with httpx.AsyncClient(timeout=30) as client:
        while not deadline.passed() and contract.collections:
            await asyncio.sleep(15)
            batch = list(dict.fromkeys(result.featured[released:]))[:200]
            if not batch:
                continue
            released_at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()  # without it: a draft
            body = {"title": f"负载测试专题 {result.collections + 1}", "audience": "all", "asset_ids": batch,
                    "release_at": released_at}
            response = await api.call(client, "POST", contract.collections, f"POST {contract.collections}",
                                      world.editors[0].token, json=body)
            if response is not None and response.status_code < 300:
                released += len(result.featured[released:])
                result.collections += 1


async def outlet(index: int, api: Api, world: World, contract: Contract, result: LoadResult,
                 deadline: Deadline) -> None:
    rng = random.Random(1000 + index)
    portal = bool(contract.portal_download and contract.portal_assets and contract.collections)
    token = world.outlets[index % len(world.outlets)].token if portal else world.admin.token
    async with httpx.AsyncClient(timeout=60) as client:
        while not deadline.passed():
            if portal and contract.portal_assets:
                listing = await api.call(client, "GET", contract.portal_assets, f"GET {contract.portal_assets}", token,
                                         params={"limit": 50})
                items = _items(listing)
            else:
                listing = await api.call(client, "GET", "/api/v1/assets", "GET /api/v1/assets", world.admin.token,
                                         params={"status": "ready", "campaign_id": str(world.campaign_id),
                                                 "limit": 50})
                items = [i for i in _items(listing) if i.get("sha256")]
            if not items:
                await asyncio.sleep(2)
                continue
            item = rng.choice(items)
            if portal and contract.portal_download:
                path, label = _fill(contract.portal_download, str(item["id"]), "original"), contract.portal_download
            else:
                path, label = f"/api/v1/assets/{item['id']}/original", "/api/v1/assets/{id}/original"
            redirect = await api.call(client, "GET", path, f"GET {label}", token)
            if redirect is None:
                continue
            if redirect.status_code in (302, 303, 307):
                start = time.perf_counter()
                try:
                    body = await client.get(redirect.headers["location"])
                    status = body.status_code
                except httpx.TransportError:
                    body, status = None, CONNECTION_ERROR
                api.recorder.record(S3_DOWNLOAD, status, (time.perf_counter() - start) * 1000)
            else:
                body = redirect
            if body is not None and body.status_code == 200 and portal:
                result.portal_downloads += 1
                result.portal_received.append(PortalDownload(
                    str(item["id"]), "original", hashlib.sha256(body.content).hexdigest(),
                    zlib.crc32(body.content), len(body.content)))
            elif body is not None and body.status_code == 200:
                if hashlib.sha256(body.content).hexdigest() == item["sha256"]:
                    result.downloads_verified += 1
                else:
                    result.downloads_corrupt += 1
            await asyncio.sleep(rng.uniform(0.2, 1.0))


def _items(response: httpx.Response | None) -> list[dict[str, Any]]:
    if response is None or response.status_code != 200:
        return []
    body = response.json()
    items = body.get("items", body) if isinstance(body, dict) else body
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _fill(path: str, asset_id: str, rendition: str = "original") -> str:
    import re

    path = re.sub(r"\{[a-z_]*id\}", asset_id, path, count=1)
    return re.sub(r"\{[a-z_]+\}", rendition, path)


def sample_backlog(campaign_id: str) -> BacklogPoint | None:
    """Assets by status for the load's campaign and the broker's queue lengths; None while a server is down."""
    import redis
    from sqlalchemy import text

    from service.core.config import get_settings
    from service.core.db import get_engine

    try:
        with get_engine().connect() as conn:
            rows = conn.execute(text("SELECT status::text, count(*) FROM asset WHERE campaign_id = :c GROUP BY 1"),
                                {"c": campaign_id}).all()
        client = redis.Redis.from_url(get_settings().redis_url or "", socket_timeout=2, socket_connect_timeout=2)
        try:
            queues = {q: int(client.llen(q)) for q in QUEUES}  # type: ignore[arg-type]
        finally:
            client.close()
    except Exception:  # a server is down during a fault round: a gap in the plot, not a crash
        return None
    return BacklogPoint(0.0, {status: int(n) for status, n in rows}, queues)


async def sampler(recorder: Recorder, campaign_id: str, every: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        point = await asyncio.to_thread(sample_backlog, campaign_id)
        if point is not None:
            recorder.backlog.append(BacklogPoint(recorder.now(), point.by_status, point.queues))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


def pending_count(point: BacklogPoint | None) -> int | None:
    if point is None:
        return None
    return sum(n for status, n in point.by_status.items() if status not in TERMINAL)


async def run_load(urls: list[str], world: World, pool: list[Sample], contract: Contract, cfg: LoadConfig,
                   recorder: Recorder, deadline: Deadline, extra: list[Any] | None = None) -> LoadResult:
    """Run every actor until ``deadline`` (plus ``extra`` coroutines, e.g. fault rounds), then drain."""
    result = LoadResult()
    stop_sampling = asyncio.Event()
    sampling = asyncio.create_task(sampler(recorder, str(world.campaign_id), cfg.backlog_every, stop_sampling))
    api = Api(urls, recorder, random.Random(cfg.seed))
    actors: list[Any] = []
    if contract.tus:
        for i in range(cfg.uploaders):
            tus = TusUploader(urls, world.submitters[i % len(world.submitters)][0].token, recorder,
                              random.Random(cfg.seed * 7 + i), cfg.disconnect_probability,
                              creation_with_upload="creation-with-upload" in contract.tus_extensions,
                              rate_bytes_per_second=cfg.rate_kib * 1024)
            tus._base_index = i  # spread uploaders over the replicas
            actors.append(uploader(i, tus, world, pool, cfg, result, deadline))
    actors += [editor(i, api, world, contract, result, deadline) for i in range(cfg.editors)]
    actors += [outlet(i, api, world, contract, result, deadline) for i in range(cfg.outlets)]
    if contract.collections and cfg.editors:
        actors.append(curator(api, world, contract, result, deadline))
    recorder.event(f"load started: {cfg.uploaders} uploaders, {cfg.editors} editors, {cfg.outlets} outlets")
    started = time.monotonic()
    await asyncio.gather(*actors, *(extra or []))
    result.load_seconds = time.monotonic() - started
    recorder.event("load stopped; draining the pipeline")
    drain_start = time.monotonic()
    while time.monotonic() - drain_start < cfg.drain_timeout:
        pending = pending_count(await asyncio.to_thread(sample_backlog, str(world.campaign_id)))
        if pending == 0:
            result.drained = True
            break
        await asyncio.sleep(2)
    result.drain_seconds = time.monotonic() - drain_start
    recorder.event(f"drain {'finished' if result.drained else 'timed out'} after {result.drain_seconds:.0f}s")
    stop_sampling.set()
    await sampling
    return result
