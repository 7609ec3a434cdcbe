"""tus upload throughput vs a direct ``minio`` put_object of the same file to the same S3 server, same run.

    python -m tests.bench.bench_upload [--size-mib 1024] [--rounds 2]

Starts its own embedded servers and one uvicorn API (like ``mediadesk up``), writes a sniffable random file, then
alternates direct and tus uploads (best of ``rounds`` each, so a neighbour's burst on a shared machine hurts both
sides alike) and prints the ratio. Target: tus ≥ 0.7 × direct.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

MIB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--chunk-mib", type=int, default=0, help="MiB per PATCH; 0 = the whole file in one PATCH")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        run(Path(tmp), args.size_mib * MIB, args.rounds, args.chunk_mib * MIB)


def run(root: Path, size: int, rounds: int, chunk: int) -> None:
    from service.core.embedded import EmbeddedServers

    stack = EmbeddedServers(root / "servers")
    stack.start()
    try:
        os.environ.update(stack.environment())
        os.environ["MEDIADESK_ENV"] = "test"
        from service.cli.context import use_data_dir

        use_data_dir(None)
        from service.core.storage import get_storage
        from service.db.migrate import upgrade

        upgrade(stack.postgres.url)
        get_storage().ensure_bucket()
        assert stack.s3.proc is not None
        measure(root, stack.environment(), size, rounds, chunk, stack.s3.proc.pid)
    finally:
        stack.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its reaped children (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def measure(root: Path, server_env: dict[str, str], size: int, rounds: int, chunk: int, s3_pid: int) -> None:
    from service.cli.tus_client import TusClient
    from service.core.config import get_settings
    from service.core.storage import get_storage
    from service.db.org import Role
    from tests.support import LiveAPI, make_actor, make_campaign, make_submission, set_campaign, write_media

    path = root / "bench.mp4"
    sha = write_media(path, size, "mp4", seed=1)
    actor = make_actor(Role.submitter)
    campaign = make_campaign()
    set_campaign(campaign, max_video_bytes=size * 2, org_quota_bytes=size * (rounds + 2))
    submission = make_submission(actor, campaign)
    env = {**os.environ, **server_env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    api = LiveAPI(env, root).start()
    storage = get_storage()
    part_size = get_settings().upload_part_size  # the same part size on both sides
    direct: list[float] = []
    tus: list[float] = []
    cpu = {"direct": [0.0, 0.0, 0.0], "tus": [0.0, 0.0, 0.0]}  # client (this process), API, S3 server

    def pids() -> list[float]:
        assert api.proc is not None
        return [cpu_seconds(os.getpid()), cpu_seconds(api.proc.pid), cpu_seconds(s3_pid)]

    def account(kind: str, before: list[float]) -> None:
        cpu[kind] = [total + after - start for total, start, after in zip(cpu[kind], before, pids(), strict=True)]

    try:
        client = TusClient(api.url, actor.token, chunk_size=chunk or size, timeout=600)
        for i in range(rounds):
            before, start = pids(), time.perf_counter()
            storage.client.fput_object(storage.bucket, f"bench/direct-{i}", str(path), part_size=part_size)
            direct.append(time.perf_counter() - start)
            account("direct", before)
            storage.delete(f"bench/direct-{i}")

            before, start = pids(), time.perf_counter()
            url = client.create(path, str(submission), sha)
            client.send(path, url, lambda _position: None)
            tus.append(time.perf_counter() - start)
            account("tus", before)
        client.close()
    finally:
        api.stop()
    mib = size / MIB
    gib = size * rounds / 1024**3
    best_direct, best_tus = mib / min(direct), mib / min(tus)
    patch = "whole file" if not chunk else f"{chunk // MIB} MiB"
    sys.stdout.write(
        f"file: {mib:.0f} MiB; S3 part size {part_size // MIB} MiB; PATCH size {patch}\n"
        f"direct minio put_object: {', '.join(f'{mib / t:.0f}' for t in direct)} MiB/s (best {best_direct:.0f})\n"
        f"tus through the API:     {', '.join(f'{mib / t:.0f}' for t in tus)} MiB/s (best {best_tus:.0f})\n"
        f"ratio tus/direct: {best_tus / best_direct:.2f} (target >= 0.70)\n"
        + "".join(f"CPU s per GiB, {kind}: client {c / gib:.1f}, API {a / gib:.1f}, S3 server {w / gib:.1f}\n"
                  for kind, (c, a, w) in cpu.items())
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
