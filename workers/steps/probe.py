"""``probe``: type the original by content, read its technical metadata, and refuse what we cannot or must not
process (ARCHITECTURE.md "The asset pipeline"). Runs on the light ``ingest`` queue."""

from __future__ import annotations

from sqlalchemy.orm import Session

from service.db.asset import Asset, AssetKind, Job
from service.db.campaign import Campaign
from workers.image_probe import probe_image
from workers.pipeline import register
from workers.rejections import Rejected
from workers.scratch import fetch_original, scratch_dir
from workers.sniff import sniff
from workers.video_probe import probe_video

#: Containers round durations (a "1 s" clip at 23.976 fps lasts 0.959 s): don't refuse on rounding.
DURATION_SLACK = 0.05


@register("probe", soft_time_limit=600, time_limit=660)
def probe(session: Session, asset: Asset, job: Job) -> None:
    campaign = session.get(Campaign, asset.campaign_id)
    with scratch_dir("probe-") as folder:
        path = fetch_original(asset.original_key, folder)
        found = sniff(path)
        if found.kind == "image":
            image = probe_image(path)
            if campaign is not None and image.width * image.height < campaign.min_image_pixels:
                raise Rejected("resolution_too_low",
                               f"图片分辨率过低（{image.width}×{image.height}），"
                               f"至少需要 {campaign.min_image_pixels / 1e6:.2f} 百万像素",
                               f"image resolution too low ({image.width}×{image.height}); at least "
                               f"{campaign.min_image_pixels / 1e6:.2f} MP required")
            asset.kind, asset.mime = AssetKind.image, image.mime
            asset.width, asset.height, asset.duration = image.width, image.height, None
            asset.capture_time, gps, info = image.capture_time, image.gps, image.info
        else:
            video = probe_video(path, found.ffmpeg_format or "", found.mime)
            _check_video_limits(campaign, video.width, video.height, video.duration)
            asset.kind, asset.mime = AssetKind.video, video.mime
            asset.width, asset.height, asset.duration = video.width, video.height, round(video.duration, 3)
            asset.capture_time, gps, info = video.capture_time, video.gps, video.info
            info["ffmpeg_format"] = found.ffmpeg_format
    asset.gps_lat, asset.gps_lon = gps if gps else (None, None)
    asset.probe = {"kind": found.kind, "container": found.container, **info}


def _check_video_limits(campaign: Campaign | None, width: int, height: int, duration: float) -> None:
    if campaign is None:
        return
    if min(width, height) < campaign.min_video_height:
        raise Rejected("resolution_too_low",
                       f"视频分辨率过低（{width}×{height}），短边至少需要 {campaign.min_video_height} 像素",
                       f"video resolution too low ({width}×{height}); the short side needs at least "
                       f"{campaign.min_video_height} px")
    if duration + DURATION_SLACK < campaign.min_video_seconds:
        raise Rejected("video_too_short", f"视频过短（{duration:.1f} 秒），至少需要 {campaign.min_video_seconds:g} 秒",
                       f"video too short ({duration:.1f} s); at least {campaign.min_video_seconds:g} s required")
    if duration > campaign.max_video_seconds:
        raise Rejected("video_too_long", f"视频过长（{duration:.0f} 秒），最长 {campaign.max_video_seconds:g} 秒",
                       f"video too long ({duration:.0f} s); at most {campaign.max_video_seconds:g} s allowed")
