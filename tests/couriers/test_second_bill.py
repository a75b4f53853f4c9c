"""A second bill of a courier's period, and a deleted bill: replace or supplement, the same content refused, a deleted
bill counting for nothing until it is restored."""
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from couriers.models import CourierBill
from couriers.services import courier_bill_delete, courier_bill_submit
from recon.runs import services as run_services
from couriers.demo_data import generate, write_messy_csv, write_messy_xlsx
from recon.core.errors import UserFacingError
from recon.core.models import Discrepancy, DiscrepancyComment, ReconRun
from recon.review.services import discrepancy_assign, discrepancy_comment_add
from tests.couriers.test_bill_reconciliation import assert_matches_injected, load_shipments

pytestmark = pytest.mark.django_db


def submit_and_run(path, zto, period="2026-10", **kw) -> ReconRun:
    with open(path, "rb") as fh:
        sub = courier_bill_submit(file=fh, filename=path.name, courier=zto, period=period, **kw)
    run_services.run_execute(run_id=sub.run.id)
    return ReconRun.objects.get(id=sub.run.id)


@pytest.fixture
def october(demo_rate_card, zto, no_enqueue, tmp_path):
    """October's bill with one of each injected error, reconciled from its CSV; the same bill written as xlsx too."""
    data = generate(100, seed=4)
    load_shipments(data)
    csv, xlsx = tmp_path / "zto-2026-10.csv", tmp_path / "zto-2026-10.xlsx"
    write_messy_csv(data.bill, csv)
    write_messy_xlsx(data.bill, xlsx, sheets=2)
    run = submit_and_run(csv, zto)
    assert run.status == "succeeded", (run.error_code, run.error)
    return data, run, xlsx


def manager_api(manager_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(manager_user)
    return client


def current_types(run) -> dict[str, int]:
    from django.db.models import Count

    return dict(Discrepancy.objects.filter(run=run, is_current=True).values_list("type").annotate(n=Count("id")))


def test_a_deleted_bill_is_no_earlier_bill_and_restoring_it_names_the_runs_it_affects(october, zto, manager_user, client):
    data, run_a, xlsx = october
    bill_a = run_a.courier_bill
    courier_bill_delete(bill=bill_a, user=manager_user)

    # A deleted bill is not current: no mode is needed, and the same content may come back.
    run_b = submit_and_run(xlsx, zto)
    assert run_b.status == "succeeded", (run_b.error_code, run_b.error)
    assert_matches_injected(run_b, data.expected)
    assert not Discrepancy.objects.filter(run=run_b, reason__contains=f"#{bill_a.id}").exists()
    bill_b = run_b.courier_bill

    client.force_login(manager_user)
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("run-detail", args=[run_b.id])}"' in home
    assert f'href="{reverse("run-detail", args=[run_a.id])}"' not in home

    api = manager_api(manager_user)
    restored = api.post(f"/api/v1/courier-bills/{bill_a.id}/restore/")
    assert restored.status_code == 200
    assert restored.json()["affected_runs"] == [{"run": run_b.id, "bill": bill_b.id}]

    page = client.get(reverse("bill-detail", args=[bill_a.id])).content.decode()
    assert "其他账单的这些运行是在这份账单被删除期间进行的；重新运行之前它们不计入这份账单：" in page
    assert f'action="{reverse("bill-rerun-affected", args=[bill_a.id])}"' in page

    again = api.post(f"/api/v1/courier-bills/{bill_a.id}/rerun-affected/")
    assert again.status_code == 202
    [rerun] = again.json()["runs"]
    assert rerun["bill"] == bill_b.id
    run_services.run_execute(run_id=rerun["run"])
    rerun_b = ReconRun.objects.get(id=rerun["run"])
    # Restored, A counts again: every line of B bills a waybill A billed first.
    assert rerun_b.summary["by_type"]["duplicate_charge"]["count"] == len(data.bill)
    assert api.post(f"/api/v1/courier-bills/{bill_a.id}/restore/").status_code == 409
    assert api.get(f"/api/v1/courier-bills/{bill_a.id}/").json()["deleted_at"] is None


