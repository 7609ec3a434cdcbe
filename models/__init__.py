"""Inference only: lazily loaded, offline models and the rules and data they use.

Never imports ``service`` or ``workers`` (ARCHITECTURE.md "Import direction"); callers pass plain values in.
"""

from __future__ import annotations

import os


def _no_telemetry() -> None:
    """onnxruntime (1.32, Linux too) sends usage events to mobile.events.data.microsoft.com when a session starts:
    models run offline, so switch that off before any session exists (found by the hostile-media proxy sentinel).
    ``ORT_DISABLE_TELEMETRY`` is what the library reads on Linux; the API call covers the rest."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    try:
        import onnxruntime
    except ImportError:  # the API image installs no model runtime
        return
    onnxruntime.disable_telemetry_events()


_no_telemetry()
