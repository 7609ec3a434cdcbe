"""The pages' message catalogue: zh-CN first, English via the ``lang`` cookie.

Every code a page shows (statuses, renditions, pipeline steps, audit fields, queues, sorts, provinces) gets its name
here, in one place; finding names come from ``service.core.findings``, reasons from ``service.review.reasons`` and
categories from ``service.ingest.vocabulary``, theme tags from the campaign (their domain owners).
``name(group, code)`` is the one lookup the templates use, so a page never prints a raw code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from markupsafe import Markup, escape
from starlette.requests import Request

from service.core.beijing import BEIJING

LANGS = ("zh", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    "app.name": ("活动周媒体素材平台", "Activity Week media desk"),
    "nav.home": ("首页", "Home"),
    "nav.submissions": ("我的报送", "My submissions"),
    "nav.new_submission": ("新建报送", "New submission"),
    "nav.review": ("审核队列", "Review queue"),
    "nav.dashboard": ("数据看板", "Dashboard"),
    "nav.portal": ("素材库", "Portal"),
    "nav.logout": ("退出登录", "Log out"),
    "nav.lang": ("English", "中文"),
    "nav.menu": ("菜单", "Menu"),
    "login.title": ("登录", "Log in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.failed": ("用户名或密码错误", "Wrong username or password"),
    "login.rate_limited": ("登录尝试过于频繁，请一分钟后再试", "Too many login attempts; try again in a minute"),
    "login.expired": ("页面已过期，请重新登录", "The page expired; please log in again"),
    "login.oidc.off": ("未配置统一身份认证", "Sign-in through an identity provider is not configured"),
    "login.oidc.provider_unreachable": (
        "无法连接身份认证服务，请稍后再试",
        "The identity provider cannot be reached; try again later",
    ),
    "login.oidc.provider_mismatch": (
        "身份认证服务配置有误，请联系管理员",
        "The identity provider is misconfigured; contact an administrator",
    ),
    "login.oidc.provider_refused": ("身份认证服务拒绝了登录", "The identity provider refused the sign-in"),
    "login.oidc.state_invalid": (
        "登录请求已过期或无效，请重新登录",
        "The sign-in request expired or is invalid; start again",
    ),
    "login.oidc.token_exchange_failed": (
        "无法完成身份认证，请重新登录",
        "The sign-in could not be completed; start again",
    ),
    "login.oidc.token_invalid": ("身份凭证校验失败", "The identity token failed verification"),
    "login.oidc.subject_mismatch": (
        "该账号已绑定其他身份，请联系管理员",
        "This account is bound to another identity; contact an administrator",
    ),
    "login.oidc.unknown_user": (
        "系统中没有与该身份对应的账号，请联系管理员开通",
        "No account matches this identity; ask an administrator for one",
    ),
    "login.oidc.user_inactive": ("该账号已停用", "This account has been deactivated"),
    "login.oidc.button": ("统一身份认证登录", "Sign in with the identity provider"),
    "home.welcome": ("欢迎", "Welcome"),
    "error.title": ("出错了", "Something went wrong"),
    "error.back": ("返回首页", "Back to the start page"),
    "error.forbidden": ("无权访问该页面", "This page is not available for your role"),
    "time.note": ("页面上的时间均为北京时间（UTC+8）", "All times on this page are Beijing time (UTC+8)"),
    "time.beijing": ("北京时间", "Beijing time"),
    "unit.seconds": ("秒", "s"),
    "unit.bytes": ("字节", "bytes"),
    "common.all": ("全部", "All"),
    "common.none": ("暂无", "None yet"),
    "common.yes": ("是", "Yes"),
    "common.no": ("否", "No"),
    "common.save": ("保存", "Save"),
    "common.cancel": ("取消", "Cancel"),
    "common.show": ("查看", "Show"),
    "common.apply": ("执行", "Apply"),
    "common.delete": ("删除", "Delete"),
    "common.undo": ("撤销", "Undo"),
    "common.play": ("播放", "Play"),
    # --- roles -----------------------------------------------------------------------------------------------------
    "role.submitter": ("报送单位", "Submitter"),
    "role.editor": ("编辑", "Editor"),
    "role.admin": ("管理员", "Admin"),
    "role.outlet": ("媒体", "Outlet"),
    # --- media kinds -----------------------------------------------------------------------------------------------
    "kind.image": ("照片", "Photo"),
    "kind.video": ("视频", "Video"),
    # --- the editors' decision (review_status) ---------------------------------------------------------------------
    "review_status.pending": ("待审核", "Awaiting review"),
    "review_status.approved": ("已采用", "Approved"),
    "review_status.rejected": ("不采用", "Rejected"),
    "review_status.featured": ("精选", "Featured"),
    "review_status.returned": ("已退回", "Returned"),
    "review_status.all": ("全部", "All"),
    # --- the pipeline (asset status, job status, steps, queues) ----------------------------------------------------
    "asset_status.uploading": ("上传中", "Uploading"),
    "asset_status.stored": ("已接收", "Received"),
    "asset_status.processing": ("处理中", "Processing"),
    "asset_status.ready": ("处理完成", "Ready"),
    "asset_status.rejected_invalid": ("文件不合格", "Invalid file"),
    "asset_status.failed": ("处理失败", "Failed"),
    "job_status.queued": ("排队中", "Queued"),
    "job_status.running": ("进行中", "Running"),
    "job_status.done": ("完成", "Done"),
    "job_status.failed": ("失败", "Failed"),
    "step.verify": ("校验文件", "Checking the file"),
    "step.probe": ("读取参数", "Reading the file"),
    "step.derive": ("生成预览和下载版本", "Making previews and downloads"),
    "step.image": ("生成图片版本", "Making picture sizes"),
    "step.video": ("转码视频", "Transcoding the video"),
    "step.frames": ("抽取关键帧", "Sampling frames"),
    "step.screen": ("内容检测", "Screening"),
    "step.dedupe": ("查找重复", "Finding duplicates"),
    "step.tag": ("自动标签", "Tagging"),
    "step.broadcast": ("生成广播版", "Making the broadcast version"),
    "queue.ingest": ("接收队列", "Intake queue"),
    "queue.media": ("转码队列", "Media queue"),
    "queue.ml": ("识别队列", "Recognition queue"),
    "queue.default": ("其他任务", "Other jobs"),
    # --- renditions ------------------------------------------------------------------------------------------------
    "rendition.original": ("原始文件", "Original file"),
    "rendition.web": ("网页版 JPEG · 2560 像素", "Web JPEG · 2560 px"),
    "rendition.web_webp": ("网页版 WebP · 2560 像素", "Web WebP · 2560 px"),
    "rendition.preview": ("预览图 JPEG · 1280 像素", "Preview JPEG · 1280 px"),
    "rendition.preview_webp": ("预览图 WebP · 1280 像素", "Preview WebP · 1280 px"),
    "rendition.thumb": ("缩略图 JPEG · 320 像素", "Thumbnail JPEG · 320 px"),
    "rendition.thumb_webp": ("缩略图 WebP · 320 像素", "Thumbnail WebP · 320 px"),
    "rendition.proxy_720p": ("预览视频 MP4 · 720p", "Preview video MP4 · 720p"),
    "rendition.broadcast_1080p": ("广播级视频 MP4 · 1080p", "Broadcast video MP4 · 1080p"),
    "rendition.poster": ("视频封面", "Video poster"),
    "rendition.sprite": ("关键帧拼图", "Keyframe strip"),
    # --- queue sort orders -----------------------------------------------------------------------------------------
    "sort.newest": ("最新上传", "Newest first"),
    "sort.oldest": ("最早上传", "Oldest first"),
    "sort.quality": ("质量最高", "Best quality"),
    "sort.risk": ("风险最高", "Highest risk"),
    # --- audit trail -----------------------------------------------------------------------------------------------
    "audit.action.approve": ("采用", "Approved"),
    "audit.action.reject": ("不采用", "Rejected"),
    "audit.action.feature": ("精选", "Featured"),
    "audit.action.return": ("退回补充", "Returned"),
    "audit.action.bulk_approve": ("批量采用", "Approved in bulk"),
    "audit.action.bulk_reject": ("批量不采用", "Rejected in bulk"),
    "audit.action.bulk_feature": ("批量精选", "Featured in bulk"),
    "audit.action.bulk_return": ("批量退回", "Returned in bulk"),
    "audit.action.edit": ("修改说明或标签", "Edited caption or tags"),
    "audit.action.cluster_keep": ("重复组中保留", "Kept in a duplicate cluster"),
    "audit.action.cluster_duplicate": ("标记为重复", "Marked as a duplicate"),
    "audit.action.undo": ("撤销决定", "Decision undone"),
    "audit.action.caption": ("报送单位修改文件说明", "Caption written by the submitter"),
    "audit.action.cluster_reject": ("重复组中标记为重复", "Marked as a duplicate in its cluster"),
    "audit.action.replaced": ("报送单位上传了替换文件", "Replaced by a new upload"),
    "audit.action.replacement": ("替换被退回的文件", "Replaces a returned file"),
    "audit.field.replaced_by": ("替换文件", "Replacement"),
    "audit.field.replaces": ("被替换的文件", "Replaced file"),
    "audit.action.resubmit": ("报送单位修改后重新提交", "Fixed and resubmitted by the submitter"),
    "audit.field.review_status": ("审核结果", "Decision"),
    "audit.field.reason_code": ("原因", "Reason"),
    "audit.field.reason_text": ("说明", "Note"),
    "audit.field.caption": ("图片说明", "Caption"),
    "audit.field.credit": ("署名", "Credit"),
    "audit.field.headline": ("标题", "Headline"),
    "audit.field.tags": ("标签", "Tags"),
    "audit.field.cluster_id": ("重复组", "Duplicate cluster"),
    # --- tag sources -----------------------------------------------------------------------------------------------
    "tag_source.submitter": ("报送单位", "submitter"),
    "tag_source.metadata": ("元数据", "metadata"),
    "tag_source.ocr": ("图中文字", "text in the picture"),
    "tag_source.visual": ("画面识别", "visual recognition"),
    "tag_source.editor": ("编辑", "editor"),
}

#: English names of the province-level codes (the Chinese names live in service.review.regions).
PROVINCES_EN: dict[str, str] = {
    "11": "Beijing", "12": "Tianjin", "13": "Hebei", "14": "Shanxi", "15": "Inner Mongolia", "21": "Liaoning",
    "22": "Jilin", "23": "Heilongjiang", "31": "Shanghai", "32": "Jiangsu", "33": "Zhejiang", "34": "Anhui",
    "35": "Fujian", "36": "Jiangxi", "37": "Shandong", "41": "Henan", "42": "Hubei", "43": "Hunan",
    "44": "Guangdong", "45": "Guangxi", "46": "Hainan", "50": "Chongqing", "51": "Sichuan", "52": "Guizhou",
    "53": "Yunnan", "54": "Tibet", "61": "Shaanxi", "62": "Gansu", "63": "Qinghai", "64": "Ningxia",
    "65": "Xinjiang", "66": "Xinjiang Production and Construction Corps", "71": "Taiwan", "81": "Hong Kong",
    "82": "Macao",
}

Translator = Callable[[str], str]


def lang_of(request: Request) -> str:
    lang = request.cookies.get("lang", "zh")
    return lang if lang in LANGS else "zh"


def translator(lang: str) -> Translator:
    index = LANGS.index(lang) if lang in LANGS else 0

    def t(key: str) -> str:
        pair = MESSAGES.get(key)
        return pair[index] if pair else key

    return t


def register(messages: dict[str, tuple[str, str]]) -> None:
    """Domain pages add their own strings at import time (keeps this file from growing without bound)."""
    MESSAGES.update(messages)


def name(group: str, code: object, lang: str) -> str:
    """The person's word for ``code`` of ``group`` (``review_status``, ``rendition``, ``finding``, ``reason`` …).

    An unknown code is named generically rather than printed raw (a new worker step must not leak onto a page).
    """
    raw = str(getattr(code, "value", code) or "")
    en = lang == "en"
    if group == "finding":
        from service.core.findings import FINDINGS

        found = FINDINGS.get(raw)
        return found.name(lang) if found else ("Other finding" if en else "其他检测结果")
    if group == "reason":
        from service.review.reasons import REASONS

        reason = REASONS.get(raw)
        return (reason[1 if en else 0]) if reason else ""
    if group == "category":
        from service.ingest.vocabulary import CATEGORIES

        category = CATEGORIES.get(raw)
        return category[1 if en else 0] if category else ("Other" if en else "其他")
    if group == "theme_tag":
        from service.campaigns.seed import seed_theme_names_en  # outside a campaign's page: the seed's names

        return seed_theme_names_en().get(raw, raw) if en else raw
    if group == "province":
        from service.review.regions import PROVINCES

        code2 = raw[:2]
        if not code2:
            return "Not given" if en else "未填写"
        return PROVINCES_EN.get(code2, code2) if en else PROVINCES.get(code2, code2)
    pair = MESSAGES.get(f"{group}.{raw}")
    if pair:
        return pair[1 if en else 0]
    if group == "rendition" and raw.startswith("hls"):
        return "Streaming segments" if en else "分段流媒体"
    return "Other" if en else "其他"


def detail_text(detail: str | None, lang: str) -> str:
    """One language of a problem's ``"zh / en"`` detail."""
    if not detail:
        return ""
    zh, sep, en = detail.partition(" / ")
    return (en or zh) if lang == "en" and sep else zh


def beijing(value: datetime | date | None, lang: str, fmt: str = "%Y-%m-%d %H:%M") -> Markup:
    """A ``<time>`` element in Beijing time, labelled (the API keeps ISO 8601 with offsets)."""
    if value is None:
        return Markup("—")
    if isinstance(value, datetime):
        moment = value.astimezone(BEIJING) if value.tzinfo else value.replace(tzinfo=BEIJING)
        label = "Beijing time" if lang == "en" else "北京时间"
        return Markup('<time datetime="{}" title="{}">{}</time>').format(
            moment.isoformat(timespec="seconds"), label, moment.strftime(fmt))
    return Markup("<time>{}</time>").format(escape(value.isoformat()))
