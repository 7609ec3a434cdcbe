"""Campaign retention: policies, the dry-run report, and the run request (the purge itself: workers/retention.py)."""
