"""docs/LOAD.md and docs/RELIABILITY.md from a run: tables, the backlog plot (hand-written SVG), the audit."""

from __future__ import annotations

import contextlib
import math
import os
import platform
from pathlib import Path

from tests.load.audit import Audit
from tests.load.chaos import FaultOutcome
from tests.load.contract import Contract
from tests.load.metrics import Recorder
from tests.load.scenario import TERMINAL, LoadConfig, LoadResult


def machine() -> str:
    model = ""
    with contextlib.suppress(OSError, StopIteration):
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({model or platform.processor()}), {mem:.0f} GiB RAM, {platform.platform()}"


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.0f}"


def endpoint_table(recorder: Recorder, since: float = 0.0, until: float = math.inf) -> list[str]:
    lines = ["| endpoint | requests | ok | 4xx | 503 (no Retry-After) | other 5xx | conn. errors | error rate | "
             "p50 ms | p95 ms | p99 ms |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for s in recorder.stats(since, until):
        lines.append(f"| `{s.endpoint}` | {s.count} | {s.ok} | {s.errors_4xx} | {s.unavailable_503} "
                     f"({s.unavailable_without_retry_after}) | {s.server_errors_500} | {s.connection_errors} | "
                     f"{s.error_rate:.2%} | {_ms(s.p50)} | {_ms(s.p95)} | {_ms(s.p99)} |")
    return lines


def backlog_svg(recorder: Recorder, path: Path, title: str) -> None:
    """Non-final assets and each queue's length over time, fault events as vertical lines."""
    width, height, left, bottom, top, right = 900, 360, 60, 40, 30, 150
    points = recorder.backlog
    t_max = max([p.at for p in points] + [e[0] for e in recorder.events] + [1.0])
    series: dict[str, list[tuple[float, int]]] = {"pending assets": [], "ready (total)": []}
    for p in points:
        series["pending assets"].append((p.at, sum(n for st, n in p.by_status.items() if st not in TERMINAL)))
        series["ready (total)"].append((p.at, p.by_status.get("ready", 0)))
        for queue, n in p.queues.items():
            series.setdefault(f"queue {queue}", []).append((p.at, n))
    y_max = max([v for s in series.values() for _, v in s] + [1])
    colours = ["#c0392b", "#27ae60", "#2980b9", "#8e44ad", "#d35400", "#7f8c8d"]

    def x(t: float) -> float:
        return left + (width - left - right) * t / t_max

    def y(v: float) -> float:
        return height - bottom - (height - bottom - top) * v / y_max

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           'font-size="11">', f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="18" font-size="13">{title}</text>',
           f'<line x1="{left}" y1="{y(0)}" x2="{width - right}" y2="{y(0)}" stroke="black"/>',
           f'<line x1="{left}" y1="{y(0)}" x2="{left}" y2="{top}" stroke="black"/>']
    for i in range(6):
        t, v = t_max * i / 5, y_max * i / 5
        out.append(f'<text x="{x(t):.0f}" y="{height - bottom + 15}" text-anchor="middle">{t:.0f}s</text>')
        out.append(f'<text x="{left - 5}" y="{y(v) + 4:.0f}" text-anchor="end">{v:.0f}</text>')
    for at, text in recorder.events:
        if text.startswith("fault:"):
            out.append(f'<line x1="{x(at):.1f}" y1="{top}" x2="{x(at):.1f}" y2="{y(0)}" stroke="#999" '
                       'stroke-dasharray="4 3"/>')
            out.append(f'<text x="{x(at) + 2:.1f}" y="{top + 10}" fill="#555">{text[7:]}</text>')
    for index, (name, values) in enumerate(series.items()):
        colour = colours[index % len(colours)]
        if values:
            coords = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in values)
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{coords}"/>')
        out.append(f'<rect x="{width - right + 10}" y="{top + 16 * index}" width="10" height="10" fill="{colour}"/>')
        out.append(f'<text x="{width - right + 25}" y="{top + 16 * index + 9}">{name}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n")


def audit_lines(audit: Audit, drained: bool = True) -> list[str]:
    verdict = "**clean**" if audit.clean else "**NOT clean**"
    lines = [
        f"* verdict: {verdict}",
        f"* acknowledged uploads: {audit.acknowledged}; found as assets: {audit.found}; lost: {len(audit.lost)}",
        f"* stored original's sha256 and size differ from what was sent (corrupt): {len(audit.corrupt)}",
        f"* one upload stored as more than one asset (duplicated, not linked): {len(audit.duplicated)}; "
        f"re-sent by a client after a lost reply and linked by the server as an exact duplicate: "
        f"{audit.linked_duplicates}",
        f"* assets completed on the server whose reply the client lost: {audit.unacknowledged_assets}; of those, "
        f"not a file any client sent or stored differently: {len(audit.unexpected_assets)}; a file the client was "
        f"refused for: {len(audit.refused_but_stored)}",
        f"* portal downloads hashed against the server's tagged copy: {audit.portal_downloads}; different: "
        f"{len(audit.portal_corrupt)}",
        f"* uploads left active after the run (hold quota until they expire): {len(audit.orphan_uploads)}; "
        f"finished uploads that left a multipart or tail object behind: {len(audit.leaked_uploads)}",
        f"* stuck jobs (queued/running after the drain): {len(audit.stuck_jobs)}" if drained else
        f"* the drain bound passed with {audit.backlog_steps} steps still queued or running: a backlog the "
        f"worker was still working through (see the plot); stuck (running, heartbeat stale): "
        f"{len(audit.stuck_jobs)}",
        f"* duplicate renditions (same asset and name twice): {len(audit.duplicate_renditions)}; renditions: "
        f"{audit.renditions}; derived objects no rendition row points at: {len(audit.orphan_objects)}",
        f"* final statuses: {dict(sorted(audit.statuses.items()))}",
    ]
    if audit.reasons:
        lines.append(f"* reasons: {dict(audit.reasons.most_common(10))}")
    for label, items in (("lost", audit.lost), ("corrupt", audit.corrupt), ("duplicated", audit.duplicated),
                         ("stuck", audit.stuck_jobs), ("unexpected assets", audit.unexpected_assets),
                         ("refused but stored", audit.refused_but_stored), ("portal corrupt", audit.portal_corrupt),
                         ("orphan uploads", audit.orphan_uploads), ("leaked uploads", audit.leaked_uploads),
                         ("duplicate renditions", audit.duplicate_renditions)):
        if items:
            lines.append(f"* first {label}: " + "; ".join(items[:5]))
    return lines


def summary_lines(cfg: LoadConfig, result: LoadResult, contract: Contract) -> list[str]:
    minutes = max(result.load_seconds, 1e-9) / 60
    photos = sum(1 for a in result.acknowledged if a.kind == "image")
    videos = len(result.acknowledged) - photos
    cuts = sum(a.disconnects for a in result.acknowledged)
    lines = [
        f"* load: {result.load_seconds:.0f} s with {cfg.uploaders} concurrent tus uploaders "
        f"({cfg.video_share:.0%} videos, {cfg.disconnect_probability:.0%} of uploads cut mid-chunk and resumed), "
        f"{cfg.editors} editors, {cfg.outlets} outlets; per-uploader link "
        f"{f'{cfg.rate_kib:.0f} KiB/s' if cfg.rate_kib else 'unlimited'}, mean pause {cfg.think:.0f} s, "
        f"file cap {cfg.max_files or 'none'}",
        f"* acknowledged uploads: {len(result.acknowledged)} ({photos} photos, {videos} videos) = "
        f"{len(result.acknowledged) / minutes:.1f} files/min, {result.bytes_uploaded / 2**20 / result.load_seconds:.2f}"
        f" MiB/s" if result.load_seconds else "* no load ran",
        f"* most uploads in progress at the same moment: {result.max_in_flight}",
        f"* client-side cuts survived: {cuts}; replica failovers: {sum(a.failovers for a in result.acknowledged)}; "
        f"refused uploads: {len(result.refused)}",
        f"* editor decisions: {result.decisions}; collections released by the curator: {result.collections}; "
        f"outlet downloads through the portal: {result.portal_downloads}; originals downloaded and verified by "
        f"sha256: {result.downloads_verified}, corrupt: {result.downloads_corrupt}",
        f"* drain after the load: {'done' if result.drained else 'NOT done'} in {result.drain_seconds:.0f} s",
    ]
    if result.refused:
        lines.append("* first refusals: " + "; ".join(f"{n} → {s} {d[:120]}" for n, s, d in result.refused[:3]))
    if cfg.rate_kib:
        lines.append("* note: request bodies are paced to the per-uploader link, so the latency of `POST` and `PATCH` "
                     "on /api/v1/uploads is mostly transfer time; the other endpoints' latencies are the server's")
    lines += [f"* note: {note}" for note in contract.notes()]
    return lines


def fault_lines(outcomes: list[FaultOutcome], recorder: Recorder) -> list[str]:
    def sec(v: float | None) -> str:
        return "–" if v is None else f"{v:.1f}"

    lines = ["| fault | ready again (s) | upload accepted (s) | probe asset final (s, incl. its wait in the queue) | "
             "probe status | "
             "API 5xx other than 503 in window | 503 without Retry-After | what was done |",
             "|---|---:|---:|---:|---|---:|---:|---|"]
    for o in outcomes:
        window_end = o.started + max(o.ready_after or 0, o.upload_after or 0, o.ended - o.started) + 5
        stats = [s for s in recorder.stats(o.started, window_end) if not s.endpoint.startswith("S3:")]
        lines.append(f"| {o.name} | {sec(o.ready_after)} | {sec(o.upload_after)} | {sec(o.pipeline_after)} | "
                     f"{o.probe_status or '–'} | {sum(s.server_errors_500 for s in stats)} | "
                     f"{sum(s.unavailable_without_retry_after for s in stats)} | {o.note.strip()} |")
    return lines


#: How `mediadesk up` keeps its servers running (service/cli/up.py); written into the chaos report, which is generated.
SUPERVISION = [
    "`mediadesk up` supervises six children alike: the embedded PostgreSQL (the postmaster runs in the foreground "
    "as its child, not daemonised by `pg_ctl`), `redis-server`, SeaweedFS `weed mini`, and the API, the Celery "
    "worker and beat. Every 0.5 s it polls each; one that exited — `kill -9` included — is reaped at once (no "
    "zombie) and restarted on the same port and data folder after 1 s, or after 1, 2, 4 … 30 s while it keeps dying "
    "within a minute of its start. What is left of a killed server's process group (PostgreSQL backends that still "
    "hold its shared memory) is killed before the restart.",
    "",
    "* data: PostgreSQL recovers from its WAL (`fsync=on`); Redis replays its append-only file (writes older than "
    "about a second survive a `kill -9`); SeaweedFS keeps its files. The API's connection pool re-checks "
    "connections (`pool_pre_ping`), the broker and S3 clients reconnect, so nothing else restarts.",
    "* tested by `tests/integration/test_up.py` under a real `mediadesk up`: `kill -9` of each server, the pid "
    "reaped, `/readyz` 200 again within 30 s, a submission, a Redis key and an S3 object intact; "
    "`tests/integration/test_health.py`: `/readyz` is 503 (with `Retry-After`, naming only the failing check) "
    "while each server is down.",
    "* by hand (one run, 2 cores, other work on the machine; `/readyz` polled every second): Redis back before the "
    "first poll, PostgreSQL 503 for 4 s, S3 503 for 2 s.",
    "* not covered: `mediadesk up` itself killed with `-9` leaves its servers running (own sessions); stop them or "
    "reboot before the next `mediadesk up` on the same data folder (a live PostgreSQL keeps its lock file).",
]


def write_markdown(path: Path, title: str, command: str, sections: list[tuple[str, list[str]]]) -> None:
    lines = [f"# {title}", "", "Generated by the run itself; do not edit by hand.", "",
             f"* command: `{command}`", f"* machine: {machine()}", ""]
    for heading, body in sections:
        lines += [f"## {heading}", "", *body, ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
