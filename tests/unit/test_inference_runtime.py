"""ONNX Runtime sessions come from one place (models.base): threads per queue from MEDIADESK_ML_THREADS (or cores ÷
the pool's processes), all graph optimisations, hardware execution providers chosen when the build has them."""

from __future__ import annotations

import pytest

from models import base
from models.base import CPU, ml_providers, ml_threads, onnx_session, session_options
from service.core.config import Settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MEDIADESK_ML_THREADS", "MEDIADESK_ML_CONCURRENCY", "MEDIADESK_ML_PROVIDERS"):
        monkeypatch.delenv(name, raising=False)


def test_cuda_is_chosen_when_the_build_has_it_and_the_cpu_stays_as_fallback() -> None:
    have = ["TensorrtExecutionProvider", "CUDAExecutionProvider", "AzureExecutionProvider", CPU]
    assert ml_providers(have) == ["CUDAExecutionProvider", CPU]
    assert ml_providers(["OpenVINOExecutionProvider", CPU]) == ["OpenVINOExecutionProvider", CPU]
    assert ml_providers(["AzureExecutionProvider", CPU]) == [CPU]  # a remote endpoint is not hardware


def test_providers_setting_forces_cpu_or_names_them(monkeypatch: pytest.MonkeyPatch) -> None:
    have = ["CUDAExecutionProvider", "ROCMExecutionProvider", CPU]
    monkeypatch.setenv("MEDIADESK_ML_PROVIDERS", "cpu")
    assert ml_providers(have) == [CPU]
    monkeypatch.setenv("MEDIADESK_ML_PROVIDERS", "ROCMExecutionProvider, NoSuchProvider")
    assert ml_providers(have) == ["ROCMExecutionProvider", CPU]


def test_threads_default_to_cores_divided_by_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "usable_cores", lambda: 8)
    assert ml_threads() == 1  # one process per core by default: never oversubscribed
    monkeypatch.setenv("MEDIADESK_ML_CONCURRENCY", "2")
    assert ml_threads() == 4
    monkeypatch.setenv("MEDIADESK_ML_CONCURRENCY", "16")
    assert ml_threads() == 1
    monkeypatch.setenv("MEDIADESK_ML_THREADS", "3")
    assert ml_threads() == 3


def test_settings_and_models_read_the_same_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDIADESK_ML_THREADS", "3")
    monkeypatch.setenv("MEDIADESK_ML_PROVIDERS", "cpu")
    settings = Settings()
    assert (settings.ml_threads, settings.ml_providers) == (3, "cpu")
    assert (ml_threads(), ml_providers()) == (3, [CPU])


def test_session_options_are_applied_to_a_real_session(monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxruntime

    monkeypatch.setenv("MEDIADESK_ML_THREADS", "2")
    options = session_options()
    assert options.intra_op_num_threads == 2
    assert options.inter_op_num_threads == 1
    assert options.graph_optimization_level == onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    from pathlib import Path

    import nudenet

    session = onnx_session(Path(nudenet.__file__).parent / "320n.onnx")
    applied = session.get_session_options()
    assert applied.intra_op_num_threads == 2
    assert applied.graph_optimization_level == onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    assert session.get_providers()[-1] == CPU
    assert set(session.get_providers()) <= set(onnxruntime.get_available_providers())


def test_every_shipped_onnx_model_uses_the_shared_session(monkeypatch: pytest.MonkeyPatch) -> None:
    from models.nsfw import NsfwClassifier, NudeDetector
    from models.ocr import Ocr

    monkeypatch.setenv("MEDIADESK_ML_THREADS", "2")
    ocr = Ocr().load()
    sessions = {
        "ocr det": ocr.det.session.session,
        "ocr rec": ocr.rec.session.session,
        "nsfw": NsfwClassifier().load()._session,
        "nudenet": NudeDetector().load().onnx_session,
    }
    for name, session in sessions.items():
        assert session.get_session_options().intra_op_num_threads == 2, name
        assert session.get_providers() == ml_providers(), name
