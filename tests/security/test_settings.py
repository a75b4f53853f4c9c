"""Production settings: a weak SECRET_KEY stops the process at start; docker-compose's environment passes check --deploy."""
import os
import re
import secrets
import subprocess
import sys

import pytest
import yaml
from django.conf import settings

from tests.conftest import ROOT

STRONG_KEY = secrets.token_urlsafe(50)


def manage(*args, **env_vars):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "SECRET_KEY", "DEBUG"))}
    env.update(env_vars)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("key", "why"), [
    ("", "SECRET_KEY is empty"),
    ("     ", "SECRET_KEY is empty"),
    ("embedded-mode-only-not-secret", "SECRET_KEY is the public development key"),
    ("django-insecure-" + "x1y2z3" * 10, "SECRET_KEY is a generated development key (django-insecure-…)"),
    ("k" * 49 + "abcde", None),
    ("a1b2c3d4e5" * 4, "SECRET_KEY is too weak: use at least 50 characters with at least 5 different ones"),
    ("abab" * 20, "SECRET_KEY is too weak: use at least 50 characters with at least 5 different ones"),
])
def test_a_weak_secret_key_is_refused_at_start_with_debug_off(key, why):
    done = manage("check", DEBUG="false", SECRET_KEY=key)
    if why is None:
        assert done.returncode == 0, done.stderr[-2000:]
        return
    assert done.returncode != 0
    assert f"ImproperlyConfigured: {why}; with DEBUG=false set a long random one" in done.stderr


def test_the_development_key_is_used_only_with_debug_on():
    done = manage("shell", "-c", "from django.conf import settings; print(settings.SECRET_KEY)", DEBUG="true", SECRET_KEY="  ")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "embedded-mode-only-not-secret"


def compose_environment(service: str) -> dict[str, str]:
    """The service's environment as docker-compose gives it with no variable set but the required SECRET_KEY."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    env = {}
    for name, value in compose["services"][service]["environment"].items():
        value = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: m.group(2), str(value))
        env[name] = re.sub(r"\$\{SECRET_KEY:\?[^}]*\}", STRONG_KEY, value)
    assert "${" not in "".join(env.values()), env
    return env


def test_check_deploy_is_clean_with_the_environment_of_docker_compose():
    env = compose_environment("web")
    assert env["DEBUG"] == "false" and "DATABASE_MIGRATE_URL" not in env
    done = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert done.stdout.strip() == "System check identified no issues (0 silenced)."


def test_an_http_only_deployment_turns_the_secure_defaults_off_by_name():
    env = {**compose_environment("web"), "SECURE_SSL_REDIRECT": "false", "SECURE_COOKIES": "false", "SECURE_HSTS_SECONDS": "0"}
    script = ("from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
              "s.SECURE_HSTS_SECONDS)")
    done = manage("shell", "-c", script, **env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "False False False 0"
    done = manage("shell", "-c", script, **compose_environment("web"))
    assert done.stdout.splitlines()[-1] == "True True True 31536000"


def test_the_only_migrate_step_has_the_owner_url():
    assert "DATABASE_MIGRATE_URL" in compose_environment("migrate")
    for service in ("web", "worker", "beat"):
        env = compose_environment(service)
        assert "DATABASE_MIGRATE_URL" not in env and env["DATABASE_URL"].startswith("postgres://recon_app:"), service


@pytest.mark.postgres
def test_postgresql_connections_are_checked_before_reuse():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 60