def test_a_second_bill_without_a_mode_is_refused_naming_the_first(october, zto, finance_user, tmp_path):
    data, run_a, _xlsx = october
    bill_a = run_a.courier_bill
    other = data.bill.copy()
    other.loc[0, "运费(元)"] = "99.00"
    path = tmp_path / "zto-2026-10-v2.csv"
    write_messy_csv(other, path)
    client = APIClient()
    client.force_authenticate(finance_user)
    with open(path, "rb") as fh:
        r = client.post("/api/v1/courier-bills/", {"file": fh, "courier": "ZTO", "period": "2026-10"}, format="multipart")
    assert r.status_code == 409
    error = r.json()["error"]
    assert error["code"] == "bill_exists"
    assert error["message"] == (
        f"ZTO 在 2026-10 已有账单 #{bill_a.id}（zto-2026-10.csv）。请把这个文件作为它的替换账单上传，或作为同一账期的补充账单上传。")
    assert error["details"]["bill_id"] == bill_a.id
    assert ReconRun.objects.count() == 1

    with pytest.raises(CommandError) as refused:
        call_command("import_courier_bill", str(path), "--courier", "ZTO", "--period", "2026-10", "--sync")
    assert str(refused.value).startswith(f"bill_exists: ZTO 在 2026-10 已有账单 #{bill_a.id}")
    assert CourierBill.objects.count() == 1


def test_a_supplementary_bill_counts_with_the_first_and_not_billed_looks_at_both(demo_rate_card, zto, no_enqueue, tmp_path):
    data = generate(100, seed=4)
    load_shipments(data)
    half = len(data.bill) // 2
    first, rest = tmp_path / "zto-2026-10.csv", tmp_path / "zto-2026-10-补充.csv"
    write_messy_csv(data.bill.iloc[:half], first)
    write_messy_csv(data.bill.iloc[half:], rest)
    run_a = submit_and_run(first, zto)
    assert run_a.summary["by_type"]["not_billed"]["count"] > data.expected["not_billed"]["count"]

    with pytest.raises(UserFacingError) as refused:
        submit_and_run(rest, zto)
    assert refused.value.code == "bill_exists"

    run_s = submit_and_run(rest, zto, mode="supplement")
    assert run_s.status == "succeeded", (run_s.error_code, run_s.error)
    bill_a, bill_s = run_a.courier_bill, run_s.courier_bill
    assert list(CourierBill.objects.filter(deleted_at__isnull=True).order_by("id").values_list("id", "is_supplement")) == [
        (bill_a.id, False), (bill_s.id, True)]
    # Only the shipment neither bill charges is not billed, once: the first bill's item (the supplement's run leaves it there).
    assert run_s.summary["by_type"]["not_billed"]["count"] == 0
    not_billed = Discrepancy.objects.filter(type="not_billed", is_current=True)
    assert list(not_billed.values_list("source_id", flat=True)) == [bill_a.id]
    assert len(set(not_billed.values_list("ref", flat=True))) == 1
    assert not set(not_billed.values_list("ref", flat=True)) & set(data.bill["运单号"])


@pytest.mark.parametrize("period,mode", [("2026-10", "replace"), ("2026-10", "supplement"), ("2026-11", "")])
def test_the_same_bill_as_xlsx_after_the_csv_is_refused_in_every_mode(october, zto, period, mode):
    _data, run_a, xlsx = october
    bill_a = run_a.courier_bill
    run = submit_and_run(xlsx, zto, period=period, mode=mode)
    assert run.status == "failed"
    assert run.error_code == "same_content"
    assert run.error == (f"这个文件的内容（相同的运单号和运费）与现行账单 #{bill_a.id}（zto-2026-10.csv）相同；未导入任何内容。")
    assert run.error_details == {"bill_id": bill_a.id}
    assert list(CourierBill.objects.values_list("id", "deleted_at")) == [(bill_a.id, None)]
    assert Discrepancy.objects.filter(is_current=True).exclude(run=run_a).count() == 0


def test_the_same_bill_again_without_a_mode_is_a_second_bill_refused_at_upload(october, zto):
    _data, run_a, xlsx = october
    with pytest.raises(UserFacingError) as refused:
        submit_and_run(xlsx, zto)
    assert refused.value.code == "bill_exists"
    assert refused.value.http_status == 409
    assert refused.value.details["bill_id"] == run_a.courier_bill_id


