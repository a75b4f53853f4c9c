"""The review queue: every filter, money totals, bulk work, reruns that keep the work done, deleted bills."""
from decimal import Decimal

import pytest
from django.urls import reverse

from couriers.services import courier_bill_delete, courier_bill_rerun, courier_bill_restore
from recon.review import bulk
from recon.review import services as review
from recon.core.errors import UserFacingError
from recon.core.models import AuditEvent, BulkAction, Discrepancy, DiscrepancyComment, ReconPeriod
from recon.review.bulk import bulk_action_execute, bulk_action_submit
from recon.review.services import discrepancy_assign, discrepancy_comment_add, discrepancy_resolve
from tests.couriers.test_bill_reconciliation import load_shipments, submit_and_run

from .conftest import make_bill, make_discrepancy, make_run

pytestmark = pytest.mark.django_db


def waybills(response):
    return [d.ref for d in response.context["rows"]]


@pytest.fixture
def worked(reconciled, ops_user, ops_user_2, manager_user):
    """The reconciled bill after some work: one recovered, one assigned to Oscar, one accepted by nobody's hand."""
    d1, d2, d3, d4 = reconciled["discrepancies"]  # ZT00000001 ¥2.00, ZT00000002 ¥1.00, ZT99999999 ¥3.00, ZT00000003 ¥0.50 (info)
    Discrepancy.objects.filter(pk=d1.pk).update(ref2="SO-1")
    discrepancy_resolve(discrepancy=d1, outcome="recovered", amount="1.20", user=ops_user)
    discrepancy_assign(discrepancy=d2, assignee=ops_user_2, user=manager_user)
    review.discrepancy_set_status(discrepancy=d3, status="disputed", user=ops_user)
    return reconciled


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["ZT99999999", "ZT00000001", "ZT00000002", "ZT00000003"]),
    ({"status": "open"}, ["ZT00000002", "ZT00000003"]),
    ({"status": ["disputed", "resolved"]}, ["ZT99999999", "ZT00000001"]),
    ({"outcome": "recovered"}, ["ZT00000001"]),
    ({"type": "rate_undercharge"}, ["ZT00000003"]),
    ({"kind": "courier_fee"}, ["ZT99999999", "ZT00000001", "ZT00000002", "ZT00000003"]),
    ({"courier": "zto"}, ["ZT99999999", "ZT00000001", "ZT00000002", "ZT00000003"]),
    ({"courier": "YTO"}, []),
    ({"assignee": "none"}, ["ZT99999999", "ZT00000001", "ZT00000003"]),
    ({"assignee": "oscar"}, ["ZT00000002"]),
    ({"q": "ZT0000000"}, ["ZT00000001", "ZT00000002", "ZT00000003"]),
    ({"q": "SO-1"}, ["ZT00000001"]),
    ({"q": "ZT9"}, ["ZT99999999"]),
    ({"amount_min": "1.00", "amount_max": "2.00"}, ["ZT00000001", "ZT00000002"]),
    ({"ordering": "waybill_no"}, ["ZT00000001", "ZT00000002", "ZT00000003", "ZT99999999"]),
    ({"ordering": "-status"}, ["ZT00000001", "ZT00000002", "ZT00000003", "ZT99999999"]),  # by code: resolved, open, disputed
])
def test_each_filter_shows_exactly_its_rows(worked, ops_client, params, expected):
    assert waybills(ops_client.get(reverse("discrepancy-list"), params)) == expected
    api = ops_client.get("/api/v1/discrepancies/", params).json()
    assert [d["waybill_no"] for d in api["results"]] == expected


def test_assignee_me_and_by_id(worked, client, ops_user_2):
    client.force_login(ops_user_2)
    assert waybills(client.get(reverse("discrepancy-list"), {"assignee": "me"})) == ["ZT00000002"]
    assert waybills(client.get(reverse("discrepancy-list"), {"assignee": str(ops_user_2.pk)})) == ["ZT00000002"]


