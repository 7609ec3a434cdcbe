"""``mediadesk upload`` as a user runs it: a real process against a real API, report, skip, crash and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from service.db.org import Role
from tests.support import ROOT, Actor, LiveAPI, make_actor, make_campaign, make_submission, wait_until, write_media


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "service.cli", "upload", *args], env=env, cwd=cwd, text=True,
                          capture_output=True, timeout=600)


def cli_env(child_env: dict[str, str], live_api: LiveAPI, actor: Actor) -> dict[str, str]:
    return {**child_env, "MEDIADESK_SERVER": live_api.url, "MEDIADESK_TOKEN": actor.token,
            "PYTHONPATH": str(ROOT), "COLUMNS": "120"}


def test_bulk_upload_reports_and_skips_what_the_server_has(
    live_api: LiveAPI, http: httpx.Client, child_env: dict[str, str], tmp_path: Path
) -> None:
    alice = make_actor(Role.submitter)
    submission = make_submission(alice, make_campaign())
    folder = tmp_path / "活动照片"
    (folder / "day2").mkdir(parents=True)
    for i, name in enumerate(["a.jpg", "b.png", "day2/c.mp4"]):
        write_media(folder / name, 50_000 + i, ["jpeg", "png", "mp4"][i], seed=100 + i)
    (folder / "notes.txt").write_text("不是照片\n" * 50)
    env = cli_env(child_env, live_api, alice)
    report = tmp_path / "report.json"
    first = run_cli([str(folder), "--submission", str(submission), "--jobs", "2", "--report", str(report)],
                    env, tmp_path)
    assert first.returncode == 1, first.stderr  # the text file fails, the others go through
    rows = {Path(r["file"]).name: r for r in json.loads(report.read_text())}
    assert {n: r["status"] for n, r in rows.items()} == {"a.jpg": "uploaded", "b.png": "uploaded",
                                                         "c.mp4": "uploaded", "notes.txt": "failed"}
    assert "unsupported_type" in rows["notes.txt"]["reason"]
    for name in ("a.jpg", "b.png", "c.mp4"):
        asset = http.get(f"/api/v1/assets/{rows[name]['asset_id']}", headers=alice.headers).json()
        assert asset["original_filename"] == name
        assert asset["submission_id"] == str(submission)

    # Same files from a fresh state file: the server already has them (sha256 lookup), nothing is re-sent.
    csv_report = tmp_path / "again.csv"
    again = run_cli([str(folder / "a.jpg"), str(folder / "b.png"), "--submission", str(submission),
                     "--state", str(tmp_path / "other-state.json"), "--report", str(csv_report)], env, tmp_path)
    assert again.returncode == 0, again.stderr
    text = csv_report.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "file,asset_id,status,reason"
    assert text.count(",skipped,") == 2
    listed = http.get("/api/v1/assets", params={"submission_id": str(submission)}, headers=alice.headers).json()
    assert listed["total"] == 3


def test_submission_from_flags_and_manifest(live_api: LiveAPI, http: httpx.Client, child_env: dict[str, str],
                                            tmp_path: Path) -> None:
    alice = make_actor(Role.submitter)
    campaign = make_campaign()
    write_media(tmp_path / "x.jpg", 3000, seed=201)
    write_media(tmp_path / "y.jpg", 3000, seed=202)
    write_media(tmp_path / "z.jpg", 3000, seed=203)
    env = cli_env(child_env, live_api, alice)
    flags = run_cli([str(tmp_path / "x.jpg"), "--title", "开放校园：技能展示", "--theme-tag", "产教融合",
                     "--campaign", str(campaign), "--report", "r1.json"], env, tmp_path)
    assert flags.returncode == 0, flags.stderr
    (row,) = json.loads((tmp_path / "r1.json").read_text())
    asset = http.get(f"/api/v1/assets/{row['asset_id']}", headers=alice.headers).json()
    sub = http.get(f"/api/v1/submissions/{asset['submission_id']}", headers=alice.headers).json()
    assert (sub["title"], sub["theme_tags"], sub["campaign_id"]) == ("开放校园：技能展示", ["产教融合"], str(campaign))

    (tmp_path / "m.csv").write_text(
        "file,title,category,theme_tags,place,campaign_id\n"
        f"y.jpg,走进社区,activity_photos,走进社区;志愿服务,济南,{campaign}\n"
        f"z.jpg,走进社区,activity_photos,走进社区;志愿服务,济南,{campaign}\n", encoding="utf-8")
    manifest = run_cli(["--manifest", "m.csv", "--report", "r2.json"], env, tmp_path)
    assert manifest.returncode == 0, manifest.stderr
    rows = json.loads((tmp_path / "r2.json").read_text())
    subs = {http.get(f"/api/v1/assets/{r['asset_id']}", headers=alice.headers).json()["submission_id"] for r in rows}
    assert len(subs) == 1  # same metadata → one submission
    created = http.get(f"/api/v1/submissions/{subs.pop()}", headers=alice.headers).json()
    assert (created["title"], created["place"], created["theme_tags"]) == ("走进社区", "济南", ["走进社区", "志愿服务"])


def test_killed_cli_resumes_without_resending(live_api: LiveAPI, http: httpx.Client, child_env: dict[str, str],
                                              tmp_path: Path) -> None:
    alice = make_actor(Role.submitter)
    submission = make_submission(alice, make_campaign())
    big = tmp_path / "big.mp4"
    write_media(big, 48 * 1024 * 1024, "mp4", seed=300)
    env = cli_env(child_env, live_api, alice)
    state = tmp_path / "state.json"
    args = [str(big), "--submission", str(submission), "--state", str(state), "--chunk-mib", "8"]
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "upload", *args], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        def server_offset() -> int:
            entries = json.loads(state.read_text()) if state.exists() else {}
            url = next((e["url"] for e in entries.values() if e.get("url")), None)
            if url is None:
                return 0
            head = http.head(url, headers={**alice.headers, "Tus-Resumable": "1.0.0"})
            return int(head.headers.get("upload-offset", 0))

        wait_until(lambda: server_offset() >= 8 * 1024 * 1024, 180, message="the CLI to send a few parts")
        os.killpg(proc.pid, signal.SIGKILL)  # a crash, not a polite Ctrl-C
        proc.wait(30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    (url,) = [e["url"] for e in json.loads(state.read_text()).values() if e.get("url")]
    resumed = run_cli([*args, "--report", "r.json"], env, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    (row,) = json.loads((tmp_path / "r.json").read_text())
    assert row["status"] == "uploaded"
    head = http.head(url, headers={**alice.headers, "Tus-Resumable": "1.0.0"})
    assert head.headers["x-asset-id"] == row["asset_id"]  # the same upload finished: nothing sent twice
    listed = http.get("/api/v1/assets", params={"submission_id": str(submission)}, headers=alice.headers).json()
    assert [a["id"] for a in listed["items"]] == [row["asset_id"]]
    assert uuid.UUID(row["asset_id"])
