"""The password policy: one check for every place a password is set (admin create and reset, bulk import, the
user's own change, the CLI).

At least 12 characters, not the user name (nor containing it), not one of the commonly used passwords below, and
not made of one class of characters only (all digits, all letters of one case, …). Each refusal has a stable code
and a zh-CN / English reason a person understands.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

MIN_LENGTH = 12

#: Passwords (and stems) people choose first; compared case-insensitively with digits/punctuation stripped too.
COMMON = frozenset({
    "123456789012", "1234567890ab", "password", "password123", "passw0rd", "qwertyuiop", "qwertyuiopas",
    "qwerty123456", "1qaz2wsx3edc", "1q2w3e4r5t6y", "abc123456789", "abcdefghijkl", "iloveyou", "admin",
    "administrator", "welcome", "letmein", "changeme", "mediadesk", "woaini", "woaini1314", "zhongguo",
    "huodongzhou", "zhiyejiaoyu", "asdfghjkl", "zxcvbnm", "aaaaaaaaaaaa", "111111111111", "000000000000",
    "88888888", "666666", "a123456789", "p@ssw0rd", "p@ssword", "superman", "dragon", "monkey", "football",
})


@dataclass(frozen=True)
class PasswordRejected(ValueError):
    """A password the policy refuses: ``code`` is stable, ``zh`` / ``en`` are the reason for a person."""

    code: str
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


def _classes(password: str) -> int:
    kinds = set()
    for ch in password:
        if ch.isdigit():
            kinds.add("digit")
        elif ch.isalpha() and ch.isupper():
            kinds.add("upper")
        elif ch.isalpha() and ch.islower():
            kinds.add("lower")
        elif ch.isalpha():
            kinds.add("letter")  # CJK and other scripts without case
        else:
            kinds.add("other")
    return len(kinds)


def check_password(password: str, username: str = "") -> None:
    """Raise ``PasswordRejected`` with the first rule ``password`` breaks; return quietly when it passes."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected("password_too_short", f"密码至少需要 {MIN_LENGTH} 个字符",
                               f"the password needs at least {MIN_LENGTH} characters")
    folded = unicodedata.normalize("NFKC", password).casefold()
    name = unicodedata.normalize("NFKC", username).strip().casefold()
    if name and (folded == name or (len(name) >= 4 and name in folded)):
        raise PasswordRejected("password_is_username", "密码不能是用户名或包含用户名",
                               "the password must not be or contain the user name")
    stripped = "".join(ch for ch in folded if ch.isalpha())
    if folded in COMMON or stripped in COMMON or len(set(folded)) <= 2:
        raise PasswordRejected("password_common", "该密码过于常见，容易被猜中，请换一个",
                               "this password is too common and easily guessed; choose another")
    if _classes(password) < 2:
        raise PasswordRejected("password_one_class", "密码不能只由一类字符组成（如全是数字或全是小写字母）",
                               "the password must not be all one kind of character (e.g. only digits or only "
                               "lower-case letters)")
