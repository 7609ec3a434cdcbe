"""Fixtures shared by integration test modules that ask for them by name (defined beside their helpers)."""

from tests.notify_support import robot, smtp, smtp_settings  # noqa: F401  (the notification tests' SMTP server and robot)
