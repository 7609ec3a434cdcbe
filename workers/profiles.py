"""Every encoding setting in one place: image rendition sizes and codecs, video profiles, the HLS ladder, poster and
sprite parameters. Change a rendition here, nowhere else."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageRendition:
    name: str  # rendition name stored on the asset (thumb, thumb_webp, …)
    long_edge: int  # ≈ target size of the longer side, never upscaled
    format: str  # Pillow format name
    mime: str
    ext: str
    options: tuple[tuple[str, object], ...]


# Baseline, not progressive: on a 2560 px photo progressive took 6× the encode time for 5 % fewer bytes.
_JPEG = (("quality", 82), ("optimize", False), ("progressive", False), ("subsampling", "4:2:0"))
# method 2: 0.31 s vs 0.50 s (method 3) and 0.64 s (4) on a 2560 px photo, for 4 % more bytes.
_WEBP = (("quality", 80), ("method", 2))

IMAGE_SIZES: tuple[tuple[str, int], ...] = (("web", 2560), ("preview", 1280), ("thumb", 320))
IMAGE_RENDITIONS: tuple[ImageRendition, ...] = tuple(
    rendition
    for name, edge in IMAGE_SIZES
    for rendition in (
        ImageRendition(name, edge, "JPEG", "image/jpeg", "jpg", _JPEG),
        ImageRendition(f"{name}_webp", edge, "WEBP", "image/webp", "webp", _WEBP),
    )
)


@dataclass(frozen=True)
class VideoProfile:
    """An H.264/AAC MP4 rendition. ``short_side`` caps the shorter display side (vertical video stays vertical)."""

    name: str
    short_side: int
    max_fps: float
    preset: str
    crf: int
    maxrate: str
    bufsize: str
    audio_bitrate: str
    h264_profile: str = "high"
    level: str = "4.1"


PROXY_720P = VideoProfile("proxy_720p", 720, 30, "veryfast", 23, "3M", "6M", "128k", "main", "3.1")
BROADCAST_1080P = VideoProfile("broadcast_1080p", 1080, 60, "fast", 19, "15M", "30M", "192k", "high", "4.2")
VIDEO_PROFILES: tuple[VideoProfile, ...] = (PROXY_720P, BROADCAST_1080P)
#: ``proxy_720p`` is made by ``derive`` for every uploaded video (``workers.steps.video.upload_command``). The
#: broadcast rendition is made on demand (an editor features the video, it joins a collection, or an outlet asks for
#: it): most uploads are never broadcast, and at ``fast`` CRF 19 it cost more than everything else in the video
#: pipeline together (docs/PERFORMANCE.md).
ON_DEMAND_PROFILES: dict[str, VideoProfile] = {BROADCAST_1080P.name: BROADCAST_1080P}

#: Keyframe every GOP_SECONDS in every MP4 (forced), so the HLS ladder can cut segments by stream copy.
GOP_SECONDS = 2
#: EBU R128: integrated loudness -23 LUFS, true peak -1 dBTP (single-pass loudnorm, resampled back to 48 kHz).
LOUDNORM = {"I": -23, "TP": -1, "LRA": 7}
AUDIO_RATE = 48000


@dataclass(frozen=True)
class HlsVariant:
    name: str
    short_side: int
    crf: int
    maxrate: str
    bufsize: str
    audio_bitrate: str
    preset: str = "veryfast"


#: The preview ladder. The top variant is the proxy_720p file cut into segments (no second encode); the smaller
#: ones, only with the ``hls_low_rungs`` setting, are encoded in the proxy's own ffmpeg command from its scaled
#: picture (one decode of the original).
HLS_VARIANTS: tuple[HlsVariant, ...] = (HlsVariant("360p", 360, 26, "900k", "1800k", "96k"),)
HLS_SEGMENT_SECONDS = GOP_SECONDS

#: Keyframes extracted once at derive from the proxy's picture in the upload command (scene changes + one every
#: KEYFRAME_EVERY s, at most KEYFRAME_MAX; frames sampled at ``models.video.ANALYSIS_FPS``), stored as JPEGs under
#: derived/{id}/frames/ and read by screen, dedupe, poster and sprite.
KEYFRAME_EVERY = 2.0
KEYFRAME_MAX = 120
KEYFRAME_JPEG_QUALITY = 90

#: Poster: first sampled keyframe whose mean luma and contrast say "not black, not a flat card".
POSTER_MIN_LUMA = 28.0
POSTER_MAX_LUMA = 235.0
POSTER_MIN_STDDEV = 10.0
#: Sprite (contact sheet): tiles of this width, up to this many keyframes, this many per row.
SPRITE_TILE_WIDTH = 160
SPRITE_MAX_TILES = 100
SPRITE_COLUMNS = 10
POSTER_JPEG_QUALITY = 85

#: Resource limits for every ffmpeg process (RLIMIT_AS counts x264's thread arenas; 6 GiB leaves room for 4K).
FFMPEG_MEMORY_BYTES = 6 * 1024**3
