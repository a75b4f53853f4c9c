"""No run is ever stuck: a worker killed mid-save, Redis down at upload (or restarted empty), PostgreSQL stopped
mid-run. Each test starts the servers it breaks (a private redis-server, a private PostgreSQL cluster) and real
Celery worker processes, then checks that the run ends and that a rerun saves every line exactly once."""
from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from couriers.services import courier_bill_submit, rate_card_import
from orders.services import shipments_bulk_create
from couriers.demo_data import generate, rate_card_frame, write_messy_csv
from tests.conftest import ROOT, CeleryWorker, _database_url, wait_for_run


WORKER_LOST_ZH = "处理该批次的后台进程在完成前中断了，请重新开始。"
HOLD_LOG = "holds its save transaction open"


def _until(predicate, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what}: not within {timeout} s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _log_has(worker: CeleryWorker, text: str) -> bool:
    return text in Path(worker.log_path).read_text(encoding="utf-8", errors="replace")


def _halt(worker: CeleryWorker) -> None:
    """Stop an idle worker at once (a warm shutdown of the filesystem transport takes seconds), then clean up."""
    if worker.proc is not None and worker.proc.poll() is None:
        worker.proc.kill()
        worker.proc.wait(timeout=10)
    worker.stop()


def _seed(tmp_path, n: int, seed: int):
    """The demo rate card and shipments for a bill of about n lines; returns the courier and the data."""
    from couriers.models import Courier

    zto = Courier.objects.get(code="ZTO")
    card = tmp_path / "card.xlsx"
    rate_card_frame().to_excel(card, index=False)
    with open(card, "rb") as fh:
        rate_card_import(file=fh, filename="card.xlsx", courier=zto, effective_from=date(2026, 1, 1))
    data = generate(n, seed=seed)
    records = data.shipments.assign(shipped_at=data.shipments["shipped_at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    shipments_bulk_create(records=records.astype(object).where(records.notna(), None).to_dict("records"))
    return zto, data


# --------------------------------------------------------------------------- a worker killed mid-save


# Tests with real worker processes commit; serialized_rollback restores the couriers the data migration made
# once a flush has emptied the tables.
@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_save_leaves_nothing_and_a_rerun_saves_every_line_once(tmp_path, settings, api_client):
    from couriers.models import CourierBill, CourierBillLine
    from recon.core.models import Discrepancy, ReconRun
    from recon.runs.services import run_recover_stale

    zto, data = _seed(tmp_path, 400, seed=41)
    path = tmp_path / "bill.csv"
    write_messy_csv(data.bill, path)
    # The hook holds the save transaction open after every line and discrepancy is written: the kill lands mid-save.
    first = CeleryWorker(tmp_path / "worker-1.log", env={"RECON_TEST_HOLD_SAVE_SECONDS": "60", "RUN_HEARTBEAT_SECONDS": "1"})
    try:
        first.start()
        with open(path, "rb") as fh:
            submission = courier_bill_submit(file=fh, filename="bill.csv", courier=zto, period="2026-10")
        run_id = submission.run.id
        _until(lambda: _log_has(first, HOLD_LOG), 60, "the worker reached the save")
        if connection.vendor == "postgresql":
            # The heartbeat goes on while the save works (SQLite, one writer at a time, holds it and the sweep alike).
            beat = ReconRun.objects.get(id=run_id).heartbeat_at
            _until(lambda: ReconRun.objects.get(id=run_id).heartbeat_at > beat, 10, "a heartbeat during the save")
        os.kill(first.proc.pid, signal.SIGKILL)
        first.proc.wait(timeout=10)
    finally:
        _halt(first)

    run = ReconRun.objects.get(id=run_id)
    assert (run.status, run.phase) == ("running", "saving")
    settings.RUN_HEARTBEAT_TIMEOUT_SECONDS = 3
    _until(lambda: run_recover_stale() == 1, 15, "the stale sweep failed the run")
    run.refresh_from_db()
    assert (run.status, run.error_code, run.error) == ("failed", "worker_lost", WORKER_LOST_ZH)
    # The killed transaction was rolled back: no bill, no line, no discrepancy.
    assert (CourierBill.objects.count(), CourierBillLine.objects.count(), Discrepancy.objects.count()) == (0, 0, 0)

    second = CeleryWorker(tmp_path / "worker-2.log")
    try:
        second.start()
        response = api_client.post(f"/api/v1/runs/{run_id}/rerun/")
        assert response.status_code == 202, response.content
        again = wait_for_run(response.json()["id"], timeout=60)
    finally:
        _halt(second)
    assert again.status == "succeeded", (again.error_code, again.error)
    assert again.rerun_of_id == run_id
    bill = CourierBill.objects.get()
    assert CourierBillLine.objects.filter(bill=bill).count() == len(data.bill) == again.summary["lines"]
    assert CourierBillLine.objects.values("line_no").distinct().count() == len(data.bill)
    expected = sum(e["count"] for e in data.expected.values())
    assert Discrepancy.objects.count() == expected == again.summary["discrepancies"]
    for t, e in data.expected.items():
        assert again.summary["by_type"][t]["count"] == e["count"]
    run.refresh_from_db()
    assert run.status == "failed"  # a redelivered message of the killed worker would find it failed: never run twice


# --------------------------------------------------------------------------- Redis down at upload, Redis restarted empty


class RedisServer:
    """A private redis-server without persistence: stopping it loses every queued message."""

    def __init__(self, port: int, workdir: Path):
        self.port, self.workdir, self.proc = port, workdir, None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        _until(lambda: self.client().ping(), 10, "redis-server answered")

    def client(self):
        import redis

        try:
            conn = redis.Redis(port=self.port, socket_connect_timeout=0.5)
            conn.ping()
            return conn
        except redis.ConnectionError:
            return None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


class broker_url:
    """Point this process's Celery app at another broker (its pools included), and back."""

    def __init__(self, url: str):
        from recon.celery import app

        self.app, self.url = app, url

    def __enter__(self):
        conf, amqp = self.app.conf, self.app.amqp
        # Celery copies CELERY_BROKER_URL into the read and write URLs at start: all three must move.
        self.saved = (conf.broker_url, conf.broker_read_url, conf.broker_write_url, conf.broker_transport_options,
                      self.app._pool, amqp._producer_pool)
        self.app._pool = amqp._producer_pool = None
        conf.broker_url = conf.broker_read_url = conf.broker_write_url = self.url
        conf.broker_transport_options = {"visibility_timeout": 6 * 3600}
        return self

    def __exit__(self, *exc):
        if self.app._pool is not None:
            self.app._pool.force_close_all()
        conf, amqp = self.app.conf, self.app.amqp
        (conf.broker_url, conf.broker_read_url, conf.broker_write_url, conf.broker_transport_options,
         self.app._pool, amqp._producer_pool) = self.saved


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_redis_down_at_upload_or_restarted_empty_the_runs_are_sent_again(tmp_path, settings, api_client, client, finance_user):
    from recon.core.models import ReconRun
    from recon.runs.services import run_requeue_pending

    zto, data = _seed(tmp_path, 300, seed=43)
    halves = {"a": data.bill.iloc[:150], "b": data.bill.iloc[150:]}
    for name, part in halves.items():
        write_messy_csv(part, tmp_path / f"{name}.csv")
    redis = RedisServer(_free_port(), tmp_path)
    url = f"redis://127.0.0.1:{redis.port}/0"
    worker = CeleryWorker(tmp_path / "worker.log", env={"CELERY_BROKER_URL": url})
    try:
        with broker_url(url):
            started = time.monotonic()
            with open(tmp_path / "a.csv", "rb") as fh:
                response = api_client.post("/api/v1/courier-bills/", {"file": fh, "courier": "ZTO", "period": "2026-10"}, format="multipart")
            assert response.status_code == 202, response.content
            assert time.monotonic() - started < 15
            run_a = ReconRun.objects.get(id=response.json()["run"]["id"])
            assert (run_a.status, run_a.queued_at, run_a.enqueue_attempts) == ("pending", None, 1)
            client.force_login(finance_user)
            page = client.get(f"/runs/{run_a.id}/").content.decode()
            assert "提交这次运行时无法连接任务队列。文件已保存，队列恢复后运行会自动交给后台处理，无需重新上传。" in page

            redis.start()
            # The rest of October's lines, sent as a supplementary bill: a second bill of a period names its mode.
            with open(tmp_path / "b.csv", "rb") as fh:
                response = api_client.post("/api/v1/courier-bills/", {"file": fh, "courier": "ZTO", "period": "2026-10", "mode": "supplement"},
                                           format="multipart")
            assert response.status_code == 202, response.content
            run_b = ReconRun.objects.get(id=response.json()["run"]["id"])
            assert run_b.queued_at is not None
            assert redis.client().llen(worker.queue) == 1
            redis.stop()  # no persistence: run B's message is gone with it
            redis.start()
            assert redis.client().llen(worker.queue) == 0

            settings.RUN_REQUEUE_AFTER_SECONDS = 0
            assert run_requeue_pending() == 2
            assert redis.client().llen(worker.queue) == 2
            worker.start()
            done_a, done_b = wait_for_run(run_a.id, timeout=60), wait_for_run(run_b.id, timeout=60)
            assert run_requeue_pending() == 0
    finally:
        _halt(worker)
        redis.stop()
    assert (done_a.status, done_a.summary["lines"], done_a.enqueue_attempts) == ("succeeded", len(halves["a"]), 2)
    assert (done_b.status, done_b.summary["lines"], done_b.enqueue_attempts) == ("succeeded", len(halves["b"]), 2)


# --------------------------------------------------------------------------- PostgreSQL stopped mid-run


class PostgresCluster:
    """A private, throw-away PostgreSQL cluster (fsync off); its server refuses root, so it runs as `postgres` then."""

    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        found = bins[-1] if bins else shutil.which("initdb")
        if found is None:
            pytest.fail("PostgreSQL's server binaries (initdb, pg_ctl) are needed for this test")
        self.bin = Path(found).parent
        # Not under pytest's tmp_path: that is private to root, and the server runs as postgres.
        self.dir = Path(tempfile.mkdtemp(prefix="recon-pg-"))
        self.dir.chmod(0o755)
        self.data = self.dir / "data"
        self.data.mkdir()
        self.port = _free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.data, "postgres")
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/recon"

    def _run(self, tool: str, *args) -> None:
        subprocess.run([*self.as_user, str(self.bin / tool), *map(str, args)], check=True, capture_output=True)

    def start(self) -> None:
        self._run("pg_ctl", "-D", self.data, "-l", self.data / "server.log", "-w", "-o",
                  f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c synchronous_commit=off -c full_page_writes=off", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def query(self, sql: str, params=()):
        import psycopg2

        with psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="recon") as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def destroy(self) -> None:
        try:
            self._run("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.dir, ignore_errors=True)


def _manage_shell(database_url: str, code: str) -> subprocess.Popen:
    """Start Python in `manage.py shell` on another database; `_printed` reads the JSON object it prints."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "DATABASE_URL": database_url},
    )


def _printed(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


SUBMIT = """
import io, json
from datetime import date
from couriers.models import Courier
from couriers.services import courier_bill_submit, rate_card_import
from orders.services import shipments_bulk_create
from couriers.demo_data import generate, rate_card_frame, write_messy_csv
zto = Courier.objects.get(code="ZTO")
buf = io.BytesIO(); rate_card_frame().to_excel(buf, index=False); buf.seek(0)
rate_card_import(file=buf, filename="card.xlsx", courier=zto, effective_from=date(2026, 1, 1))
data = generate(300, seed=47)
records = data.shipments.assign(shipped_at=data.shipments["shipped_at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
shipments_bulk_create(records=records.astype(object).where(records.notna(), None).to_dict("records"))
write_messy_csv(data.bill, "{path}")
with open("{path}", "rb") as fh:
    run = courier_bill_submit(file=fh, filename="bill.csv", courier=zto, period="2026-10", enqueue=False).run
print(json.dumps({{"run": run.id, "lines": len(data.bill), "discrepancies": sum(e["count"] for e in data.expected.values())}}))
"""

# The user's "run it again", done in this process (a worker taking a rerun is the kill test's part).
RERUN = """
import json
from recon.core.models import ReconRun
from recon.runs.services import run_execute, run_rerun
again = run_rerun(run=ReconRun.objects.get(id={run}), enqueue=False)
run_execute(run_id=again.id)
again.refresh_from_db()
print(json.dumps({{"run": again.id, "status": again.status, "rerun_of": again.rerun_of_id}}))
"""


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the copy of the test database has its couriers
def test_postgresql_stopped_mid_run_the_run_ends_failed_and_a_rerun_succeeds(tmp_path):
    from recon.runs.tasks import run_execute_task

    cluster = PostgresCluster()
    worker = None
    try:
        cluster.start()
        import psycopg2

        admin = psycopg2.connect(host="127.0.0.1", port=cluster.port, user="postgres", dbname="postgres")
        admin.autocommit = True
        admin.cursor().execute("CREATE DATABASE recon")
        admin.close()
        # A copy of the migrated test database: migrating an empty one would take this test ten seconds more.
        dump = subprocess.run([str(cluster.bin / "pg_dump"), "--no-owner", "--dbname", _database_url()], capture_output=True, check=True)
        subprocess.run([str(cluster.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "--dbname", cluster.url], input=dump.stdout,
                       capture_output=True, check=True)
        submitting = _manage_shell(cluster.url, SUBMIT.format(path=tmp_path / "bill.csv"))
        worker = CeleryWorker(tmp_path / "worker.log", env={
            "DATABASE_URL": cluster.url, "RECON_TEST_HOLD_SAVE_SECONDS": "3", "RUN_HEARTBEAT_SECONDS": "1"})
        worker.start()  # while the data is being made
        made = _printed(submitting)
        run_execute_task.delay(made["run"])
        _until(lambda: _log_has(worker, HOLD_LOG), 60, "the worker reached the save")
        cluster.stop()
        time.sleep(10)
        cluster.start()
        status = lambda run_id: cluster.query(  # noqa: E731
            "SELECT status, error_code FROM recon_reconrun WHERE id = %s", [run_id])[0]
        # The worker itself records the failure once the database is back (the stale sweep is only the backstop).
        assert _until(lambda: status(made["run"])[0] == "failed" and status(made["run"]), 60, "the run ended") == (
            "failed", "database_unavailable")
        assert cluster.query("SELECT count(*) FROM couriers_courierbill")[0][0] == 0
        assert cluster.query("SELECT count(*) FROM couriers_courierbillline")[0][0] == 0

        again = _printed(_manage_shell(cluster.url, RERUN.format(run=made["run"])))
        assert (again["status"], again["rerun_of"], status(again["run"])) == ("succeeded", made["run"], ("succeeded", ""))
        assert cluster.query("SELECT count(*), count(DISTINCT line_no) FROM couriers_courierbillline")[0] == (made["lines"], made["lines"])
        assert cluster.query("SELECT count(*) FROM recon_discrepancy")[0][0] == made["discrepancies"]
    finally:
        if worker is not None:
            _halt(worker)
        cluster.destroy()


# --------------------------------------------------------------------------- the sweeps, the save, the duplicate, the rerun


@pytest.fixture
def bill_file(tmp_path, demo_rate_card):
    """Shipments and a 120-line bill of the demo month; returns the file and the data."""
    data = generate(120, seed=53)
    records = data.shipments.assign(shipped_at=data.shipments["shipped_at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    shipments_bulk_create(records=records.astype(object).where(records.notna(), None).to_dict("records"))
    path = tmp_path / "zto-2026-10.csv"
    write_messy_csv(data.bill, path)
    return path, data


def _submit(path, zto):
    with open(path, "rb") as fh:
        return courier_bill_submit(file=fh, filename=path.name, courier=zto, period="2026-10")


def _run_at(run, **fields):
    from recon.core.models import ReconRun

    ReconRun.objects.filter(id=run.id).update(**fields)
    run.refresh_from_db()
    return run


@pytest.mark.django_db
def test_the_requeue_sweep_sends_pending_runs_again_backing_off(monkeypatch, settings, bill_file, zto, no_enqueue):
    from datetime import timedelta

    from django.utils import timezone

    from recon.core.models import ReconRun
    from recon.runs.services import run_requeue_pending
    from recon.runs.tasks import run_execute_task

    sent = []
    monkeypatch.setattr(run_execute_task, "apply_async", lambda args, **kw: sent.append(args[0]))
    settings.RUN_REQUEUE_AFTER_SECONDS, settings.RUN_REQUEUE_MAX_SECONDS = 60, 3600
    now = timezone.now()
    never_sent = _run_at(_submit(bill_file[0], zto).run, created_at=now - timedelta(seconds=61))

    def clone(**fields):
        return ReconRun.objects.create(kind=never_sent.kind, counterparty=zto.counterparty, period_start=never_sent.period_start,
                                       period_end=never_sent.period_end, **fields)

    once_90s_ago = clone(queued_at=now - timedelta(seconds=90), enqueue_attempts=1)
    twice_90s_ago = clone(queued_at=now - timedelta(seconds=90), enqueue_attempts=2)   # waits 120 s
    twice_130s_ago = clone(queued_at=now - timedelta(seconds=130), enqueue_attempts=2)
    just_sent = clone(queued_at=now - timedelta(seconds=10), enqueue_attempts=1)
    running = clone(queued_at=now - timedelta(seconds=600), enqueue_attempts=1, status="running")
    assert run_requeue_pending() == 3
    assert sorted(sent) == sorted([never_sent.id, once_90s_ago.id, twice_130s_ago.id])
    assert ReconRun.objects.get(id=once_90s_ago.id).enqueue_attempts == 2
    assert {twice_90s_ago.id, just_sent.id, running.id}.isdisjoint(sent)


@pytest.mark.django_db
def test_the_stale_sweep_fails_only_runs_whose_heartbeat_stopped(settings, bill_file, zto, no_enqueue):
    from datetime import timedelta

    from django.utils import timezone

    from recon.runs.services import run_recover_stale

    settings.RUN_HEARTBEAT_TIMEOUT_SECONDS = 90
    now = timezone.now()
    silent = _run_at(_submit(bill_file[0], zto).run, status="running", started_at=now - timedelta(hours=2),
                     heartbeat_at=now - timedelta(seconds=91))
    path2 = bill_file[0].with_name("other.csv")
    path2.write_bytes(bill_file[0].read_bytes() + b"\n")
    beating = _run_at(_submit(path2, zto).run, status="running", started_at=now - timedelta(hours=2),
                      heartbeat_at=now - timedelta(seconds=30))
    assert run_recover_stale() == 1
    silent.refresh_from_db()
    beating.refresh_from_db()
    assert (silent.status, silent.error_code, silent.error) == ("failed", "worker_lost", WORKER_LOST_ZH)
    assert beating.status == "running"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_failed_by_the_sweep_while_it_saved_saves_nothing(monkeypatch, tmp_path):
    import threading

    from django.db import connection as db_connection

    from couriers.models import CourierBill, CourierBillLine
    from couriers.services import discrepancies_carry_over
    from recon.core.models import Discrepancy, ReconRun
    from recon.runs.services import run_execute

    zto, data = _seed(tmp_path, 120, seed=59)
    path = tmp_path / "bill.csv"
    write_messy_csv(data.bill, path)
    with open(path, "rb") as fh:
        run = courier_bill_submit(file=fh, filename="bill.csv", courier=zto, period="2026-10", enqueue=False).run

    def sweep_meanwhile(**kw):
        discrepancies_carry_over(**kw)

        # The stale sweep, from its own connection, commits while this save's transaction is still open.
        def sweep():
            ReconRun.objects.filter(id=run.id, status="running").update(status="failed", error_code="worker_lost")
            db_connection.close()

        thread = threading.Thread(target=sweep)
        thread.start()
        thread.join(10)

    monkeypatch.setattr("couriers.services.discrepancies_carry_over", sweep_meanwhile)
    run_execute(run_id=run.id)
    run.refresh_from_db()
    assert (run.status, run.error_code, run.courier_bill_id) == ("failed", "worker_lost", None)
    assert (CourierBill.objects.count(), CourierBillLine.objects.count(), Discrepancy.objects.count()) == (0, 0, 0)


@pytest.mark.django_db
def test_the_same_file_after_a_failed_run_is_a_new_submission(api_client, bill_file, zto, no_enqueue):
    first = _submit(bill_file[0], zto).run
    _run_at(first, status="failed", error_code="worker_lost")
    with open(bill_file[0], "rb") as fh:
        response = api_client.post("/api/v1/courier-bills/", {"file": fh, "courier": "ZTO", "period": "2026-10"}, format="multipart")
    assert response.status_code == 202
    body = response.json()
    assert (body["duplicate"], body["run"]["status"], body["run"]["id"] != first.id) == (False, "pending", True)


@pytest.mark.django_db
def test_the_same_file_while_its_run_is_stuck_fails_that_run_and_starts_a_new_one(settings, api_client, bill_file, zto, no_enqueue):
    from datetime import timedelta

    from django.utils import timezone

    settings.RUN_HEARTBEAT_TIMEOUT_SECONDS = 90
    stuck = _run_at(_submit(bill_file[0], zto).run, status="running", phase="saving",
                    heartbeat_at=timezone.now() - timedelta(seconds=300))
    with open(bill_file[0], "rb") as fh:
        response = api_client.post("/api/v1/courier-bills/", {"file": fh, "courier": "ZTO", "period": "2026-10"}, format="multipart")
    assert (response.status_code, response.json()["duplicate"], response.json()["run"]["status"]) == (202, False, "pending")
    stuck.refresh_from_db()
    assert (stuck.status, stuck.error_code) == ("failed", "worker_lost")


@pytest.mark.django_db
def test_the_same_file_while_its_run_is_alive_points_to_it(api_client, bill_file, zto, no_enqueue):
    from django.utils import timezone

    alive = _run_at(_submit(bill_file[0], zto).run, status="running", heartbeat_at=timezone.now())
    with open(bill_file[0], "rb") as fh:
        response = api_client.post("/api/v1/courier-bills/", {"file": fh, "courier": "ZTO", "period": "2026-10"}, format="multipart")
    body = response.json()
    assert (response.status_code, body["duplicate"], body["run"]["id"], body["run"]["rerun_url"]) == (200, True, alive.id, None)


@pytest.mark.django_db
def test_the_same_file_of_a_bill_whose_last_run_failed_offers_to_run_it_again(api_client, client, finance_user, bill_file, zto, no_enqueue):
    from recon.core.models import ReconRun
    from recon.runs.services import run_execute

    first = _submit(bill_file[0], zto).run
    run_execute(run_id=first.id)
    first.refresh_from_db()
    from couriers.services import courier_bill_rerun

    failed = courier_bill_rerun(bill=first.courier_bill)
    _run_at(failed, status="failed", phase="failed", error_code="worker_lost", error=WORKER_LOST_ZH)

    with open(bill_file[0], "rb") as fh:
        response = api_client.post("/api/v1/courier-bills/", {"file": fh, "courier": "ZTO", "period": "2026-10"}, format="multipart")
    body = response.json()
    assert (response.status_code, body["duplicate"], body["bill"], body["run"]["id"], body["run"]["status"]) == (
        200, True, first.courier_bill_id, failed.id, "failed")
    assert body["run"]["rerun_url"] == f"http://testserver/api/v1/runs/{failed.id}/rerun/"

    client.force_login(finance_user)
    with open(bill_file[0], "rb") as fh:
        page = client.post("/bills/upload/", {"file": fh, "courier": "ZTO", "period": "2026-10"}, follow=True)
    text = page.content.decode()
    assert page.redirect_chain[-1][0] == f"/runs/{failed.id}/"
    assert "此文件之前已上传，但那次运行失败了；可在下方重新运行。" in text
    assert "这次运行的结果均未保存；重新运行后每一行只会保存一次。" in text
    assert f'action="/runs/{failed.id}/rerun/"' in text

    response = api_client.post(body["run"]["rerun_url"])
    assert response.status_code == 202
    again = ReconRun.objects.get(id=response.json()["id"])
    assert (again.status, again.courier_bill_id, again.rerun_of_id) == ("pending", first.courier_bill_id, failed.id)
    run_execute(run_id=again.id)
    again.refresh_from_db()
    assert again.status == "succeeded"
    assert again.courier_bill.lines.count() == len(bill_file[1].bill)


@pytest.mark.django_db
def test_only_a_failed_run_can_be_run_again(api_client, bill_file, zto, no_enqueue):
    run = _submit(bill_file[0], zto).run
    response = api_client.post(f"/api/v1/runs/{run.id}/rerun/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "run_not_failed"
    assert response.json()["error"]["message"] == "只有失败的运行才能重新运行；这次运行的状态是“排队中”。"


@pytest.mark.django_db
def test_the_run_it_again_button_starts_a_new_run_of_the_stored_upload(client, finance_user, bill_file, zto, no_enqueue):
    from recon.core.models import ReconRun

    failed = _run_at(_submit(bill_file[0], zto).run, status="failed", phase="failed", error_code="database_unavailable")
    client.force_login(finance_user)
    response = client.post(f"/runs/{failed.id}/rerun/")
    again = ReconRun.objects.exclude(id=failed.id).get()
    assert response.status_code == 302 and response["Location"] == f"/runs/{again.id}/"
    assert (again.input_file.name, again.input_sha256, again.rerun_of_id, again.created_by) == (
        failed.input_file.name, failed.input_sha256, failed.id, finance_user)
    assert no_enqueue == [failed.id, again.id]


@pytest.mark.django_db
def test_import_command_exits_3_while_the_files_run_is_in_flight(capsys, bill_file, zto, no_enqueue):
    from django.core.management import call_command
    from django.utils import timezone

    from recon.core.models import ReconRun

    path = str(bill_file[0])
    args = ("import_courier_bill", path, "--courier", "ZTO", "--period", "2026-10")
    run = _submit(bill_file[0], zto).run
    _run_at(run, status="running", heartbeat_at=timezone.now())
    with pytest.raises(SystemExit) as exit_info:
        call_command(*args, "--json")
    assert exit_info.value.code == 3
    out = json.loads(capsys.readouterr().out)
    assert (out["run_id"], out["status"], out["duplicate"]) == (run.id, "running", True)

    _run_at(run, status="failed", phase="failed", error_code="worker_lost", error=WORKER_LOST_ZH)
    call_command(*args, "--json")  # its only run failed, no bill was made: a new submission, queued
    out = json.loads(capsys.readouterr().out)
    assert (out["run_id"] != run.id, out["status"], "duplicate" in out) == (True, "pending", False)


@pytest.mark.django_db
def test_import_command_exits_1_on_a_failed_run_and_reruns_it_with_rerun(capsys, bill_file, zto, no_enqueue):
    from django.core.management import call_command

    from recon.core.models import ReconRun
    from recon.runs.services import run_execute

    run = _submit(bill_file[0], zto).run
    run_execute(run_id=run.id)
    run.refresh_from_db()
    from couriers.services import courier_bill_rerun

    failed = _run_at(courier_bill_rerun(bill=run.courier_bill), status="failed", phase="failed", error_code="worker_lost",
                     error=WORKER_LOST_ZH)
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_courier_bill", str(bill_file[0]), "--courier", "ZTO", "--period", "2026-10", "--sync", "--json")
    assert exit_info.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert (out["run_id"], out["status"], out["duplicate"], out["error"]["code"]) == (failed.id, "failed", True, "worker_lost")
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_courier_bill", str(bill_file[0]), "--courier", "ZTO", "--period", "2026-10")
    assert exit_info.value.code == 1
    assert capsys.readouterr().err.splitlines()[:2] == [
        f"this file was already imported (bill #{run.courier_bill_id}, run #{failed.id})",
        f"its run #{failed.id} failed; add --rerun to run it again",
    ]
    call_command("import_courier_bill", str(bill_file[0]), "--courier", "ZTO", "--period", "2026-10", "--sync", "--rerun", "--json")
    out = json.loads(capsys.readouterr().out)
    again = ReconRun.objects.get(id=out["run_id"])
    assert (out["status"], out["bill_id"], out["lines"], again.rerun_of_id) == ("succeeded", run.courier_bill_id, len(bill_file[1].bill), failed.id)
