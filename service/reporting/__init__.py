"""Reports (plans, typical cases, manuscripts, summaries): the domain on ``service.db.reporting``.

``service/reports/`` is something else: the ministry's findings and week exports.
"""
