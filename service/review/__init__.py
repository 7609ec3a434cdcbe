"""Editorial review: the queue, claims, decisions, audit trail, saved filters and the dashboard."""
