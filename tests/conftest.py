"""Shared fixtures: named users, API clients, a demo rate card, services that must exist in CI, a live worker."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(config, items):
    """Tests that need PostgreSQL skip on the embedded SQLite default, but never in CI, where they must run."""
    from django.db import connection

    on_postgres = connection.vendor == "postgresql"
    if IN_CI and not on_postgres:
        raise pytest.UsageError("CI=true but DATABASE_URL does not point to PostgreSQL: the suite must run against it")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); runs in CI"))


@pytest.fixture
def finance_user(django_user_model):
    return django_user_model.objects.create_user("alice", password="alice-pass-123", first_name="Alice")


@pytest.fixture
def manager_user(django_user_model):
    return django_user_model.objects.create_user("carol", password="carol-pass-123", is_staff=True)


@pytest.fixture
def api_client(finance_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(finance_user)
    return client


@pytest.fixture
def token_client(django_user_model):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    user = django_user_model.objects.create_user("integration-bot")
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def zto(db):
    from couriers.models import Courier

    return Courier.objects.get(code="ZTO")


@pytest.fixture
def demo_rate_card(zto):
    """The demo contract card for ZTO, imported through the real spreadsheet path."""
    from couriers.services import rate_card_import
    from recon.demo import rate_card_frame

    buffer = io.BytesIO()
    rate_card_frame().to_excel(buffer, index=False)
    buffer.seek(0)
    return rate_card_import(file=buffer, filename="zto-报价单.xlsx", courier=zto, effective_from=date(2026, 1, 1))


@pytest.fixture
def no_enqueue(monkeypatch):
    """Keep submissions queued: the test runs the worker's service itself."""
    calls = []
    monkeypatch.setattr("recon.services.run_enqueue", lambda *, run: calls.append(run.id))
    return calls


def _database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


@pytest.fixture
def live_worker(tmp_path):
    """A real `celery worker` process on the test database and the configured broker, on a private queue."""
    from recon.celery import app

    queue = f"recon-test-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "DATABASE_URL": _database_url(), "PYTHONUNBUFFERED": "1"}
    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        env["CELERY_BROKER_DIR"] = str(Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]).parent)
    log = open(tmp_path / "worker.log", "w+")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "recon", "worker", "-Q", queue, "--pool", "solo", "--loglevel", "INFO", "--without-heartbeat", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    old_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            log.seek(0)
            text = log.read()
            if " ready." in text:
                break
            if proc.poll() is not None:
                pytest.fail(f"the Celery worker exited at start:\n{text[-3000:]}")
            time.sleep(0.2)
        else:
            pytest.fail("the Celery worker did not start within 60 s")
        yield proc
    finally:
        app.conf.task_default_queue = old_queue
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.seek(0)
        sys.stderr.write(log.read()[-2000:])
        log.close()


def wait_for_run(run_id: int, timeout: float = 120):
    from recon.models import ReconRun

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = ReconRun.objects.get(id=run_id)
        if run.is_finished:
            return run
        time.sleep(0.25)
    raise AssertionError(f"run {run_id} did not finish within {timeout} s")
