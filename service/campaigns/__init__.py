"""Campaigns: the Activity Weeks (dates, deadlines, upload limits), their theme tags and taxonomy, and the ministry's
week report."""
