"""Video renditions in-process (no servers): VFR normalised to CFR, poster skips a black opening, sprite index."""

from __future__ import annotations

import json
from pathlib import Path

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
    outputs, _ = video.transcode(_source(vfr), tmp_path, timeout=300)
    for output in outputs:
        result = probe_video(output.path, "mov")
        assert result.info["variable_frame_rate"] is False, output.name
        assert (result.width, result.height) == (320, 240)


def test_poster_skips_black_opening_and_sprite_has_an_index(tmp_path: Path) -> None:
    clip = tmp_path / "fade-in.mp4"
    media.ffmpeg("-f", "lavfi", "-i", "color=black:size=320x240:rate=25:duration=2", "-f", "lavfi",
                 "-i", "testsrc2=size=320x240:rate=25:duration=4", "-filter_complex", "[0:v][1:v]concat=n=2:v=1",
                 "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(clip))
    outputs, hls_dir = video.transcode(_source(clip), tmp_path, timeout=300)
    assert [o.name for o in outputs] == ["proxy_720p"]  # broadcast_1080p is made on demand, not at upload
    proxy = outputs[0]
    keyframes = frames.as_keyframes(frames.extract(proxy.path))
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
