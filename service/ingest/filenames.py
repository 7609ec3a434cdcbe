"""Kept for importers of the old path: the file-name rules live in ``service.core.filenames``."""

from service.core.filenames import MAX_NAME_BYTES, display_filename, sanitize_filename

__all__ = ["MAX_NAME_BYTES", "display_filename", "sanitize_filename"]