def test_period_filter_and_totals_per_period_and_courier(worked, ops_client, zto, finance_user):
    from datetime import date

    from recon.periods.services import period_get_or_create

    nov = period_get_or_create(counterparty=zto.counterparty, start=date(2026, 11, 1), end=date(2026, 11, 30))
    bill = make_bill(zto, finance_user, sha="b" * 64)
    bill.period = nov
    bill.save()
    run = make_run(zto, finance_user, bill, period_start=nov.start, period_end=nov.end)
    make_discrepancy(run, "ZT55555555", "zone_mismatch", "7.25", "12.25", "5.00")
    assert waybills(ops_client.get(reverse("discrepancy-list"), {"period": nov.pk})) == ["ZT55555555"]
    totals = ops_client.get("/api/v1/discrepancies/totals/").json()
    assert totals["total"] == {
        "count": 5, "at_stake": "13.25", "open": "8.25", "disputed": "3.00", "recovered": "1.20",
        "accepted": "0.00", "written_off": "0.00", "shortfall": "0.80", "investigating": "0.00", "informational": "0.50",
    }
    assert [(g["period_start"], g["courier"], g["count"], g["at_stake"], g["open"], g["recovered"]) for g in totals["groups"]] == [
        ("2026-11-01", "ZTO", 1, "7.25", "7.25", "0.00"),
        ("2026-10-01", "ZTO", 4, "6.00", "1.00", "1.20"),
    ]


