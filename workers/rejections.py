"""``Rejected``: the typed result of a step when the *file* is at fault (paperless-ngx's "invalid" result)."""

from __future__ import annotations


class Rejected(Exception):  # noqa: N818 - a result, named as the user sees it
    """The file itself is unacceptable; the asset ends ``rejected_invalid`` and the reason is shown to the submitter.

    ``code`` is stable (clients and tests match on it); ``zh`` and ``en`` are the human reason.
    """

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(f"{code}: {en}")
        self.code, self.zh, self.en = code, zh, en

    @property
    def detail(self) -> str:
        return f"{self.zh} / {self.en}"
