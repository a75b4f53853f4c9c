"""The demo a new user meets after `make run`: every role can log in, the bill is reconciled and waiting in the queue."""
import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_each_role_a_login_and_an_open_queue(tmp_path, settings, capsys):
    from django.contrib.auth import authenticate

    from recon.core.models import Discrepancy, ReconRun

    settings.VAR_DIR = tmp_path
    call_command("seed_demo", lines=200)
    out = capsys.readouterr().out
    for username, role in [("admin", "manager"), ("finance", "finance"), ("ops", "ops"), ("auditor", "auditor"), ("integration", "integration")]:
        user = authenticate(username=username, password=username)
        assert user is not None and list(user.groups.values_list("name", flat=True)) == [role], username
        assert f"{username} / {username}" in out
    assert "Authorization: Token " in out
    # One run per kind: the courier's bill, then a month of returns with one injected problem per listed line, then the
    # payments month (settlements against orders, payouts against the bank) with 6 and 5, then the outbound month with 11.
    bill_run = ReconRun.objects.get(kind="courier_fee")
    returns_run = ReconRun.objects.get(kind="returns")
    settlement_run, bank_run = ReconRun.objects.get(kind="settlement"), ReconRun.objects.get(kind="bank")
    outbound_run = ReconRun.objects.get(kind="outbound")
    assert {r.status for r in (bill_run, returns_run, settlement_run, bank_run, outbound_run)} == {"succeeded"}
    assert (returns_run.summary["discrepancies"], settlement_run.summary["discrepancies"], bank_run.summary["discrepancies"],
            outbound_run.summary["discrepancies"]) == (12, 6, 5, 11)
    queue = Discrepancy.objects.filter(is_current=True)
    assert queue.count() == bill_run.summary["discrepancies"] + 12 + 6 + 5 + 11 and bill_run.summary["discrepancies"] > 0
    assert set(queue.values_list("status", flat=True)) == {"open"}
    assert (tmp_path / "demo" / "zto-2026-11-bill.xlsx").exists()
    assert (tmp_path / "demo" / "returns-2026-10-expected.csv").exists()
    assert (tmp_path / "demo" / "payments-2026-10-expected.csv").exists()
    assert (tmp_path / "demo" / "outbound-2026-10-expected.csv").exists()
    call_command("seed_demo", lines=200)  # a second time changes nothing
    assert ReconRun.objects.count() == 5


def test_seed_demo_calls_each_kinds_demo_hook_in_the_kinds_order(tmp_path, settings, capsys):
    from django.test import override_settings

    from tests.recon import toy_kind

    settings.VAR_DIR = tmp_path
    toy_kind.DEMO_CALLS.clear()
    with override_settings(RECON_EXTRA_KINDS={"toy": "tests.recon.toy_kind.DEMO_SPEC"}):
        call_command("seed_demo", lines=200, period="2026-09")
    out = capsys.readouterr().out.splitlines()
    assert toy_kind.DEMO_CALLS == [{"lines": 200, "period": "2026-09", "out_dir": tmp_path / "demo"}]
    # The core's kinds first (courier fees, returns, settlements, bank, outbound), then the test's kind; each one's notes after the
    # logins, in the same order.
    seeded = out.index("toy demo seeded")
    assert out[seeded - 1].startswith("outbound reconciled: run #") and out[seeded + 1:seeded + 3] == ["", "Demo logins:"]
    assert out[-6] == f"Sample files to upload (another month's bill, messy shapes): {tmp_path / 'demo'}"
    assert out[-5].startswith("Returns files (") and out[-4].startswith("Payments files (2026-09: ")
    # Outbound's notes go through the catalogue: the command speaks the site's language, Chinese.
    assert out[-3].startswith("可在 /orders/outbound/upload/ 上传的出库文件（2026-10-01：出库单 ")
    assert out[-2] == f"出库 2026-09：注入的 11 个问题列于 {tmp_path / 'demo' / 'outbound-2026-09-expected.csv'}"
    assert out[-1] == "Toy sample files: none"


def test_a_demo_hook_may_be_the_function_itself():
    from django.test import override_settings

    from recon.kinds import kind_spec
    from tests.recon import toy_kind

    with override_settings(RECON_EXTRA_KINDS={"toy": "tests.recon.toy_kind.CALLABLE_DEMO_SPEC"}):
        assert kind_spec("toy").hook("demo") is toy_kind.demo
    with override_settings(RECON_EXTRA_KINDS={"toy": "tests.recon.toy_kind.DEMO_SPEC"}):
        assert kind_spec("toy").hook("demo") is toy_kind.demo
        assert kind_spec("toy").hook("reconcile") is None
