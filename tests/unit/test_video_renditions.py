"""Video renditions in-process (no servers): VFR normalised to CFR, poster skips a black opening, sprite index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import ImageStat

from tests import media_samples as media
from workers.sniff import sniff
from workers.steps import frames, video
from workers.video_probe import probe_video


def _source(path: Path) -> video.Source:
    probe = probe_video(path, sniff(path).ffmpeg_format or "")
    return video.Source(path, "mov", probe.width, probe.height, probe.frame_rate, probe.duration,
                        bool(probe.info["audio"]))


def test_variable_frame_rate_is_detected_and_normalised(tmp_path: Path) -> None:
    vfr = tmp_path / "vfr.mp4"
    # keep 3 frames of every 5: timestamps step 40, 40, 120 ms — a variable frame rate, as phones record
    media.ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "3",
                 "-vf", r"select=lt(mod(n\,5)\,3)", "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "ultrafast",
                 str(vfr))
    assert probe_video(vfr, "mov").info["variable_frame_rate"] is True
    outputs, _, _ = video.transcode(_source(vfr), tmp_path, timeout=300)
    for output in outputs:
        result = probe_video(output.path, "mov")
        assert result.info["variable_frame_rate"] is False, output.name
        assert (result.width, result.height) == (320, 240)


def test_poster_skips_black_opening_and_sprite_has_an_index(tmp_path: Path) -> None:
    clip = tmp_path / "fade-in.mp4"
    media.ffmpeg("-f", "lavfi", "-i", "color=black:size=320x240:rate=25:duration=2", "-f", "lavfi",
                 "-i", "testsrc2=size=320x240:rate=25:duration=4", "-filter_complex", "[0:v][1:v]concat=n=2:v=1",
                 "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(clip))
    outputs, hls_dir, analysis = video.transcode(_source(clip), tmp_path, timeout=300)
    assert [o.name for o in outputs] == ["proxy_720p"]  # broadcast_1080p is made on demand, not at upload
    keyframes = frames.as_keyframes(analysis)
    assert len(keyframes) >= 3  # a keyframe every 2 s
    poster = tmp_path / "poster.jpg"
    frames.write_poster(keyframes, poster)
    from PIL import Image

    with Image.open(poster) as chosen:
        assert ImageStat.Stat(chosen.convert("L")).mean[0] > 30  # not the black opening
    sheet, vtt, index = tmp_path / "sprite.jpg", tmp_path / "sprite.vtt", tmp_path / "sprite.json"
    frames.write_sprite(keyframes, sheet, vtt, index, 6.0)
    tiles = json.loads(index.read_text())["tiles"]
    assert tiles[0]["start"] == 0.0
    assert tiles[-1]["end"] == 6.0
    assert vtt.read_text().startswith("WEBVTT")
    assert "sprite.jpg#xywh=0,0," in vtt.read_text()
    assert (hls_dir / "master.m3u8").read_text().count(".m3u8") == 1  # 240p source: a single variant


def test_stored_keyframes_are_thinned_as_each_step_samples() -> None:
    stored = [{"t": t, "reason": "scene" if t in (0.0, 7.0) else "uniform", "key": f"k{t}"}
              for t in (0.0, 2.0, 4.0, 6.0, 7.0, 9.0, 11.0, 13.0)]
    every_2 = frames.thin(stored, uniform_every=2.0, max_keyframes=120)
    assert [e["t"] for e in every_2] == [0.0, 2.0, 4.0, 6.0, 7.0, 9.0, 11.0, 13.0]
    # every 5 s as screen samples: scene changes always, a uniform frame once 5 s passed since the last kept one
    assert [e["t"] for e in frames.thin(stored, uniform_every=5.0, max_keyframes=40)] == [0.0, 6.0, 7.0, 13.0]
    assert [e["t"] for e in frames.thin(stored, uniform_every=2.0, max_keyframes=4)] == [0.0, 4.0, 7.0, 11.0]


def _phone_clip(tmp_path: Path) -> Path:
    clip = tmp_path / "phone.mp4"
    media.ffmpeg("-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi",
                 "-i", "sine=frequency=440:sample_rate=48000", "-t", "6.5", "-c:v", "libx264", "-preset", "ultrafast",
                 "-pix_fmt", "yuv420p", "-c:a", "aac", str(clip))
    return clip


def _segments_are_playable_gops(hls_dir: Path, rung: str, size: tuple[int, int]) -> None:
    """Every segment of the rung lasts one GOP (the last what is left of 6.5 s), has sound, and starts on a keyframe
    of the rung's size."""
    import av

    playlist = (hls_dir / f"{rung}.m3u8").read_text()
    durations = [float(line.split(":")[1].rstrip(",")) for line in playlist.splitlines() if line.startswith("#EXTINF")]
    assert len(durations) == 4
    assert all(abs(d - 2.0) < 0.05 for d in durations[:-1])
    assert abs(sum(durations) - 6.5) < 0.1
    for segment in sorted(hls_dir.glob(f"{rung}_*.ts")):
        with av.open(str(segment)) as container:
            assert {s.type for s in container.streams} == {"video", "audio"}
            first = next(container.decode(video=0))
            assert (first.width, first.height) == size
            assert first.key_frame, segment.name  # playable from its first frame


