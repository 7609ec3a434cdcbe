"""Takedown: withdraw an asset everywhere at once, purge its bytes and text after a grace period."""
