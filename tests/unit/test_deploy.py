"""deploy/: the Kubernetes manifests are valid and agree with the code they deploy.

No cluster or Docker engine runs here, so these checks are what stands between a renamed
setting, route or command and a pod that crash-loops: schema validation (strict, so a
misspelt field fails) plus cross-checks against Settings, the app's routes and the CLI.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
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
    # Three replicas, rolled one at a time without ever dropping below three ready.
    assert spec["replicas"] == 3
    assert spec["strategy"]["type"] == "RollingUpdate"
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
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


def _pod_env(container: dict[str, Any]) -> dict[str, str]:
    """Return the environment a container gets: its envFrom sources, then its env."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(_one("ConfigMap", source["configMapRef"]["name"])["data"])
        if "secretRef" in source:
            env.update(_one("Secret", source["secretRef"]["name"])["stringData"])
    for item in container.get("env", []):
        ref = item.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
        env[item["name"]] = "swingdesk-7d9f-abcde" if ref == "metadata.name" else item["value"]
    return env


def _same(parsed: object, raw: str) -> bool:
    try:
        return Decimal(str(parsed)) == Decimal(str(raw))
    except InvalidOperation:
        return str(parsed) == str(raw)


#: Environment names the pods get that are not swingdesk settings, and why.
NOT_SETTINGS = {
    "POSTGRES_PASSWORD": "the bundled database's",
    "PROMETHEUS_MULTIPROC_DIR": "prometheus-client's multiprocess mode",
}


def test_manifests_when_rendered_then_every_env_name_and_value_is_a_setting_the_desk_accepts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pod = _one("Deployment", "swingdesk")["spec"]["template"]["spec"]
    known = _env_names()
    for container in [*pod["initContainers"], *pod["containers"]]:
        env = _pod_env(container)
        unknown = sorted(k for k in env if k not in known and k not in NOT_SETTINGS)
        assert unknown == [], f"{container['name']}: not settings: {unknown}"
        for key in list(Settings.model_fields):
            monkeypatch.delenv(f"SWINGDESK_{key.upper()}", raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, str(value))
        monkeypatch.setenv("SWINGDESK_DATA_DIR", str(tmp_path))
        settings = Settings()
        # Each value reached its field as written (no alias or prefix silently ignored).
        for key, value in env.items():
            field = key.removeprefix("SWINGDESK_").lower()
            if key.startswith("SWINGDESK_") and field in Settings.model_fields:
                got = getattr(settings, field)
                shown = got.get_secret_value() if hasattr(got, "get_secret_value") else got
                shown = getattr(shown, "value", shown)  # enums
                if isinstance(shown, bool):
                    shown = str(shown).lower()
                assert _same(shown, value), key
    server = _pod_env(pod["containers"][0])
    settings = Settings(**{k.removeprefix("SWINGDESK_").lower(): v for k, v in _config().items()})
    assert "SWINGDESK_REPLICA_ID" not in _config()  # from the pod's name, not the ConfigMap
    assert "SWINGDESK_REPLICA_ID" in server
    # A dead leader is replaced within 15 s: the lease's lifetime plus one renewal.
    assert settings.leader_lease_ttl_s + settings.leader_renew_s <= 15


def test_manifests_when_read_then_redis_and_postgres_urls_name_their_services() -> None:
    redis_url = _config()["SWINGDESK_REDIS_URL"]
    redis_svc = _one("Service", "redis")["spec"]["ports"][0]["port"]
    assert redis_url.startswith(f"redis://redis:{redis_svc}/")
    pg = _one("Secret", "swingdesk-secrets")["stringData"]["DATABASE_URL"]
    assert f"@postgres:{_one('Service', 'postgres')['spec']['ports'][0]['port']}/" in pg


def test_availability_when_read_then_pdb_hpa_and_network_policies_fit_the_deployment() -> None:
    deployment = _one("Deployment", "swingdesk")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    pdb = _one("PodDisruptionBudget", "swingdesk")["spec"]
    assert pdb["selector"]["matchLabels"].items() <= labels.items()
    assert 0 < pdb["minAvailable"] < deployment["spec"]["replicas"]
    hpa = _one("HorizontalPodAutoscaler", "swingdesk")["spec"]
    assert hpa["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "swingdesk",
    }
    assert hpa["minReplicas"] == deployment["spec"]["replicas"] <= hpa["maxReplicas"]
    # Only the ingress controller's namespace reaches the API; only the desk reaches the
    # database and Redis; everything else is denied.
    deny = _one("NetworkPolicy", "default-deny-ingress")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress"]}
    api = _one("NetworkPolicy", "swingdesk-api-from-ingress")["spec"]
    assert api["podSelector"]["matchLabels"].items() <= labels.items()
    sources = [peer for rule in api["ingress"] for peer in rule["from"]]
    assert sources == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    ]
    assert [p["port"] for rule in api["ingress"] for p in rule["ports"]] == [_dockerfile_port()]
    for name, port in (("postgres-from-swingdesk", 5432), ("redis-from-swingdesk", 6379)):
        rules = _one("NetworkPolicy", name)["spec"]["ingress"]
        assert [peer for rule in rules for peer in rule["from"]] == [
            {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "swingdesk"}}}
        ]
        assert [p["port"] for rule in rules for p in rule["ports"]] == [port]
    ingress = _one("Ingress", "swingdesk")["spec"]
    backend = ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "swingdesk", "port": {"name": "http"}}
