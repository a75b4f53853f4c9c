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

from tests.factories import UserFactory

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


@pytest.fixture(autouse=True)
def product_language():
    """Each test starts in the product's default language: a request with Accept-Language: en leaves English
    active on the thread after it (LocaleMiddleware never deactivates), which changed later tests' messages."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Test users are made by the dozen; the real hasher's deliberate slowness only slows the suite."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def finance_user(db):
    return UserFactory(username="alice", role="finance", first_name="Alice")


@pytest.fixture
def ops_user(db):
    return UserFactory(username="olivia", role="ops", first_name="Olivia")


@pytest.fixture
def ops_user_2(db):
    return UserFactory(username="oscar", role="ops", first_name="Oscar")


@pytest.fixture
def manager_user(db):
    return UserFactory(username="carol", role="manager", is_staff=True)


@pytest.fixture
def auditor_user(db):
    return UserFactory(username="audrey", role="auditor")


@pytest.fixture
def outsider_user(db):
    """Signed in, but in no role: may see nothing."""
    return UserFactory(username="mallory")


@pytest.fixture
def api_client(finance_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(finance_user)
    return client


@pytest.fixture
def token_client(db):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    user = UserFactory(username="integration-bot", role="integration")
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
    from couriers.demo_data import rate_card_frame

    buffer = io.BytesIO()
    rate_card_frame().to_excel(buffer, index=False)
    buffer.seek(0)
    return rate_card_import(file=buffer, filename="zto-报价单.xlsx", courier=zto, effective_from=date(2026, 1, 1))


@pytest.fixture
def no_enqueue(monkeypatch):
    """Keep submissions queued: the test runs the worker's service itself."""
    calls = []
    monkeypatch.setattr("recon.runs.services.run_enqueue", lambda *, run: calls.append(run.id))
    return calls


def _database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


class CeleryWorker:
    """A real `celery worker` process on the test database and the configured broker, on a private queue.

    Tasks go to the private queue from creation on, so a test may queue work first and start the worker later.
    """

    def __init__(self, log_path: Path, env: dict | None = None):
        from recon.celery import app

        self.app, self.log_path, self.proc, self.env = app, log_path, None, env or {}
        self.queue = f"recon-test-{uuid.uuid4().hex[:8]}"
        self.old_queue = app.conf.task_default_queue
        app.conf.task_default_queue = self.queue

    def start(self) -> subprocess.Popen:
        env = {**os.environ, "DATABASE_URL": _database_url(), "PYTHONUNBUFFERED": "1"}
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        if settings.CELERY_BROKER_URL.startswith("filesystem"):
            env["CELERY_BROKER_DIR"] = str(Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]).parent)
        env.update(self.env)  # a test's own database, broker or test hooks
        self.log = open(self.log_path, "w+")  # noqa: SIM115 - closed by stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "recon", "worker", "-Q", self.queue, "--pool", "solo", "--loglevel", "INFO",
             "--without-heartbeat", "--without-mingle", "--without-gossip"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.log.seek(0)
            text = self.log.read()
            if " ready." in text:
                return self.proc
            if self.proc.poll() is not None:
                pytest.fail(f"the Celery worker exited at start:\n{text[-3000:]}")
            time.sleep(0.2)
        pytest.fail("the Celery worker did not start within 60 s")

    def stop(self) -> None:
        self.app.conf.task_default_queue = self.old_queue
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.seek(0)
        sys.stderr.write(self.log.read()[-2000:])
        self.log.close()


@pytest.fixture
def live_worker(tmp_path):
    """A running Celery worker process (see CeleryWorker)."""
    worker = CeleryWorker(tmp_path / "worker.log")
    try:
        yield worker.start()
    finally:
        worker.stop()


@pytest.fixture
def queued_worker(tmp_path):
    """Tasks queue for a worker that the test starts itself with `.start()`, to watch what happens meanwhile."""
    worker = CeleryWorker(tmp_path / "worker.log")
    try:
        yield worker
    finally:
        worker.stop()


def wait_for_run(run_id: int, timeout: float = 120):
    from recon.core.models import ReconRun

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = ReconRun.objects.get(id=run_id)
        if run.is_finished:
            return run
        time.sleep(0.25)
    raise AssertionError(f"run {run_id} did not finish within {timeout} s")
