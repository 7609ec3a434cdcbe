"""Hypothesis profiles: the suite's bounded default and ``HYPOTHESIS_PROFILE=fuzz`` for ``make fuzz``."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("suite", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))
