"""``mediadesk upload``: bulk, parallel, resumable uploads of photos and videos over tus.

Files already on the server (same sha256 in your organisation) are skipped; an interrupted run (crash, Ctrl-C,
network loss) resumes from the state file. The report lists each file with its asset id, status and reason.
"""

from __future__ import annotations

import csv
import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

from service.cli.tus_client import MIB, Interrupted, StateFile, TusClient, UploadRefused, file_sha256
from service.core.csvfile import write_rows

SUBMISSION_FIELDS = ("title", "category", "description", "activity", "activity_date", "place", "region_code",
                     "theme_tags", "credits", "consent", "campaign_id")
console = Console(stderr=True)


@dataclass
class FileJob:
    path: Path
    submission: str | None = None  # an existing submission id
    fields: dict[str, Any] = field(default_factory=dict)  # or metadata for a submission the CLI creates
    sha256: str = ""


@dataclass
class Outcome:
    file: str
    asset_id: str | None
    status: str  # uploaded | skipped | failed | interrupted
    reason: str | None = None


def upload(
    paths: Annotated[list[Path] | None, typer.Argument(help="files or folders (walked recursively)")] = None,
    server: Annotated[str, typer.Option(envvar="MEDIADESK_SERVER", help="API base URL")] = "http://127.0.0.1:8000",
    token: Annotated[str, typer.Option(envvar="MEDIADESK_TOKEN", help="API token (Bearer)")] = "",
    submission: Annotated[str | None, typer.Option(help="existing submission id to upload into")] = None,
    manifest: Annotated[Path | None, typer.Option(help="CSV: file,submission_id or file + submission fields")] = None,
    title: Annotated[str | None, typer.Option(help="create a submission with this title")] = None,
    category: Annotated[str, typer.Option(help="submission category, e.g. activity_photos")] = "activity_photos",
    description: Annotated[str, typer.Option()] = "",
    activity: Annotated[str, typer.Option()] = "",
    activity_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    place: Annotated[str, typer.Option()] = "",
    region_code: Annotated[str | None, typer.Option(help="GB/T 2260 code")] = None,
    theme_tag: Annotated[list[str] | None, typer.Option(help="repeatable: 职普融通, 产教融合, …")] = None,
    credits: Annotated[str, typer.Option()] = "",
    consent: Annotated[bool, typer.Option(help="portrait consent obtained")] = False,
    campaign: Annotated[str | None, typer.Option(help="campaign id (default: the one open for uploads)")] = None,
    jobs: Annotated[int, typer.Option(min=1, max=32, help="files uploaded in parallel")] = 4,
    chunk_mib: Annotated[int, typer.Option(min=1, max=1024, help="MiB per PATCH request")] = 64,
    state: Annotated[Path, typer.Option(help="resume state file")] = Path(".mediadesk-upload-state.json"),
    report: Annotated[Path | None, typer.Option(help="write the per-file report (.csv or .json)")] = None,
    skip_existing: Annotated[bool, typer.Option(help="skip files the server already has (sha256)")] = True,
) -> None:
    """上传照片和视频 / Upload photos and videos (parallel, resumable, skips files already uploaded)."""
    if not token:
        raise typer.BadParameter("--token (or MEDIADESK_TOKEN) is required")
    defaults = _flag_fields(title, category, description, activity, activity_date, place, region_code, theme_tag,
                            credits, consent)
    if campaign and defaults:
        defaults["campaign_id"] = campaign
    work = _plan(paths or [], manifest, submission, defaults)
    if not work:
        raise typer.BadParameter("no files to upload")
    store = StateFile(state)
    client = TusClient(server, token, chunk_size=chunk_mib * MIB)
    stop = threading.Event()
    outcomes: list[Outcome] = []
    try:
        _hash_all(work, store, jobs)
        _resolve_submissions(work, client, store)
        todo = _skip_known(work, client, store, outcomes, skip_existing)
        outcomes += _upload_all(todo, client, store, jobs, stop)
    except KeyboardInterrupt:
        stop.set()
        console.print("[yellow]interrupted; run the same command again to resume / 已中断，重新运行即可续传[/]")
    finally:
        client.close()
    done = {o.file for o in outcomes}
    outcomes += [Outcome(str(j.path), None, "interrupted", "not finished") for j in work if str(j.path) not in done]
    _summarise(outcomes, report)
    if any(o.status in ("failed", "interrupted") for o in outcomes):
        raise typer.Exit(1)


def _flag_fields(title: str | None, category: str, description: str, activity: str, activity_date: str | None,
                 place: str, region_code: str | None, theme_tags: list[str] | None, credits: str,
                 consent: bool) -> dict[str, Any]:
    if title is None:
        return {}
    fields: dict[str, Any] = {"title": title, "category": category, "description": description,
                              "activity": activity, "place": place, "theme_tags": theme_tags or [],
                              "credits": credits, "consent": consent}
    if activity_date:
        fields["activity_date"] = activity_date
    if region_code:
        fields["region_code"] = region_code
    return fields


def _plan(paths: list[Path], manifest: Path | None, submission: str | None,
          defaults: dict[str, Any]) -> list[FileJob]:
    work: list[FileJob] = []
    if manifest is not None:
        work += _read_manifest(manifest, submission, defaults)
    if paths and submission is None and not defaults:
        raise typer.BadParameter("give --submission ID, or --title … to create one, or a --manifest")
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")) if path.is_dir() \
            else [path]
        for file in files:
            if not file.is_file():
                raise typer.BadParameter(f"not a file: {file}")
            work.append(FileJob(file, submission, {} if submission else dict(defaults)))
    return work


