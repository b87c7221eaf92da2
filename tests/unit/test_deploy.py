"""deploy/: the Kubernetes manifests are valid and agree with the code they deploy.

No cluster or Docker engine runs here, so these checks are what stands between a renamed
setting, route or command and a pod that crash-loops: schema validation (strict, so a
misspelt field fails) plus cross-checks against Settings, the app's routes and the CLI.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml
from typer.testing import CliRunner

from swingdesk.api.app import create_app, shutdown_budget_s
from swingdesk.cli import app as cli_app
from swingdesk.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
K8S_VERSION = "1.33.0"


def _docs(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]


def _all_docs() -> list[tuple[str, dict[str, Any]]]:
    return [(p.name, d) for p in sorted(K8S.glob("*.yaml")) for d in _docs(p.name)]


def _one(kind: str, name: str) -> dict[str, Any]:
    found = [d for _, d in _all_docs() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}"
    return found[0]


def _env_names() -> set[str]:
    """Return every environment name Settings reads (prefixed field names and aliases)."""
    names = set()
    for field_name, info in Settings.model_fields.items():
        names.add(f"SWINGDESK_{field_name.upper()}")
        alias = info.validation_alias
        for choice in getattr(alias, "choices", ()):
            names.add(str(choice))
    return names


@pytest.mark.parametrize(("path", "doc"), _all_docs(), ids=lambda v: str(v)[:40])
def test_manifest_when_validated_strictly_then_matches_the_kubernetes_schema(
    path: str, doc: dict[str, Any]
) -> None:
    if doc["kind"] == "Kustomization":
        assert set(doc["resources"]) <= {p.name for p in K8S.glob("*.yaml")}
        assert "secret.example.yaml" not in doc["resources"], "never apply the example secret"
        return
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_manifest_when_a_field_is_misspelt_then_validation_fails() -> None:
    deployment = _one("Deployment", "swingdesk")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_config_and_secret_when_read_then_every_key_is_a_setting() -> None:
    known = _env_names()
    config = _one("ConfigMap", "swingdesk-config")["data"]
    secret = _one("Secret", "swingdesk-secrets")["stringData"]
    # POSTGRES_PASSWORD is the bundled database's, not the desk's.
    unknown = sorted(k for k in [*config, *secret] if k not in known and k != "POSTGRES_PASSWORD")
    assert unknown == []
    secret_fields = {
        n for n, f in Settings.model_fields.items() if "SecretStr" in str(f.annotation)
    }
    for key in config:  # no secret may sit in the ConfigMap
        assert key.removeprefix("SWINGDESK_").lower() not in secret_fields
        assert not any(word in key for word in ("KEY", "PASSWORD", "DATABASE_URL"))


def test_config_when_loaded_as_the_pod_would_then_settings_accept_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key, value in {
        **_one("ConfigMap", "swingdesk-config")["data"],
        **_one("Secret", "swingdesk-secrets")["stringData"],
    }.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.setenv("SWINGDESK_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.profile.value == "paper"
    assert settings.effective_database_url.startswith("postgresql")


def test_deployment_when_read_then_probes_port_and_commands_exist_in_the_code() -> None:
    spec = _one("Deployment", "swingdesk")["spec"]
    # One replica, replaced not rolled: the scan jobs and the stream hub are per process.
    assert spec["replicas"] == 1
    assert spec["strategy"]["type"] == "Recreate"
    pod = spec["template"]["spec"]
    server = pod["containers"][0]
    routes = set(create_app(Settings()).openapi()["paths"])
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert server[probe]["httpGet"]["path"] in routes
    assert server["ports"][0]["containerPort"] == _dockerfile_port()
    runner = CliRunner()
    for container in [*pod["initContainers"], server]:
        result = runner.invoke(cli_app, [*container["args"], "--help"])
        assert result.exit_code == 0, f"{container['args']} is not a swingdesk command"
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_deployment_when_read_then_probes_and_stops_fit_the_app_bounds() -> None:
    pod = _one("Deployment", "swingdesk")["spec"]["template"]["spec"]
    settings = Settings(**{k.removeprefix("SWINGDESK_").lower(): v for k, v in _config().items()})
    probe = pod["containers"][0]["readinessProbe"]
    assert probe["timeoutSeconds"] > settings.ready_timeout_s
    # SIGTERM must end the process before the kubelet's SIGKILL, even with the database down.
    assert shutdown_budget_s(settings) < pod["terminationGracePeriodSeconds"]


def _config() -> dict[str, str]:
    return dict(_one("ConfigMap", "swingdesk-config")["data"])


def _dockerfile_port() -> int:
    text = (DEPLOY / "Dockerfile").read_text()
    exposed = re.findall(r"^EXPOSE (\d+)$", text, flags=re.M)
    env_port = re.findall(r"SWINGDESK_PORT=(\d+)", text)
    assert len(exposed) == 1
    assert env_port == exposed
    return int(exposed[0])


def test_dockerfile_when_read_then_locked_non_root_and_same_uv_as_the_makefile() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    makefile = (ROOT / "Makefile").read_text()
    uv_version = re.search(r"^UV_VERSION := (\S+)$", makefile, flags=re.M)
    assert uv_version is not None
    assert f"ghcr.io/astral-sh/uv:{uv_version.group(1)} " in text
    assert text.count("uv sync --frozen --no-dev") == 2
    assert "npm ci" in text
    assert re.search(r"^USER 10001$", text, flags=re.M)
    # The runtime stage is the last FROM; it must not be a build image.
    assert text.rsplit("\nFROM ", 1)[1].startswith("python:3.11-slim")
