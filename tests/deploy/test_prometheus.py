"""deploy/prometheus/prometheus.yml scrapes every component where compose runs it, with the
bearer token every component is given; an empty token from compose means none (off)."""

from __future__ import annotations

import pytest
import yaml

from services.common.settings import CommonSettings
from tests.deploy.helpers import (
    ROOT,
    TEST_JWT_SECRET,
    components,
    compose_service,
    environment,
    expected_ports,
    k8s_objects,
    only_container,
    settings_env,
)

CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"


def test_every_component_is_scraped_with_the_token() -> None:
    (job,) = yaml.safe_load(CONFIG.read_text())["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["type"] == "Bearer" and job["authorization"]["credentials_file"]
    (targets,) = [c["targets"] for c in job["static_configs"]]
    ports = expected_ports()
    assert sorted(targets) == sorted(f"{name}:{ports[name]}" for name in components())


@pytest.mark.parametrize("name", components())
def test_every_component_is_given_the_token(name: str) -> None:
    given = {"CPMO_JWT_SECRET": TEST_JWT_SECRET, "CPMO_METRICS_TOKEN": "t" * 32}
    env = environment(compose_service(name, given))
    assert env["CPMO_METRICS_TOKEN"] == "t" * 32
    container = only_container(k8s_objects("Deployment")[name])
    (entry,) = [e for e in container["env"] if e["name"] == "CPMO_METRICS_TOKEN"]
    assert entry["valueFrom"]["secretKeyRef"]["optional"] is True


def test_an_empty_token_from_compose_is_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    settings_env(monkeypatch, {"CPMO_METRICS_TOKEN": "", "OTEL_EXPORTER_OTLP_ENDPOINT": ""})
    settings = CommonSettings()
    assert settings.metrics_token is None and settings.otlp_endpoint is None
