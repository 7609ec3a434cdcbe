"""The password policy: each rule refuses with its own code and a zh-CN / English reason."""

from __future__ import annotations

import pytest

from service.core.passwords import PasswordRejected, check_password


@pytest.mark.parametrize(("password", "username", "code"), [
    ("Short1!", "wang", "password_too_short"),
    ("zhangsan-2026-ok", "zhangsan", "password_is_username"),
    ("ＺＨＡＮＧＳＡＮ-2026-ok", "zhangsan", "password_is_username"),  # full-width forms fold to the name
    ("Password123!!", "wang", "password_common"),
    ("qwertyuiop12", "wang", "password_common"),
    ("aaaaaaaaaaaaaa", "wang", "password_common"),
    ("837461920374", "wang", "password_one_class"),
    ("abcdxyzwqpmnlk", "wang", "password_one_class"),
])
def test_refusals_name_the_rule(password: str, username: str, code: str) -> None:
    with pytest.raises(PasswordRejected) as refused:
        check_password(password, username)
    assert refused.value.code == code
    assert refused.value.zh
    assert refused.value.en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in refused.value.zh)


@pytest.mark.parametrize("password", ["correct-horse-battery", "技能让生活更美好2023", "Tr1cky-Lantern-88"])
def test_good_passwords_pass(password: str) -> None:
    check_password(password, "wang")


def test_cli_refuses_a_weak_password() -> None:
    from service.admin.service import AdminError, create_user

    with pytest.raises(AdminError, match="12"):
        create_user(None, username="x", role=None, org="none", password="short")  # type: ignore[arg-type]
