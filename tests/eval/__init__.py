"""Evaluation sets (``make eval``), built from ``../shared/media``; one module per screening concern."""
