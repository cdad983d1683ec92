"""The deploy files stay in step with the code: the image's lock pins what the tests ran with."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pins(name: str) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)", (ROOT / name).read_text(), re.M)
    return {pkg.lower(): version for pkg, version in found}


def test_the_production_lock_pins_the_same_versions_the_tests_use():
    prod, full = pins("requirements.prod.lock"), pins("requirements.lock")
    assert prod and all(full.get(pkg) == v for pkg, v in prod.items()), \
        {pkg: (v, full.get(pkg)) for pkg, v in prod.items() if full.get(pkg) != v}
    assert "pytest" not in prod and "hypothesis" not in prod  # test tools stay out of the image


def test_the_image_runs_serve_as_a_non_root_user_with_a_healthcheck():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements.prod.lock" in dockerfile and "USER coachbot" in dockerfile
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert '"coachbot", "serve"' in dockerfile


def test_compose_runs_migrations_once_then_two_replicas_behind_a_proxy_that_checks_readiness():
    compose = (ROOT / "compose.yaml").read_text()
    for service in ("db:", "migrate:", "app1:", "app2:", "proxy:"):
        assert f"\n  {service}" in compose
    assert compose.count("service_completed_successfully") == 2
    caddy = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "app1:3978 app2:3978" in caddy and "health_uri /readyz" in caddy


def test_every_setting_is_listed_and_explained_in_env_example():
    from bot.ops.settings import Settings

    example = (ROOT / ".env.example").read_text()
    for field in Settings.model_fields.values():
        assert re.search(rf"^{field.alias}=", example, re.M), f"{field.alias} is missing from .env.example"
