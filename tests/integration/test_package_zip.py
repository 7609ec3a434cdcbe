"""The hand-laid ZIP of a package, against the real S3 server: members copied server-side, read back by zipfile and
Info-ZIP's ``unzip -t``, ZIP64 records, part boundaries, and a member that changed while the package was built."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.core.embedded import EmbeddedServers
from service.core.storage import get_storage
from workers.delivery import zipstream
from workers.delivery.zipstream import MIB, ChangedWhileBuilding, Member, PackageWriter, write_zip

NOW = datetime(2026, 5, 12, 9, 30, 14, tzinfo=UTC)


def _object(prefix: str, size: int) -> tuple[str, bytes]:
    data = os.urandom(size)
    key = f"test-zip/{prefix}/{uuid.uuid4().hex}.bin"
    get_storage().put_bytes(key, data)
    return key, data


def _members(prefix: str, sizes: dict[str, int]) -> tuple[list[Member], dict[str, bytes]]:
    members, expected = [], {}
    for name, size in sizes.items():
        key, data = _object(prefix, size)
        members.append(Member(name, size, zlib.crc32(data), NOW, key=key))
        expected[name] = data
    sidecar = "file,caption\r\n全国启动仪式.jpg,开幕\r\n".encode()
    members.append(Member("captions.csv", len(sidecar), zlib.crc32(sidecar), NOW, data=sidecar))
    expected["captions.csv"] = sidecar
    return members, expected


def _build(members: list[Member], tmp_path: Path, **options: bool) -> tuple[Path, PackageWriter]:
    key = f"test-zip/out/{uuid.uuid4().hex}.zip"
    writer = PackageWriter(get_storage(), key, 8 * MIB)
    seen: list[str] = []
    write_zip(writer, members, lambda member, _: seen.append(member.name), **options)
    writer.close()
    assert seen == [m.name for m in members]  # progress reported per member, in order
    path = tmp_path / "package.zip"
    get_storage().download(key, path)
    assert path.stat().st_size == writer.size
    return path, writer


def _check(path: Path, expected: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None  # every member's CRC-32 matches its bytes
        assert archive.namelist() == list(expected)
        for name, data in expected.items():
            assert archive.read(name) == data, name
            info = archive.getinfo(name)
            assert info.compress_type == zipfile.ZIP_STORED
            assert info.date_time == (2026, 5, 12, 9, 30, 14)
    if shutil.which("unzip"):  # a second, independent reader (Info-ZIP, what many newsrooms' scripts use)
        result = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "No errors detected" in result.stdout


def test_large_members_are_copied_server_side_and_the_zip_reads_back(servers: EmbeddedServers,
                                                                     tmp_path: Path) -> None:
    members, expected = _members("mixed", {"小图.jpg": 3000, "大视频_broadcast_1080p.mp4": 23 * MIB + 11,
                                           "第二个视频.mp4": 12 * MIB + 5, "中等照片.jpg": 6 * MIB + 7,
                                           "末尾小文件.jpg": 1000})
    path, writer = _build(members, tmp_path)
    _check(path, expected)
    # The two large videos' bodies never crossed the worker, apart from what filled the part before each copy.
    assert writer.copied >= 23 * MIB + 12 * MIB - 2 * 5 * MIB
    assert writer.copied <= 23 * MIB + 12 * MIB


def test_zip64_records_read_back(servers: EmbeddedServers, tmp_path: Path) -> None:
    members, expected = _members("zip64", {"视频.mp4": 11 * MIB, "照片.jpg": 2000})
    path, writer = _build(members, tmp_path, force_zip64=True)
    _check(path, expected)
    with zipfile.ZipFile(path) as archive:
        assert all(info.extract_version >= 45 for info in archive.infolist())
    assert writer.copied > 0


def test_a_big_member_is_copied_in_several_ranges(servers: EmbeddedServers, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zipstream, "COPY_PART", 6 * MIB)  # 20 MiB → four copy parts of ≥ 5 MiB each
    members, expected = _members("ranges", {"长视频.mp4": 25 * MIB + 3})
    path, writer = _build(members, tmp_path)
    _check(path, expected)
    copies = [p for p in writer.parts if p.size < 8 * MIB and p.size >= 5 * MIB]
    assert len(writer.parts) >= 5
    assert all(p.size >= 5 * MIB for p in sorted(writer.parts, key=lambda p: p.number)[:-1])
    assert copies


def test_member_changed_while_building_fails_cleanly(servers: EmbeddedServers) -> None:
    members, _ = _members("changed", {"视频.mp4": 12 * MIB})
    stale = members[0]
    get_storage().put_bytes(stale.key or "", os.urandom(12 * MIB + 100))  # re-tagged meanwhile: other size
    key = f"test-zip/out/{uuid.uuid4().hex}.zip"
    writer = PackageWriter(get_storage(), key, 8 * MIB)
    with pytest.raises(ChangedWhileBuilding):
        write_zip(writer, members, lambda *_: None)
    writer.abort()
    assert not get_storage().exists(key)