def test_bulk_on_ticked_rows_changes_what_it_may_and_counts_the_rest(worked, ops_user, client):
    d1, d2, d3, d4 = worked["discrepancies"]
    client.force_login(ops_user)
    response = client.post(reverse("discrepancy-bulk"), {
        "action": "status", "status": "investigating", "ids": [d1.pk, d2.pk, d3.pk, d4.pk], "scope": "selected",
    }, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    job = BulkAction.objects.get()
    # d1 is resolved (may only be reopened, which `investigating` is), d2 is Oscar's, d3 disputed → investigating, d4 open.
    assert job.status == "succeeded"
    assert job.result == {"changed": 3, "skipped": {"not_yours": 1}}
    assert dict(Discrepancy.objects.values_list("ref", "status")) == {
        "ZT00000001": "investigating", "ZT00000002": "open", "ZT99999999": "investigating", "ZT00000003": "investigating",
    }
    d1.refresh_from_db()
    assert (d1.outcome, d1.recovered_amount) == ("", None)  # reopening forgets the outcome
    assert AuditEvent.objects.filter(note=f"bulk #{job.id}").values_list("action", flat=True).order_by("object_id").count() == 3
    assert AuditEvent.objects.get(note=f"bulk #{job.id}", object_id=d1.pk).action == "reopen"


def test_bulk_on_the_whole_filter_runs_on_a_worker_with_progress(worked, ops_user, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(bulk, "BULK_SYNC_LIMIT", 1)
    monkeypatch.setattr(bulk, "BULK_CHUNK", 1)
    queued = []
    monkeypatch.setattr("recon.runs.tasks.bulk_action_execute_task.delay", lambda job_id: queued.append(job_id))
    with django_capture_on_commit_callbacks(execute=True):
        job = bulk_action_submit(action="comment", params={"text": "checked with the warehouse"}, query="status=open&status=disputed", user=ops_user)
    assert (job.status, job.progress_total, queued) == ("pending", 3, [job.id])
    bulk_action_execute(bulk_action_id=job.id)
    job.refresh_from_db()
    assert (job.status, job.progress_current, job.progress_percent, job.result) == ("succeeded", 3, 100, {"changed": 3, "skipped": {}})
    assert sorted(DiscrepancyComment.objects.values_list("discrepancy__ref", flat=True)) == ["ZT00000002", "ZT00000003", "ZT99999999"]
    bulk_action_execute(bulk_action_id=job.id)  # a second delivery of the task does nothing
    assert DiscrepancyComment.objects.count() == 3


def test_bulk_refuses_an_empty_selection_and_bad_parameters(worked, ops_user):
    for kwargs, code in [
        ({"action": "status", "params": {"status": "resolved", "outcome": "accepted"}, "ids": [1]}, "reason_required"),
        ({"action": "assign", "params": {"assignee": "nobody-here"}, "ids": [1]}, "invalid_assignee"),
        ({"action": "comment", "params": {"text": "x"}}, "empty_selection"),
        ({"action": "comment", "params": {"text": "x"}, "query": "courier=YTO"}, "empty_selection"),
        ({"action": "delete", "params": {}, "ids": [1]}, "invalid_action"),
    ]:
        with pytest.raises(UserFacingError) as err:
            bulk_action_submit(user=ops_user, **kwargs)
        assert err.value.code == code
    assert BulkAction.objects.count() == 0


def test_bulk_resolve_recovered_in_full_uses_each_rows_amount(reconciled, manager_user):
    job = bulk_action_submit(action="status", params={"status": "resolved", "outcome": "recovered"}, query="courier=ZTO", user=manager_user)
    assert job.result == {"changed": 3, "skipped": {"nothing_to_recover": 1}}
    assert dict(Discrepancy.objects.filter(outcome="recovered").values_list("ref", "recovered_amount")) == {
        "ZT00000001": Decimal("2.00"), "ZT00000002": Decimal("1.00"), "ZT99999999": Decimal("3.00"),
    }


def test_saved_filters_are_per_user(worked, ops_client, client, ops_user_2):
    ops_client.post(reverse("saved-filter-create"), {"name": "我的争议", "query": "status=disputed"})
    page = ops_client.get(reverse("discrepancy-list"))
    assert [(f.name, f.query) for f in page.context["saved_filters"]] == [("我的争议", "status=disputed")]
    client.force_login(ops_user_2)
    assert list(client.get(reverse("discrepancy-list")).context["saved_filters"]) == []


def test_the_queue_page_has_a_query_budget(zto, finance_user, ops_client, django_assert_max_num_queries):
    run = make_run(zto, finance_user, make_bill(zto, finance_user))
    for i in range(60):
        make_discrepancy(run, f"ZT6{i:07d}", "weight_overcharge", f"{i + 1}.00", "9.00", "3.00")
    with django_assert_max_num_queries(10):
        response = ops_client.get(reverse("discrepancy-list"), {"status": "open"})
    assert len(response.context["rows"]) == 50


# --------------------------------------------------------------------------- reruns and deleted bills


def test_reconciling_again_keeps_the_work_done(demo_rate_card, zto, no_enqueue, tmp_path, ops_user, finance_user):
    from recon.runs import services as run_services
    from couriers.demo_data import generate, write_messy_csv

    data = generate(300, seed=21)
    load_shipments(data)
    path = tmp_path / "bill.csv"
    write_messy_csv(data.bill, path)
    first = submit_and_run(path, zto, user=finance_user)
    claims = Discrepancy.objects.filter(run=first).exclude(type__in=["rate_undercharge", "no_rate", "not_billed"]).order_by("-amount_at_stake", "id")
    a, b = claims[0], claims[1]
    discrepancy_resolve(discrepancy=a, outcome="recovered", amount=str(a.amount_at_stake), user=ops_user)
    discrepancy_comment_add(discrepancy=b, text="asked the warehouse for the scale photo", user=ops_user)
    count_first = Discrepancy.objects.filter(run=first).count()

    rerun = courier_bill_rerun(bill=first.courier_bill, user=finance_user)
    run_services.run_execute(run_id=rerun.id)
    rerun.refresh_from_db()
    assert rerun.status == "succeeded"
    # Only the new run is in the queue, with the same rows and the work carried over.
    assert Discrepancy.objects.filter(is_current=True).count() == Discrepancy.objects.filter(run=rerun).count() == count_first
    assert not Discrepancy.objects.filter(run=first, is_current=True).exists()
    new_a = Discrepancy.objects.get(run=rerun, type=a.type, ref=a.ref, source_line=a.source_line)
    new_b = Discrepancy.objects.get(run=rerun, type=b.type, ref=b.ref, source_line=b.source_line)
    assert (new_a.status, new_a.outcome, new_a.recovered_amount) == ("resolved", "recovered", a.amount_at_stake)
    assert list(new_b.comments.values_list("text", flat=True)) == ["asked the warehouse for the scale photo"]
    from recon.review.selectors import discrepancy_history

    assert [e.action for e in discrepancy_history(new_a)] == ["carry_over", "resolve"]


def test_a_deleted_bill_leaves_the_queue_and_a_manager_restores_it(reconciled, manager_user, finance_user, ops_client):
    bill = reconciled["bill"]
    courier_bill_delete(bill=bill, user=manager_user)
    assert waybills(ops_client.get(reverse("discrepancy-list"))) == []
    assert ops_client.get("/api/v1/courier-bills/").json()["count"] == 0
    assert ops_client.get("/api/v1/courier-bills/?deleted=1").json()["count"] == 1
    with pytest.raises(UserFacingError) as err:
        courier_bill_restore(bill=bill, user=finance_user)
    assert err.value.http_status == 403
    with pytest.raises(UserFacingError) as err:
        courier_bill_rerun(bill=bill, user=finance_user, enqueue=False)
    assert err.value.code == "bill_deleted"
    courier_bill_restore(bill=bill, user=manager_user)
    assert len(waybills(ops_client.get(reverse("discrepancy-list")))) == 4
    assert list(AuditEvent.objects.filter(object_type="courier_bill", object_id=bill.id).order_by("id").values_list("action", "actor_name")) == [
        ("delete", "carol"), ("restore", "carol"),
    ]


def test_the_api_works_a_discrepancy_end_to_end(reconciled, ops_user, manager_user):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(ops_user)
    d = reconciled["discrepancies"][0]
    assert api.post(f"/api/v1/discrepancies/{d.pk}/assign/", {"assignee": "olivia"}, format="json").json()["assignee"] == "olivia"
    r = api.post(f"/api/v1/discrepancies/{d.pk}/comments/", {"text": "称重照片已上传"}, format="json")
    assert r.status_code == 201 and r.json()["author"] == "olivia"
    from django.core.files.uploadedfile import SimpleUploadedFile

    photo = SimpleUploadedFile("scale.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100, content_type="image/jpeg")
    r = api.post(f"/api/v1/discrepancies/{d.pk}/attachments/", {"file": photo}, format="multipart")
    assert r.status_code == 201 and (r.json()["original_filename"], r.json()["size_bytes"]) == ("scale.jpg", 104)
    r = api.post(f"/api/v1/discrepancies/{d.pk}/status/", {"status": "resolved", "outcome": "recovered", "amount": "9.99"}, format="json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "amount_too_large"
    r = api.post(f"/api/v1/discrepancies/{d.pk}/status/", {"status": "resolved", "outcome": "recovered", "amount": "2.00"}, format="json")
    assert r.status_code == 200 and (r.json()["status"], r.json()["recovered_amount"]) == ("resolved", "2.00")
    actions = [e["action"] for e in api.get(f"/api/v1/discrepancies/{d.pk}/history/").json()]
    assert actions == ["resolve", "attach", "comment", "assign"]

    period = reconciled["bill"].period
    r = api.post(f"/api/v1/periods/{period.pk}/close/")
    assert r.status_code == 403  # ops may not close
    manager = APIClient()
    manager.force_authenticate(manager_user)
    r = manager.post(f"/api/v1/periods/{period.pk}/close/")
    assert r.status_code == 409 and r.json()["error"]["code"] == "period_has_open_items"
    Discrepancy.objects.exclude(pk=d.pk).update(status="resolved", outcome="written_off", outcome_reason="small")
    assert manager.post(f"/api/v1/periods/{period.pk}/close/").json()["status"] == "closed"
    r = api.post(f"/api/v1/discrepancies/{d.pk}/status/", {"status": "open"}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "period_closed"
    assert ReconPeriod.objects.get(pk=period.pk).status == "closed"
    r = manager.post(f"/api/v1/periods/{period.pk}/reopen/", {"reason": "corrected bill"}, format="json")
    assert r.json()["status"] == "open"


def test_bulk_needs_the_permission_of_its_action(reconciled, auditor_user, django_user_model):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    ids = [reconciled["discrepancies"][0].pk]
    with pytest.raises(UserFacingError) as err:
        bulk_action_submit(action="comment", params={"text": "x"}, ids=ids, user=auditor_user)
    assert err.value.http_status == 403
    # A custom role that works the queue but may not comment.
    worker = UserFactory(username="wendy")
    worker.user_permissions.add(*Permission.objects.filter(codename__in=["work_discrepancy", "view_discrepancy"]))
    with pytest.raises(UserFacingError):
        bulk_action_submit(action="comment", params={"text": "x"}, ids=ids, user=worker)
    assert bulk_action_submit(action="assign", params={"assignee": "none"}, ids=ids, user=worker).result == {"changed": 0, "skipped": {"unchanged": 1}}
    assert not DiscrepancyComment.objects.exists()


@pytest.mark.parametrize(("query", "code"), [
    ("type=weight_overchage", "invalid_filter"),  # a typo must not widen the selection to the whole queue
    ("amount_min=5%2C000", "invalid_filter"),
    ("period=abc", "invalid_filter"),
    ("ordering=-amount_at_stake&cursor=abc", "empty_selection"),  # paging and sorting select nothing
])
def test_bulk_refuses_a_filter_that_would_select_the_whole_queue(reconciled, manager_user, query, code):
    with pytest.raises(UserFacingError) as err:
        bulk_action_submit(action="status", params={"status": "resolved", "outcome": "written_off", "reason": "x"}, query=query, user=manager_user)
    assert err.value.code == code
    assert not Discrepancy.objects.filter(status="resolved").exists() and not BulkAction.objects.exists()


def test_rows_of_a_deleted_or_replaced_bill_cannot_be_worked(reconciled, manager_user, ops_user):
    d = reconciled["discrepancies"][0]
    courier_bill_delete(bill=reconciled["bill"], user=manager_user)
    with pytest.raises(UserFacingError) as err:
        review.discrepancy_set_status(discrepancy=d, status="investigating", user=ops_user)
    assert (err.value.code, err.value.http_status) == ("not_current", 409)
    with pytest.raises(UserFacingError):
        discrepancy_comment_add(discrepancy=d, text="late", user=ops_user)
    job = bulk_action_submit(action="assign", params={"assignee": "none"}, ids=[d.pk], user=manager_user)
    assert job.result == {"changed": 0, "skipped": {"not_current": 1}}
    assert Discrepancy.objects.get(pk=d.pk).status == "open"


def test_the_export_of_my_rows_is_mine(worked, client, ops_user_2):
    client.force_login(ops_user_2)
    text = client.get(reverse("discrepancy-export"), {"format": "csv", "assignee": "me"}).content.decode("utf-8-sig")
    assert [line.split(",")[0] for line in text.splitlines()[1:]] == ["ZT00000002"]


def test_history_shows_where_changes_came_from_only_to_readers_of_the_trail(worked, client, ops_user, auditor_user):
    d = worked["discrepancies"][0]
    client.force_login(ops_user)
    assert {e["ip"] for e in client.get(f"/api/v1/discrepancies/{d.pk}/history/").json()} == {None}
    AuditEvent.objects.create(at=d.created_at, actor_name="olivia", ip="203.0.113.9", object_type="discrepancy", object_id=d.pk, action="comment")
    assert "203.0.113.9" not in client.get(reverse("discrepancy-detail", args=[d.pk])).content.decode()
    client.force_login(auditor_user)
    assert "203.0.113.9" in client.get(reverse("discrepancy-detail", args=[d.pk])).content.decode()
    assert "203.0.113.9" in {e["ip"] for e in client.get(f"/api/v1/discrepancies/{d.pk}/history/").json()}
