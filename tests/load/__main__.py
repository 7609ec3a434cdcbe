"""``python -m tests.load``: the load run (``make load``) and, with ``--chaos``, the fault rounds (``make chaos``).

Examples::

    python -m tests.load --duration 600 --uploaders 200 --report docs/LOAD.md
    python -m tests.load --duration 420 --uploaders 200 --chaos --report docs/RELIABILITY.md
    python -m tests.load --data .mediadesk --url http://127.0.0.1:8000 --duration 60   # a running `mediadesk up`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.load import media
from tests.load.audit import Audit, audit
from tests.load.chaos import FAULTS, FaultOutcome, fault_rounds
from tests.load.contract import Contract, discover
from tests.load.metrics import Recorder
from tests.load.report import (
    SUPERVISION,
    audit_lines,
    backlog_svg,
    endpoint_table,
    fault_lines,
    summary_lines,
    write_markdown,
)
from tests.load.scenario import S3_DOWNLOAD, Deadline, LoadConfig, LoadResult, run_load
from tests.load.stack import Stack, seed_world


@dataclass
class Run:
    config: LoadConfig
    contract: Contract
    result: LoadResult
    audit: Audit
    recorder: Recorder
    faults: list[FaultOutcome] = field(default_factory=list)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tests.load", description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=float, default=60, help="seconds of load (the recorded run: ≥ 600)")
    p.add_argument("--uploaders", type=int, default=200, help="simultaneous tus uploads")
    p.add_argument("--editors", type=int, default=3)
    p.add_argument("--outlets", type=int, default=2)
    p.add_argument("--video-share", type=float, default=0.15)
    p.add_argument("--disconnects", type=float, default=0.2, help="share of uploads cut mid-chunk and resumed")
    p.add_argument("--rate-kib", type=float, default=0, help="per-uploader bandwidth in KiB/s (0: unlimited)")
    p.add_argument("--think", type=float, default=0, help="mean seconds an uploader pauses between files")
    p.add_argument("--max-files", type=int, default=0, help="stop starting uploads after this many (0: no cap)")
    p.add_argument("--apis", type=int, default=2, help="API processes (own stack)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (own stack)")
    p.add_argument("--concurrency", type=int, default=2, help="Celery concurrency per worker")
    p.add_argument("--drain", type=float, default=600, help="max seconds to wait for the pipeline after the load")
    p.add_argument("--backlog-ok", action="store_true",
                   help="exit 0 on a clean audit even when the drain bound passed (a burst bigger than the pipeline)")
    p.add_argument("--chaos", action="store_true", help="kill -9 and restart each part in turn during the load")
    p.add_argument("--faults", default=",".join(FAULTS), help=f"comma list of {', '.join(FAULTS)}")
    p.add_argument("--fault-gap", type=float, default=20, help="seconds of normal load before each fault")
    p.add_argument("--fault-hold", type=float, default=5, help="seconds a killed part stays down")
    p.add_argument("--root", type=Path, default=None, help="folder for the own stack (default: a temp folder)")
    p.add_argument("--data", type=Path, default=None, help="target a running `mediadesk up` (its --data)")
    p.add_argument("--url", action="append", default=[], help="API URL of the running instance (repeatable)")
    p.add_argument("--report", type=Path, default=None, help="write the Markdown report here")
    p.add_argument("--json", type=Path, default=None, help="write the figures as JSON here (the pytest variants)")
    p.add_argument("--no-object-audit", action="store_true", help="skip re-hashing every stored original")
    return p


def execute(args: argparse.Namespace, stack: Stack) -> Run:
    cfg = LoadConfig(duration=args.duration, uploaders=args.uploaders, editors=args.editors, outlets=args.outlets,
                     video_share=args.video_share, disconnect_probability=args.disconnects, drain_timeout=args.drain,
                     rate_kib=args.rate_kib, think=args.think, max_files=args.max_files)
    world = seed_world(editors=max(1, args.editors), outlets=max(1, args.outlets))
    contract = discover(stack.urls[0], world.submitters[0][0].token)
    pool = media.pool()
    recorder = Recorder()
    outcomes: list[FaultOutcome] = []
    extra = []
    deadline = Deadline(time.monotonic() + cfg.duration)
    if args.chaos:
        faults = [f.strip() for f in args.faults.split(",") if f.strip()]
        probe = next(s for s in pool if s.kind == "image")
        extra.append(fault_rounds(stack, world, probe, recorder, faults, gap=args.fault_gap, hold=args.fault_hold,
                                  probe_timeout=180, tus=contract.tus, outcomes=outcomes, deadline=deadline))
    result = asyncio.run(run_load(stack.urls, world, pool, contract, cfg, recorder, deadline, extra))
    report = audit(world.campaign_id, result.acknowledged, check_objects=not args.no_object_audit,
                   drained=result.drained, refused=result.refused_sha256,
                   attempted=result.attempted | {o.probe_sha256: f"probe-{o.name}.jpg" for o in outcomes
                                                 if o.probe_sha256},
                   downloads=result.portal_received)
    return Run(cfg, contract, result, report, recorder, outcomes)


def write_report(run: Run, path: Path, command: str, chaos: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    plot = path.with_name(path.stem.lower() + "-backlog.svg")
    title = "mediadesk under faults" if chaos else "mediadesk under load"
    backlog_svg(run.recorder, plot, f"{title}: pipeline backlog over time (assets of the run's campaign)")
    sections: list[tuple[str, list[str]]] = [
        ("Summary", summary_lines(run.config, run.result, run.contract)),
        ("Audit", audit_lines(run.audit, run.result.drained)),
    ]
    if chaos:
        sections.append(("Faults and time to recover (seconds since the kill)", fault_lines(run.faults, run.recorder)))
        sections.append(("Supervision under `mediadesk up`", SUPERVISION))
    sections += [
        ("Requests per endpoint (whole run)", endpoint_table(run.recorder)),
        ("Pipeline backlog", [f"![backlog]({plot.name})", "",
                              "Events: " + "; ".join(f"{t:.0f}s {e}" for t, e in run.recorder.events)]),
    ]
    write_markdown(path, title, command, sections)


def figures(run: Run) -> dict[str, object]:
    stats = run.recorder.stats()
    return {
        "tus": run.contract.tus,
        "notes": run.contract.notes(),
        "acknowledged": len(run.result.acknowledged),
        "max_in_flight": run.result.max_in_flight,
        "refused": [list(r) for r in run.result.refused[:20]],
        "drained": run.result.drained,
        "lost": run.audit.lost, "corrupt": run.audit.corrupt, "duplicated": run.audit.duplicated,
        "stuck_jobs": run.audit.stuck_jobs, "duplicate_renditions": run.audit.duplicate_renditions,
        "statuses": dict(run.audit.statuses), "reasons": dict(run.audit.reasons),
        "downloads_corrupt": run.result.downloads_corrupt,
        "portal_downloads_checked": run.audit.portal_downloads, "portal_corrupt": run.audit.portal_corrupt,
        "refused_but_stored": run.audit.refused_but_stored, "unexpected_assets": run.audit.unexpected_assets,
        "unacknowledged_assets": run.audit.unacknowledged_assets,
        "orphan_uploads": run.audit.orphan_uploads, "leaked_uploads": run.audit.leaked_uploads,
        "backlog_steps": run.audit.backlog_steps, "clean": run.audit.clean,
        # The S3 server's own answers are reported, but the API's contract (503 + Retry-After, never 500) is ours.
        "server_errors_500": {s.endpoint: s.server_errors_500 for s in stats
                              if s.server_errors_500 and s.endpoint != S3_DOWNLOAD},
        "unavailable_without_retry_after": {s.endpoint: s.unavailable_without_retry_after for s in stats
                                            if s.unavailable_without_retry_after},
        "faults": [vars(o) for o in run.faults],
    }


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    stack = Stack(Path(args.root or tempfile.mkdtemp(prefix="mediadesk-load-")), api_count=args.apis,
                  worker_count=args.workers, worker_concurrency=args.concurrency,
                  small_disk_mb=24 if args.chaos else 0)
    if args.data:
        if args.chaos:
            sys.stderr.write("--chaos needs the harness's own stack (it kills processes it owns); drop --data\n")
            return 2
        stack.attach(args.data, args.url or ["http://127.0.0.1:8000"])
    else:
        stack.start()
    try:
        run = execute(args, stack)
    finally:
        stack.stop()
    command = "python -m tests.load " + shlex.join(argv if argv is not None else sys.argv[1:])
    sys.stdout.write("\n".join(summary_lines(run.config, run.result, run.contract)
                               + audit_lines(run.audit, run.result.drained)) + "\n")
    sys.stdout.write("\n".join(endpoint_table(run.recorder)) + "\n")
    if args.chaos:
        sys.stdout.write("\n".join(fault_lines(run.faults, run.recorder)) + "\n")
    if args.json:
        args.json.write_text(json.dumps(figures(run), ensure_ascii=False, indent=1))
    if args.report:
        write_report(run, args.report, command, args.chaos)
        sys.stdout.write(f"report written to {args.report}\n")
    return exit_code(run.audit, run.result.drained, args.backlog_ok)


def exit_code(report: Audit, drained: bool, backlog_ok: bool) -> int:
    """0 for a clean audit; a pipeline that did not drain in time fails the run unless ``--backlog-ok``."""
    return 0 if report.clean and (drained or backlog_ok) else 1


if __name__ == "__main__":
    sys.exit(main())
