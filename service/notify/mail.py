"""E-mail out: SMTP from settings (STARTTLS, SSL or plain; AUTH when a user is set), or, with no SMTP server outside
production (``mediadesk up``, tests), a Maildir under the data folder (``DATA_DIR/mail/new/*``: one .eml each)."""

from __future__ import annotations

import mailbox
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from service.core.config import Settings


class MailError(Exception):
    """A message that did not leave (connection, refusal, no server configured): retried."""


def build(*, to: str, subject: str, text: str, html: str, sender: str, key: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=key.replace(":", ".")[:60], domain="mediadesk")
    message["X-Mediadesk-Delivery"] = key  # lets a receiving side (and tests) spot a duplicate
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def send(settings: Settings, message: EmailMessage) -> str:
    """Send (or file) one message; returns where it went."""
    if not settings.smtp_host:
        if settings.env == "production":
            raise MailError("MEDIADESK_SMTP_HOST is not set")
        folder = settings.mail_dir
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            box = mailbox.Maildir(str(folder), create=True)  # creates new/, cur/, tmp/ when the folder is absent
            for sub in ("new", "cur", "tmp"):
                (folder / sub).mkdir(parents=True, exist_ok=True)
            box.add(message)
            box.close()
        except OSError as exc:
            raise MailError(f"mail folder {folder}: {exc}") from exc
        return f"maildir:{folder}"
    try:
        client: smtplib.SMTP
        timeout = settings.smtp_timeout_seconds
        if settings.smtp_security == "ssl":
            client = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=timeout,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        with client:
            if settings.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                client.login(settings.smtp_user, settings.smtp_password or "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{type(exc).__name__}: {exc}") from exc
    return f"smtp:{settings.smtp_host}"
