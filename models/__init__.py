"""Inference only: lazily loaded, offline models and the rules and data they use.

Never imports ``service`` or ``workers`` (ARCHITECTURE.md "Import direction"); callers pass plain values in.
"""