def test_the_preview_ladder_is_the_proxy_cut_by_stream_copy(tmp_path: Path) -> None:
    """By default no rung is encoded beside the proxy: the ladder is the 720p proxy, cut into GOP-long segments."""
    (tmp_path / "out").mkdir()
    _, hls_dir, _ = video.transcode(_source(_phone_clip(tmp_path)), tmp_path / "out", timeout=300)
    master = (hls_dir / "master.m3u8").read_text()
    assert [line for line in master.splitlines() if line.endswith(".m3u8")] == ["720p.m3u8"]
    assert "RESOLUTION=1280x720" in master
    assert not list(hls_dir.glob("360p*"))
    _segments_are_playable_gops(hls_dir, "720p", (1280, 720))


def test_hd_upload_gets_a_360p_rung_cut_at_the_forced_keyframes(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``hls_low_rungs``, a 720p phone clip's ladder offers 720p and 360p; the 360p rung (encoded in the
    upload's one ffmpeg command) is 640×360 with sound, every segment starts on a keyframe and lasts one GOP, and the
    keyframes the poster and sprite are made of are the frames a decode of the finished proxy gives."""
    from service.core.config import get_settings

    monkeypatch.setenv("MEDIADESK_HLS_LOW_RUNGS", "true")
    get_settings.cache_clear()
    try:
        clip = _phone_clip(tmp_path)
        (tmp_path / "out").mkdir()
        outputs, hls_dir, analysis = video.transcode(_source(clip), tmp_path / "out", timeout=300)
    finally:
        monkeypatch.delenv("MEDIADESK_HLS_LOW_RUNGS")
        get_settings.cache_clear()
    master = (hls_dir / "master.m3u8").read_text()
    assert [line for line in master.splitlines() if line.endswith(".m3u8")] == ["360p.m3u8", "720p.m3u8"]
    assert "RESOLUTION=640x360" in master
    assert "RESOLUTION=1280x720" in master
    _segments_are_playable_gops(hls_dir, "360p", (640, 360))
    again = frames.extract(outputs[0].path)
    assert [(k.t, k.reason) for k in analysis.keyframes] == [(k.t, k.reason) for k in again.keyframes]
    assert analysis.times == again.times
    assert (analysis.width, analysis.height) == (1280, 720)
    assert analysis.audio_rms_db == again.audio_rms_db
    assert analysis.has_audio


def test_a_failing_frame_reader_neither_blocks_ffmpeg_nor_goes_unnoticed(tmp_path: Path) -> None:
    """The analysis reader dies on its first read: ffmpeg still writes every frame (the pipe is drained) and ends,
    and the reader's error is raised once the command is done, instead of a hang or a silent empty analysis."""
    import ffmpeg
    import pytest

    from workers import ffmpeg as runner

    def broken(pipe: object) -> None:
        raise ValueError("reader broke")

    clip = tmp_path / "clip.mp4"
    media.ffmpeg("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25", "-t", "4", "-c:v", "libx264", "-preset",
                 "ultrafast", "-pix_fmt", "yuv420p", str(clip))
    fifo = tmp_path / "frames.nut"
    args = runner.command(ffmpeg.output(runner.safe_input(clip, "mov").video.filter("format", "rgb24"), str(fifo),
                                        f="nut", vcodec="rawvideo"))  # ≈ 69 MB through a 64 KB pipe
    with pytest.raises(ValueError, match="reader broke"), runner.FramePipe(fifo, broken):
        runner.run(args, timeout=60)
    assert not fifo.exists()
