"""A plan's contact fields: the theme website address (专题网站网址) and the liaison's phone and e-mail.

Each check returns the cleaned value or raises ``ValueError`` with a zh-CN / English message (pydantic shows it).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_URL_CHARS = 500

#: 中国大陆手机号 (+86 optional) or 固定电话 (area code 0xx/0xxx, 7–8 digits, optional extension).
_MOBILE = re.compile(r"^(?:\+?86[- ]?)?1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(?:\+?86[- ]?)?(?:\(0\d{2,3}\)|0\d{2,3})[- ]?\d{7,8}(?:[-转#]\d{1,6})?$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$")
_HOST = re.compile(r"^(?:[A-Za-z0-9\u00a1-\uffff](?:[A-Za-z0-9\u00a1-\uffff-]{0,61}[A-Za-z0-9\u00a1-\uffff])?\.)+"
                   r"[A-Za-z\u00a1-\uffff]{2,63}$|^\d{1,3}(?:\.\d{1,3}){3}$")


def safe_url(value: str) -> bool:
    """An absolute http/https address with a host name, no credentials, no spaces or control characters."""
    if not value or len(value) > MAX_URL_CHARS or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return False
    try:
        parts = urlsplit(value)
        port = parts.port  # raises on a bad port
    except ValueError:
        return False
    del port
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return False
    return bool(_HOST.match(parts.hostname))


def check_url(value: str) -> str:
    value = value.strip()
    if not safe_url(value):
        raise ValueError(f"专题网站网址应以 http:// 或 https:// 开头、不超过 {MAX_URL_CHARS} 个字符（如 "
                         "https://www.example.edu.cn/zjhdz） / the website address must be an http or https address "
                         f"of at most {MAX_URL_CHARS} characters")
    return value


def check_phone(value: str) -> str:
    value = value.strip().replace("（", "(").replace("）", ")").replace("－", "-")
    if not (_MOBILE.match(value) or _LANDLINE.match(value)):
        raise ValueError("联系电话应为手机号（如 13812345678）或带区号的固定电话（如 010-66096114） "
                         "/ the phone must be "
                         "a Chinese mobile number or a landline with its area code")
    return value


def check_email(value: str) -> str:
    value = value.strip()
    if len(value) > 200 or not _EMAIL.match(value):
        raise ValueError("电子邮箱格式不正确（如 liaison@example.edu.cn） / the e-mail address is not valid")
    return value
