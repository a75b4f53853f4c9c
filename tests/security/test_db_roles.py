"""The application's database role reads and writes rows but cannot rewrite the audit trail; migrations run as the owner."""
import io
import json
import os
import subprocess
import sys
import uuid

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection

from couriers.demo_data import generate, rate_card_frame, write_messy_csv
from tests.conftest import ROOT

# Transactional: the grants must be committed for the app role's own connection to see them. serialized_rollback: an
# earlier transactional test flushed the couriers and roles that the migrations made.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "app-role-test-password"


def url(user: str, password: str | None = None) -> str:
    s = connection.settings_dict
    auth = user + (f":{password}" if password else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def app_role(monkeypatch):
    """A login role made and granted by the command, as docker-compose's migrate step does; dropped afterwards."""
    role = f"recon_app_test_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("DATABASE_URL", url(role, PASSWORD))
    call_command("db_grant_app_role", "--create", stdout=open(os.devnull, "w"))  # noqa: SIM115
    try:
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')


@pytest.fixture
def as_app(app_role):
    s = connection.settings_dict
    conn = psycopg2.connect(host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, dbname=s["NAME"], user=app_role, password=PASSWORD)
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()


def refused(conn, statement: str) -> str:
    with conn.cursor() as cursor, pytest.raises(psycopg2.Error) as caught:
        cursor.execute(statement)
    return caught.value.pgcode


INSUFFICIENT_PRIVILEGE = "42501"


def test_the_app_role_cannot_rewrite_the_audit_trail(as_app):
    with as_app.cursor() as cursor:
        cursor.execute("INSERT INTO recon_auditevent (at, actor_name, object_type, object_id, action, changes, note) "
                       "VALUES (now(), '', 'setting', 1, 'change', '{}', 'by the app role') RETURNING id")
        (event_id,) = cursor.fetchone()
        cursor.execute("SELECT note FROM recon_auditevent WHERE id = %s", [event_id])
        assert cursor.fetchone() == ("by the app role",)
    for statement in [
        "TRUNCATE recon_auditevent",
        "ALTER TABLE recon_auditevent DISABLE TRIGGER recon_auditevent_append_only",
        "ALTER TABLE recon_auditevent DISABLE TRIGGER ALL",
        "DROP TRIGGER recon_auditevent_append_only ON recon_auditevent",
        "DROP FUNCTION recon_audit_append_only()",
        "DROP TABLE recon_auditevent",
        f"UPDATE recon_auditevent SET note = 'rewritten' WHERE id = {event_id}",
        f"DELETE FROM recon_auditevent WHERE id = {event_id}",
        "ALTER TABLE recon_auditevent OWNER TO CURRENT_USER",
        "SELECT setval('recon_auditevent_id_seq', 1)",
        "TRUNCATE couriers_courier CASCADE",
        "CREATE TABLE public.sneaky (id int)",
    ]:
        assert refused(as_app, statement) == INSUFFICIENT_PRIVILEGE, statement
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM recon_auditevent WHERE id = %s", [event_id])
        assert cursor.fetchone() == ("by the app role",)
        cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = 'recon_auditevent_append_only'")
        assert cursor.fetchone() == ("O",)


def test_the_app_role_writes_rows_of_the_other_tables(as_app):
    with as_app.cursor() as cursor:
        cursor.execute("INSERT INTO recon_setting (key, value, updated_at) VALUES ('probe', '1', now()) RETURNING id")
        (setting_id,) = cursor.fetchone()
        cursor.execute("UPDATE recon_setting SET value = '2' WHERE id = %s", [setting_id])
        cursor.execute("DELETE FROM recon_setting WHERE id = %s", [setting_id])
        assert cursor.rowcount == 1
        cursor.execute("CREATE TEMP TABLE staging (id bigint)")
        cursor.copy_expert("COPY staging FROM STDIN", io.StringIO("1\n2\n"))
        cursor.execute("SELECT count(*) FROM staging")
        assert cursor.fetchone() == (2,)


def test_the_product_runs_as_the_app_role(app_role, tmp_path):
    """Imports (COPY, temporary tables), a reconciliation and a rerun with carry-over, in a process that is the app role."""
    data = generate(300, seed=5)
    shipments, card, bill = tmp_path / "shipments.csv", tmp_path / "card.xlsx", tmp_path / "bill.csv"
    data.shipments.assign(shipped_at=data.shipments["shipped_at"].dt.strftime("%Y/%m/%d %H:%M")).to_csv(shipments, index=False)
    rate_card_frame().to_excel(card, index=False)
    write_messy_csv(data.bill, bill)
    script = f"""
import json
from django.core.management import call_command
from couriers.models import CourierBill
from couriers.services import courier_bill_rerun
from recon.core.models import AuditEvent, ReconRun
from recon.runs.services import run_execute
call_command("import_shipments", {str(shipments)!r})
call_command("import_shipments", {str(shipments)!r})
call_command("import_rate_card", {str(card)!r}, "--courier", "ZTO", "--effective-from", "2026-01-01", "--volumetric-divisor", "8000")
call_command("import_courier_bill", {str(bill)!r}, "--courier", "ZTO", "--period", "2026-10", "--sync", "--json")
rerun = courier_bill_rerun(bill=CourierBill.objects.get(), enqueue=False)
run_execute(run_id=rerun.id)
print("RESULT", json.dumps([[r.status, r.error] for r in ReconRun.objects.order_by("id")]), AuditEvent.objects.count() > 0)
"""
    env = {**os.environ, "DATABASE_URL": url(app_role, PASSWORD), "CELERY_TASK_ALWAYS_EAGER": "false"}
    env.pop("DATABASE_MIGRATE_URL", None)
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    result = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    runs, audited = result.removeprefix("RESULT ").rsplit(" ", 1)
    assert json.loads(runs) == [["succeeded", ""], ["succeeded", ""]]
    assert audited == "True"


def test_migrate_and_the_grant_use_the_owner_url_and_nothing_else_does(app_role):
    """DATABASE_URL names a role that cannot log in; only the owner commands reach the database, through DATABASE_MIGRATE_URL."""
    env = {**os.environ, "DATABASE_URL": url("no_such_role_here", "x"), "DATABASE_MIGRATE_URL": url(connection.settings_dict["USER"])}
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    grant = subprocess.run([sys.executable, "manage.py", "db_grant_app_role", app_role], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert grant.returncode == 0, grant.stderr[-2000:]
    assert f'REVOKE UPDATE, DELETE ON "recon_auditevent" FROM "{app_role}"' in grant.stdout
    other = subprocess.run([sys.executable, "manage.py", "showmigrations", "recon"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert other.returncode != 0
    assert 'role "no_such_role_here" does not exist' in other.stderr


def test_the_grant_refuses_a_role_that_owns_tables(app_role):
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE recon_setting OWNER TO "{app_role}"')
    try:
        with pytest.raises(Exception, match=f"role_owns_tables: {app_role} owns 2 tables or sequences here"):
            call_command("db_grant_app_role", app_role)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER TABLE recon_setting OWNER TO "{connection.settings_dict["USER"]}"')


def test_the_grant_reads_the_app_url_from_database_url_file(monkeypatch, tmp_path):
    """Docker secrets: DATABASE_URL_FILE names the application's role for the grant as it does for the settings."""
    role = f"recon_app_test_{uuid.uuid4().hex[:8]}"
    (tmp_path / "database_url").write_text(url(role, PASSWORD) + "\n", encoding="utf-8")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL_FILE", str(tmp_path / "database_url"))
    call_command("db_grant_app_role", "--create", stdout=io.StringIO())
    try:
        s = connection.settings_dict
        conn = psycopg2.connect(host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, dbname=s["NAME"], user=role, password=PASSWORD)
        with conn.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (role,)
        conn.close()
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')