def test_a_replacement_deletes_the_first_bill_and_carries_its_work_over(october, zto, ops_user, tmp_path):
    data, run_a, _xlsx = october
    bill_a = run_a.courier_bill
    worked = Discrepancy.objects.get(run=run_a, type="weight_overcharge")
    discrepancy_assign(discrepancy=worked, assignee=ops_user, user=ops_user)
    discrepancy_comment_add(discrepancy=worked, text="称重照片已向网点索取", user=ops_user)

    corrected = data.bill.copy()
    fixed = corrected.index[corrected["运单号"] != worked.ref][0]
    corrected.loc[fixed, "运费(元)"] = f"{Decimal(corrected.loc[fixed, '运费(元)']) + Decimal('0.01'):.2f}"
    path = tmp_path / "zto-2026-10-更正.xlsx"
    write_messy_xlsx(corrected, path, sheets=1)
    run_b = submit_and_run(path, zto, mode="replace")
    assert run_b.status == "succeeded", (run_b.error_code, run_b.error)

    bill_a.refresh_from_db()
    bill_b = run_b.courier_bill
    assert bill_a.deleted_at is not None
    assert bill_b.replaces_id == bill_a.id and bill_b.is_supplement is False
    # The replaced bill is no earlier bill: only the duplicate injected inside the bill remains.
    assert run_b.summary["by_type"]["duplicate_charge"]["count"] == 1
    assert not Discrepancy.objects.filter(source=bill_a, is_current=True).exists()
    carried = Discrepancy.objects.get(run=run_b, type="weight_overcharge", ref=worked.ref)
    assert carried.is_current and carried.assignee_id == ops_user.id
    assert list(DiscrepancyComment.objects.filter(discrepancy=carried).values_list("text", flat=True)) == ["称重照片已向网点索取"]


def test_the_command_takes_the_choice(october, zto, tmp_path, capsys):
    data, run_a, _xlsx = october
    other = data.bill.copy()
    other.loc[0, "运费(元)"] = "99.00"
    path = tmp_path / "zto-2026-10-补充.csv"
    write_messy_csv(other, path)
    call_command("import_courier_bill", str(path), "--courier", "ZTO", "--period", "2026-10", "--sync", "--supplement", "--json")
    import json

    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "succeeded"
    assert CourierBill.objects.get(id=out["bill_id"]).is_supplement is True

    third = tmp_path / "zto-2026-10-更正.csv"
    other.loc[1, "运费(元)"] = "98.00"
    write_messy_csv(other, third)
    with pytest.raises(CommandError) as refused:
        call_command("import_courier_bill", str(third), "--courier", "ZTO", "--period", "2026-10", "--sync", "--replace")
    assert str(refused.value).startswith("replace_which: 该账期有多份账单（")
    call_command("import_courier_bill", str(third), "--courier", "ZTO", "--period", "2026-10", "--sync",
                 "--replace", str(run_a.courier_bill_id))
    assert list(CourierBill.objects.filter(deleted_at__isnull=True).order_by("id").values_list("id", flat=True)) == [
        out["bill_id"], out["bill_id"] + 1]


def test_the_upload_page_asks_for_the_choice(october, client, finance_user, tmp_path):
    data, run_a, _xlsx = october
    other = data.bill.copy()
    other.loc[0, "运费(元)"] = "99.00"
    path = tmp_path / "zto-2026-10-补充.csv"
    write_messy_csv(other, path)
    client.force_login(finance_user)
    with open(path, "rb") as fh:
        r = client.post(reverse("bill-upload"), {"courier": "ZTO", "period": "2026-10", "file": fh}, HTTP_ACCEPT="application/json")
    assert r.status_code == 400
    assert r.json() == {"errors": {"mode": [
        f"ZTO 在 2026-10 已有账单 #{run_a.courier_bill_id}（zto-2026-10.csv）。请把这个文件作为它的替换账单上传，或作为同一账期的补充账单上传。"]}}
    with open(path, "rb") as fh:
        r = client.post(reverse("bill-upload"), {"courier": "ZTO", "period": "2026-10", "file": fh, "mode": "supplement"})
    run = ReconRun.objects.latest("id")
    assert r.status_code == 302 and r["Location"] == reverse("run-detail", args=[run.id])
    assert run.params["mode"] == "supplement"
