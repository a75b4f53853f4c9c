"""Payments' demo: a month of orders, three settlement layouts and a bank statement imported through the real
importers, and every injected problem of the kinds `settlement` and `bank` found by the runs with its exact type, ref
and money, nothing else."""
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import OutputWrapper
from django.db.models import Count

from orders.models import Order, Platform
from payments.demo import bank_demo, payments_demo_frames, settlement_demo
from payments.models import BankLine, BankMatch, SettlementLine
from recon.core.models import Discrepancy, ReconRun

pytestmark = pytest.mark.django_db

# kind, type, ref, ref2, amount at stake in fen: one row per injected problem, every type of both kinds.
EXPECTED = [
    ("bank", "ambiguous_match", "BK202610270005", "", 0),
    ("bank", "bank_credit_unmatched", "BK202610180006", "", 123456),
    ("bank", "statement_balance_break", "BD202610050003", "payments-2026-10-bank-statement.csv", -1500),
    ("bank", "withdrawal_amount_mismatch", "20261022110070000089", "BK202610230004", 1000),
    ("bank", "withdrawal_not_received", "JD2026102090090", "", 250000),
    ("settlement", "fee_overcharge", "JD3202610000125", "", 612),
    ("settlement", "order_unpaid", "T202610000121", "", 28452),
    ("settlement", "refund_mismatch", "T202610000124", "", 5000),
    ("settlement", "settlement_amount_mismatch", "JD3202610000122", "", 1000),
    ("settlement", "settlement_amount_mismatch", "W202610000123", "", -1000),
    ("settlement", "settlement_unknown_order", "42000202610000000000000990001-P", "W202610990001", 8800),
]


@pytest.fixture
def seeded(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    out = io.StringIO()
    notes = settlement_demo(lines=0, period="2026-10", out_dir=tmp_path, stdout=OutputWrapper(out))
    notes += bank_demo(lines=0, period="2026-10", out_dir=tmp_path, stdout=OutputWrapper(out))
    return out.getvalue(), notes, tmp_path


def found_by(run) -> list[tuple]:
    rows = Discrepancy.objects.filter(run=run).values_list("type", "ref", "ref2", "amount_at_stake")
    return sorted((run.kind, t, ref, ref2, int(amount * 100)) for t, ref, ref2, amount in rows)


def test_the_files_are_written_and_imported_whole_through_the_real_importers(seeded):
    log, notes, out_dir = seeded
    runs = {r.kind: r.id for r in ReconRun.objects.all()}
    assert log.splitlines() == [
        "payments orders: 190 rows imported, 0 rejected",
        "payments settlements TMALL (alipay_merchant): 92 rows imported, 0 rejected",
        "payments settlements WXSHOP (wechat_merchant): 42 rows imported, 0 rejected",
        "payments settlements JD (ledger): 91 rows imported, 0 rejected",
        "payments bank statement: 15 rows imported, 0 rejected",
        f"settlement reconciled: run #{runs['settlement']} succeeded, 6 discrepancies",
        f"bank reconciled: run #{runs['bank']} succeeded, 5 discrepancies",
    ]
    assert sorted(p.name for p in out_dir.glob("payments-*")) == [
        "payments-2026-10-bank-statement.csv", "payments-2026-10-expected.csv", "payments-2026-10-jd-ledger.xlsx",
        "payments-2026-10-orders.csv", "payments-2026-10-tmall-alipay-账务明细.csv", "payments-2026-10-wxshop-wechatpay-bill.csv"]
    assert notes == [f"Payments files (2026-10: orders, three settlement files, a bank statement; 11 injected problems "
                     f"listed in payments-2026-10-expected.csv): {out_dir}"]
    # 40 good orders a platform and 5 with a problem; the Alipay file is GBK with its '#' preamble and footer.
    assert Order.objects.count() == 125
    assert dict(Order.objects.values_list("platform__code").annotate(n=Count("id"))) == {
        "TMALL": 42, "JD": 42, "WXSHOP": 41}
    assert (out_dir / "payments-2026-10-tmall-alipay-账务明细.csv").read_bytes().decode("gbk").startswith("#支付宝账务明细查询\r\n")
    assert (SettlementLine.objects.count(), BankLine.objects.count()) == (267, 15)
    assert list(Platform.objects.filter(code__in=["TMALL", "JD", "WXSHOP"]).order_by("code").values_list(
        "code", "fee_rate", "settle_within_days", "payer_names")) == [
        ("JD", Decimal("0.060000"), 15, ["网银在线（北京）科技有限公司"]),
        ("TMALL", Decimal("0.050000"), 15, ["支付宝（中国）网络技术有限公司"]),
        ("WXSHOP", Decimal("0.006000"), 7, ["财付通支付科技有限公司"]),
    ]


def test_each_injected_problem_is_found_with_its_type_ref_and_amount_and_nothing_else(seeded):
    demo = payments_demo_frames(period="2026-10")
    assert sorted((i.kind, i.type, i.ref, i.ref2, i.amount_fen) for i in demo.injected) == EXPECTED
    found = found_by(ReconRun.objects.get(kind="settlement")) + found_by(ReconRun.objects.get(kind="bank"))
    assert sorted(found) == EXPECTED
    # The good payouts matched by each rule: by reference, one to one, and two JD payouts in one credit.
    assert sorted(BankMatch.objects.values_list("rule", flat=True)) == ["group", "one_to_one", "reference", "reference"]


def test_the_commands_find_the_same_on_a_rerun(seeded, capsys):
    for kind in ("settlement", "bank"):
        call_command("reconcile", kind, "--from", "2026-10-01", "--to", "2026-10-31", "--as-of", "2026-11-14", "--sync", "--json")
        json.loads(capsys.readouterr().out)
    again = [found_by(ReconRun.objects.filter(kind=kind).latest("id")) for kind in ("settlement", "bank")]
    assert sorted(again[0] + again[1]) == EXPECTED


def test_seeding_twice_writes_nothing_more(seeded, tmp_path):
    out = io.StringIO()
    assert settlement_demo(lines=0, period="2026-10", out_dir=tmp_path, stdout=OutputWrapper(out)) == []
    assert bank_demo(lines=0, period="2026-10", out_dir=tmp_path, stdout=OutputWrapper(out)) == []
    assert out.getvalue() == "payments demo data already present\n"
    assert (Order.objects.count(), ReconRun.objects.count()) == (125, 2)