def _read_manifest(manifest: Path, submission: str | None, defaults: dict[str, Any]) -> list[FileJob]:
    """Columns: ``file`` (relative to the CSV) and either ``submission_id`` or submission fields."""
    work: list[FileJob] = []
    with manifest.open(newline="", encoding="utf-8-sig") as source:
        for line, row in enumerate(csv.DictReader(source), start=2):
            name = (row.get("file") or "").strip()
            if not name:
                raise typer.BadParameter(f"{manifest}:{line}: empty 'file' column")
            path = (manifest.parent / name)
            if not path.is_file():
                raise typer.BadParameter(f"{manifest}:{line}: no such file {path}")
            fields = {k: v.strip() for k, v in row.items() if k in SUBMISSION_FIELDS and v and v.strip()}
            if "theme_tags" in fields:
                fields["theme_tags"] = [t.strip() for t in fields["theme_tags"].replace("，", ";").split(";")
                                        if t.strip()]
            if "consent" in fields:
                fields["consent"] = fields["consent"].lower() in ("1", "true", "yes", "y", "是")
            sub = (row.get("submission_id") or "").strip() or (None if fields else submission)
            if sub is None and not fields and not defaults:
                raise typer.BadParameter(f"{manifest}:{line}: needs submission_id or a title")
            work.append(FileJob(path, sub, {} if sub else {**defaults, **fields}))
    return work


def _hash_all(work: list[FileJob], store: StateFile, jobs: int) -> None:
    def one(job: FileJob) -> None:
        known = store.get(job.path).get("sha256")
        job.sha256 = known or file_sha256(job.path)
        if not known:
            store.update(job.path, sha256=job.sha256)

    with ThreadPoolExecutor(max_workers=min(jobs, 4)) as pool:
        list(pool.map(one, work))


def _resolve_submissions(work: list[FileJob], client: TusClient, store: StateFile) -> None:
    """Create one submission per distinct set of fields, once, even across resumed runs."""
    for job in work:
        if job.submission:
            continue
        digest = hashlib.sha256(json.dumps(job.fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        key = f"submission:{client.server}:{digest}"
        job.submission = store.get_key(key).get("id")
        if not job.submission:
            job.submission = client.create_submission(job.fields)
            store.put(key, {"id": job.submission})


def _skip_known(work: list[FileJob], client: TusClient, store: StateFile, outcomes: list[Outcome],
                skip_existing: bool) -> list[FileJob]:
    found = client.lookup(sorted({j.sha256 for j in work}), None) if skip_existing else {}
    todo: list[FileJob] = []
    for job in work:
        asset_id = store.get(job.path).get("asset_id")
        if asset_id:
            outcomes.append(Outcome(str(job.path), asset_id, "uploaded", "uploaded in an earlier run"))
        elif job.sha256 in found:
            outcomes.append(Outcome(str(job.path), found[job.sha256], "skipped",
                                    "服务器上已有相同文件 / the server already has this file"))
        else:
            todo.append(job)
    return todo


def _upload_all(todo: list[FileJob], client: TusClient, store: StateFile, jobs: int,
                stop: threading.Event) -> list[Outcome]:
    outcomes: list[Outcome] = []
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        total = progress.add_task("总计 / total", total=sum(j.path.stat().st_size for j in todo))
        done_bytes: dict[str, int] = {}
        lock = threading.Lock()

        def one(job: FileJob) -> Outcome:
            task = progress.add_task(job.path.name[:40], total=job.path.stat().st_size)

            def seen(position: int) -> None:
                progress.update(task, completed=position)
                with lock:
                    done_bytes[str(job.path)] = position
                    progress.update(total, completed=sum(done_bytes.values()))

            try:
                return _upload_one(job, client, store, seen, stop)
            finally:
                progress.remove_task(task)

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(one, job) for job in todo]
            try:
                for future in as_completed(futures):
                    outcomes.append(future.result())
            except KeyboardInterrupt:
                stop.set()
                for future in futures:
                    future.cancel()
                raise
    return outcomes


def _upload_one(job: FileJob, client: TusClient, store: StateFile, seen: Any, stop: threading.Event) -> Outcome:
    name = str(job.path)
    if stop.is_set():
        return Outcome(name, None, "interrupted", "not started")
    try:
        for attempt in (1, 2):
            url = store.get(job.path).get("url")
            try:
                if not url:
                    url = client.create(job.path, job.submission or "", job.sha256)
                    store.update(job.path, url=url)
                asset_id = client.send(job.path, url, seen, stop)
                store.update(job.path, asset_id=asset_id)
                return Outcome(name, asset_id, "uploaded")
            except UploadRefused as refused:
                if refused.code in ("upload_gone", "not_found") and attempt == 1 and url:
                    store.update(job.path, url=None)  # expired or terminated on the server: start over
                    continue
                raise
    except Interrupted:
        return Outcome(name, None, "interrupted", "stopped by the user; run again to resume")
    except UploadRefused as refused:
        return Outcome(name, None, "failed", f"{refused.code}: {refused.detail}")
    except Exception as exc:  # one bad file must not stop the others; the reason goes to the report
        return Outcome(name, None, "failed", f"{exc.__class__.__name__}: {exc}")
    return Outcome(name, None, "failed", "upload expired twice")


def _summarise(outcomes: list[Outcome], report: Path | None) -> None:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        if outcome.status in ("failed", "interrupted"):
            console.print(f"[red]{outcome.status}[/] {outcome.file}: {outcome.reason}")
    console.print("  ".join(f"{status}: {n}" for status, n in sorted(counts.items())))
    if report is None:
        return
    rows = [asdict(o) for o in outcomes]
    if report.suffix.lower() == ".json":
        report.write_text(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        with report.open("w", newline="", encoding="utf-8-sig") as out:
            write_rows(out, ["file", "asset_id", "status", "reason"], rows)
