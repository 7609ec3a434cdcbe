"""Celery workers: the asset pipeline (probe, derive, screen, dedupe, tag) and periodic jobs."""
