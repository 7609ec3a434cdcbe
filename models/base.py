"""A small inference-model base (immich's pattern): lazy load under a lock, ``_predict`` per subclass, unload after
idle, offline only, and a process-wide registry that ``mediadesk models list`` reports from. Every ONNX Runtime
session is made here (``onnx_session``): threads per queue, graph optimisation, hardware execution providers."""

from __future__ import annotations

import os
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")

#: Idle models are dropped after this many seconds (a worker keeps its hot models; a rarely used one frees RAM).
DEFAULT_IDLE_SECONDS = float(os.environ.get("MEDIADESK_MODEL_IDLE_SECONDS", "900"))


def model_dir() -> Path | None:
    """``MEDIADESK_MODEL_DIR``: local folder with transformers models; models never download at run time."""
    value = os.environ.get("MEDIADESK_MODEL_DIR")
    return Path(value) if value else None


# --- ONNX Runtime: every session is created here -------------------------------------------------------------------

#: Hardware execution providers, best first; ``AzureExecutionProvider`` (a remote endpoint) is never chosen.
HARDWARE_PROVIDERS = (
    "CUDAExecutionProvider",
    "ROCMExecutionProvider",
    "MIGraphXExecutionProvider",
    "DmlExecutionProvider",
    "CoreMLExecutionProvider",
    "OpenVINOExecutionProvider",
)
CPU = "CPUExecutionProvider"


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def ml_threads() -> int:
    """Intra-op threads per session: ``MEDIADESK_ML_THREADS``, else the cores this process may use divided by the
    ml worker's processes (``MEDIADESK_ML_CONCURRENCY``, default one per core), at least 1: threads × processes
    never oversubscribe the cores."""
    value = int(os.environ.get("MEDIADESK_ML_THREADS") or 0)
    if value > 0:
        return value
    cores = usable_cores()
    processes = int(os.environ.get("MEDIADESK_ML_CONCURRENCY") or 0) or cores
    return max(1, cores // processes)


def ml_providers(available: list[str] | None = None) -> list[str]:
    """Execution providers for new sessions: ``MEDIADESK_ML_PROVIDERS`` (comma-separated names, or ``cpu``), else
    every hardware provider this onnxruntime build has (CUDA, ROCm, DirectML, CoreML, OpenVINO), then the CPU."""
    import onnxruntime

    have = list(available if available is not None else onnxruntime.get_available_providers())
    wanted = os.environ.get("MEDIADESK_ML_PROVIDERS", "auto").strip()
    if wanted.lower() == "cpu":
        return [CPU]
    if wanted and wanted.lower() != "auto":
        chosen = [p.strip() for p in wanted.split(",") if p.strip() in have]
    else:
        chosen = [p for p in HARDWARE_PROVIDERS if p in have]
    return [*chosen, CPU] if CPU not in chosen else chosen


def session_options(threads: int | None = None) -> Any:
    """Options every session shares: intra-op threads from ``ml_threads()``, one inter-op thread (the models are
    sequential graphs), all graph optimisations, sequential execution."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or ml_threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return options


def onnx_session(model: str | Path | bytes, threads: int | None = None) -> Any:
    """An ``onnxruntime.InferenceSession`` for ``model`` (a path or the serialised model) with the shared options
    and the automatically chosen execution providers."""
    import onnxruntime

    source = model if isinstance(model, bytes) else str(model)
    return onnxruntime.InferenceSession(source, session_options(threads), providers=ml_providers())


class NotConfigured(RuntimeError):  # noqa: N818 - a state, reported as a finding
    """The model's weights are not available on this machine (an optional model without its directory)."""


@dataclass(frozen=True)
class ModelInfo:
    name: str
    task: str
    source: str
    version: str
    configured: bool
    loaded: bool


class InferenceModel(ABC, Generic[In, Out]):
    """Subclasses set ``name``/``task`` and implement ``_load`` (return the loaded object) and ``_predict``."""

    name: ClassVar[str]
    task: ClassVar[str]

    def __init__(self, idle_seconds: float = DEFAULT_IDLE_SECONDS) -> None:
        self._lock = threading.Lock()
        self._model: Any = None
        self._last_used = 0.0
        self.idle_seconds = idle_seconds

    # subclass contract --------------------------------------------------------------------------------------------
    @abstractmethod
    def _load(self) -> Any:
        """Load weights (offline); raise ``NotConfigured`` when they are not on this machine."""

    @abstractmethod
    def _predict(self, model: Any, inputs: In) -> Out:
        """Run inference with the loaded object."""

    def source(self) -> str:
        """Where the weights come from, in words (wheel name or model directory)."""
        return "wheel"

    def version(self) -> str:
        return "unknown"

    def configured(self) -> bool:
        return True

    # public -------------------------------------------------------------------------------------------------------
    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            self._last_used = time.monotonic()
            return self._model

    def predict(self, inputs: In) -> Out:
        model = self.load()
        try:
            return self._predict(model, inputs)
        finally:
            self._last_used = time.monotonic()

    def unload_if_idle(self, now: float | None = None) -> bool:
        with self._lock:
            if self._model is not None and (now or time.monotonic()) - self._last_used > self.idle_seconds:
                self._model = None
                return True
        return False

    def info(self) -> ModelInfo:
        return ModelInfo(self.name, self.task, self.source(), self.version(), self.configured(), self.loaded)


M = TypeVar("M", bound=InferenceModel[Any, Any])
_REGISTRY: dict[str, InferenceModel[Any, Any]] = {}
_REGISTRY_LOCK = threading.Lock()


def get_model(cls: type[M]) -> M:
    """The process-wide instance of ``cls`` (created on first use; weights load on first ``predict``)."""
    with _REGISTRY_LOCK:
        instance = _REGISTRY.get(cls.name)
        if instance is None:
            instance = _REGISTRY[cls.name] = cls()
    assert isinstance(instance, cls)
    return instance


def registered() -> list[InferenceModel[Any, Any]]:
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def unload_idle() -> list[str]:
    """Drop idle models; workers call this between tasks."""
    return [m.name for m in registered() if m.unload_if_idle()]


def package_version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{distribution} {version(distribution)}"
    except PackageNotFoundError:
        return f"{distribution} (not installed)"
