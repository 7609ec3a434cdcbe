"""Clients skip files the server already has: POST /api/v1/uploads/lookup, scoped to the caller's organisation."""

from __future__ import annotations

import hashlib

import httpx

from service.db.org import Role
from tests.support import make_actor, make_campaign, make_submission, media_bytes, tus_metadata


def test_lookup_finds_own_organisations_files_only(http: httpx.Client) -> None:
    alice, bob = make_actor(Role.submitter), make_actor(Role.submitter)
    submission = make_submission(alice, make_campaign())
    data = media_bytes(4000, seed=21)
    sha = hashlib.sha256(data).hexdigest()
    created = http.post("/api/v1/uploads", content=data, headers={
        **alice.headers, "Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream",
        "Upload-Length": str(len(data)),
        "Upload-Metadata": tus_metadata(submission_id=str(submission), filename="x.jpg", sha256=sha)})
    assert created.status_code == 201
    unknown = "0" * 64
    found = http.post("/api/v1/uploads/lookup", json={"sha256": [sha.upper(), unknown]}, headers=alice.headers)
    assert found.status_code == 200, found.text
    assert found.json()["found"] == {sha: created.headers["x-asset-id"]}
    assert http.post("/api/v1/uploads/lookup", json={"sha256": [sha]}, headers=bob.headers).json()["found"] == {}
    by_submission = http.post("/api/v1/uploads/lookup", json={"sha256": [sha], "submission_id": str(submission)},
                              headers=bob.headers)
    assert by_submission.status_code == 404  # another organisation's submission is not even confirmed to exist
    bad = http.post("/api/v1/uploads/lookup", json={"sha256": ["nothex"]}, headers=alice.headers)
    assert bad.status_code == 422
    assert http.post("/api/v1/uploads/lookup", json={"sha256": [sha]}).status_code == 401
