"""A tiny message catalogue: zh-CN first, English via the ``lang`` cookie."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

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
    "login.title": ("登录", "Log in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Log in"),
    "login.failed": ("用户名或密码错误", "wrong username or password"),
    "login.rate_limited": ("登录尝试过于频繁，请一分钟后再试", "too many login attempts; try again in a minute"),
    "login.expired": ("页面已过期，请重新登录", "the page expired; please log in again"),
    "home.welcome": ("欢迎", "Welcome"),
    "error.title": ("出错了", "Something went wrong"),
    "error.back": ("返回首页", "Back to the start page"),
    "role.submitter": ("报送单位", "submitter"),
    "role.editor": ("编辑", "editor"),
    "role.admin": ("管理员", "admin"),
    "role.outlet": ("媒体", "outlet"),
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
