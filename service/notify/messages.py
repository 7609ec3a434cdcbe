"""What a notification says, in the recipient's language (zh-CN first): title, lines, link; as in-app text, e-mail
(subject + plain text + HTML) and team-chat markdown.

Every ``EventKind`` is rendered generically from ``EVENT_NAMES`` and well-known ``data`` keys (``title``, ``reason``,
``deadline``, ``days_left``, ``report_kind``, ``path``), so a kind added by another domain needs no code here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from html import escape
from typing import Any

from service.core.beijing import BEIJING
from service.core.events import EVENT_NAMES, EventKind

#: subject kind -> the page it is about (``{id}`` filled in); ``data["path"]`` wins when the publisher gives one.
PAGES: dict[str, str] = {
    "submission": "/submissions/{id}",
    "collection": "/portal/collections/{id}",
    "campaign": "/submissions",
}
REPORT_KINDS: dict[str, tuple[str, str]] = {
    "plan": ("活动方案", "activity plan"),
    "case": ("典型案例", "typical case"),
    "manuscript": ("稿件", "manuscript"),
    "summary": ("活动总结", "summary"),
}


@dataclass(frozen=True)
class Message:
    title: str
    lines: tuple[str, ...]
    link: str  # a path on this site

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def kind_name(kind: str, lang: str) -> str:
    try:
        names = EVENT_NAMES[EventKind(kind)]
    except ValueError:
        return "Notification" if lang == "en" else "通知"
    return names[1] if lang == "en" else names[0]


def _date_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def link_for(subject_kind: str, subject_id: object, data: dict[str, Any]) -> str:
    path = data.get("path")
    if isinstance(path, str) and path.startswith("/") and not path.startswith("//"):
        return path
    template = PAGES.get(subject_kind)
    return template.format(id=subject_id) if template and subject_id else "/notifications"


def compose(kind: str, subject_kind: str, subject_id: object, data: dict[str, Any], lang: str) -> Message:
    """The notification of one event for one reader."""
    en = lang == "en"
    name = kind_name(kind, lang)
    about = str(data.get("title") or data.get("filename") or "").strip()
    lines: list[str] = []
    report_kind = REPORT_KINDS.get(str(data.get("report_kind") or ""))
    if report_kind:
        lines.append(f"{'Kind' if en else '类型'}{': ' if en else '：'}{report_kind[1 if en else 0]}")
    if about:
        lines.append(f"{'About' if en else '事项'}{': ' if en else '：'}{about}")
    reason = data.get("reason_en" if en else "reason") or data.get("reason")
    if reason:
        lines.append(f"{'Reason' if en else '原因'}{': ' if en else '：'}{reason}")
    if data.get("advice"):
        lines.append(f"{'What to do' if en else '处理建议'}{': ' if en else '：'}{data['advice']}")
    if data.get("deadline"):
        days = data.get("days_left")
        when = _date_text(data["deadline"])
        if en:
            lines.append(f"Deadline: {when} (Beijing time)" + (f", {days} day(s) left" if days is not None else ""))
        else:
            lines.append(f"截止日期：{when}（北京时间）" + (f"，还剩 {days} 天" if days is not None else ""))
    if data.get("available_from"):
        label = "Downloadable from" if en else "可下载时间"
        lines.append(f"{label}{': ' if en else '：'}{_date_text(data['available_from'])}")
    title = f"{name}: {about}" if en and about else (f"{name}：{about}" if about else name)
    return Message(title=title[:300], lines=tuple(lines), link=link_for(subject_kind, subject_id, data))


def combine(kind: str, parts: list[Message], lang: str) -> Message:
    """One message for several events of one kind about one subject (a bulk action): each listed with its lines."""
    en = lang == "en"
    name = kind_name(kind, lang)
    lines: list[str] = []
    for part in parts[:50]:
        lines.append(f"· {part.title}")
        lines += [f"  {line}" for line in part.lines if not line.startswith(("About", "事项"))]
    if len(parts) > 50:
        lines.append(f"… and {len(parts) - 50} more" if en else f"…… 另有 {len(parts) - 50} 项")
    title = f"{name} ({len(parts)})" if en else f"{name}（{len(parts)} 项）"
    links = {part.link for part in parts}
    return Message(title=title, lines=tuple(lines), link=parts[0].link if len(links) == 1 else "/notifications")


def absolute(base_url: str, link: str) -> str:
    return base_url.rstrip("/") + link


def email(message: Message, base_url: str, lang: str) -> dict[str, str]:
    """Subject, plain text and HTML of one e-mail."""
    url = absolute(base_url, message.link)
    en = lang == "en"
    footer = ("You receive this because of your notification settings on the Activity Week media desk: "
              if en else "您收到此邮件是因为您在活动周媒体素材平台的通知设置：")
    settings_url = absolute(base_url, "/notifications")
    open_label = "Open" if en else "查看详情"
    text = "\n".join([message.title, "", *message.lines, "", f"{open_label}: {url}", "", footer + settings_url])
    items = "".join(f"<p>{escape(line)}</p>" for line in message.lines)
    html = (f'<html><body><h2>{escape(message.title)}</h2>{items}<p><a href="{escape(url)}">{open_label}</a></p>'
            f'<p style="color:#666;font-size:12px">{escape(footer)}<a href="{escape(settings_url)}">'
            f"{escape(settings_url)}</a></p></body></html>")
    prefix = "[Activity Week] " if en else "【活动周】"
    return {"subject": prefix + message.title, "text": text, "html": html}


def digest_email(entries: list[tuple[datetime, Message]], base_url: str, lang: str, day: date) -> dict[str, str]:
    """One e-mail with the day's notifications, oldest first."""
    en = lang == "en"
    subject = (f"[Activity Week] Daily digest {day.isoformat()}: {len(entries)} notification(s)" if en
               else f"【活动周】{day.isoformat()} 通知汇总（{len(entries)} 条）")
    text_parts, html_parts = [subject, ""], [f"<html><body><h2>{escape(subject)}</h2><ol>"]
    for at, message in entries:
        url = absolute(base_url, message.link)
        when = at.astimezone(BEIJING).strftime("%H:%M")
        text_parts += [f"{when} {message.title}", *(f"  {line}" for line in message.lines), f"  {url}", ""]
        items = "<br>".join(escape(line) for line in message.lines)
        html_parts.append(f'<li><b>{when}</b> <a href="{escape(url)}">{escape(message.title)}</a>'
                          f"{'<br>' + items if items else ''}</li>")
    html_parts.append("</ol></body></html>")
    return {"subject": subject, "text": "\n".join(text_parts), "html": "".join(html_parts)}


def markdown(message: Message, base_url: str) -> str:
    """The robot message body (both robots read this markdown subset: headings, bold, links)."""
    url = absolute(base_url, message.link)
    body = "\n".join(f"> {line}" for line in message.lines)
    return f"### {message.title}\n{body}\n[查看详情]({url})" if body else f"### {message.title}\n[查看详情]({url})"
