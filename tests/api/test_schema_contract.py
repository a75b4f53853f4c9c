"""The API keeps its own contract: the schema builds without a warning, and schemathesis finds nothing against the live server.

The fuzz runs the schemathesis CLI in a subprocess against pytest-django's live server (the real middleware stack
over HTTP), once with a manager's token (every endpoint, writes included) and once with an integration token
(the role that most often gets 403). Seeded and bounded by example counts, so a run is repeatable and takes about
a minute per token; a hard timeout stops a hung run.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

# serialized_rollback: the flush after a transactional test empties the couriers and roles the migrations made.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_schema_conformance", "response_headers_conformance",
])
SCHEMATHESIS = [sys.executable, "-m", "schemathesis.cli"]


def test_schema_builds_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "Status194Enum" not in text and "DiscrepancyStatusEnum:" in text


def test_every_operation_documents_the_one_error_shape(tmp_path):
    import yaml

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    assert schema["components"]["schemas"]["Error"]["properties"]["error"]["required"] == ["code", "message", "details"]
    documented = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            errors = {code for code in operation["responses"] if code >= "400"}
            refs = {r["content"]["application/json"]["schema"]["$ref"] for c, r in operation["responses"].items() if c >= "400"}
            assert refs == {"#/components/schemas/Error"}, (method, path)
            documented[f"{method.upper()} {path}"] = errors
    assert documented["GET /api/v1/runs/"] == {"400", "401", "403", "404", "500"}
    assert documented["GET /api/v1/runs/{id}/"] == {"401", "403", "404", "500"}
    assert documented["POST /api/v1/periods/{id}/close/"] == {"400", "401", "403", "404", "409", "500"}
    assert documented["POST /api/v1/courier-bills/"] == {"400", "401", "403", "409", "413", "500"}
    assert documented["POST /api/v1/discrepancies/{id}/attachments/"] == {"400", "401", "403", "404", "409", "413", "500"}
    assert documented["DELETE /api/v1/saved-filters/{id}/"] == {"400", "401", "403", "404", "409", "500"}


def test_schema_matches_what_the_api_returns(tmp_path):
    import yaml

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(out))
    schema = yaml.safe_load(out.read_text())
    components, paths = schema["components"]["schemas"], schema["paths"]
    # "" until resolved: documented as a blank choice beside the outcomes.
    assert components["Discrepancy"]["properties"]["outcome"]["oneOf"] == [
        {"$ref": "#/components/schemas/OutcomeEnum"}, {"$ref": "#/components/schemas/BlankEnum"},
    ]
    assert components["ReconPeriod"]["properties"]["closed_by"]["nullable"] is True
    assert components["DisputeCreated"]["properties"]["left_out"]["additionalProperties"] == {"type": "integer"}
    for action, item in (("comments", "Comment"), ("attachments", "Attachment"), ("history", "AuditEvent")):
        body = paths[f"/api/v1/discrepancies/{{id}}/{action}/"]["get"]["responses"]["200"]["content"]["application/json"]
        assert body["schema"] == {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}
    page = {p["name"]: p["schema"] for p in paths["/api/v1/runs/"]["get"]["parameters"]}
    assert page["page"] == {"type": "integer", "minimum": 1} and page["page_size"] == {"type": "integer", "minimum": 1}


# --------------------------------------------------------------------------- the fuzz against the live server


def _operation_count(tmp_path: Path) -> int:
    """Every operation the schema documents (an endpoint added later is fuzzed too, and counted here)."""
    import yaml

    out = tmp_path / "count-schema.yml"
    if not out.exists():
        call_command("spectacular", "--file", str(out))
    methods = {"get", "post", "put", "patch", "delete"}
    return sum(1 for ops in yaml.safe_load(out.read_text())["paths"].values() for m in ops if m in methods)


def _seed(tmp_path: Path) -> dict:
    """The demo (roles, bill, run, discrepancies) plus one of everything else an endpoint can show."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from couriers.models import Courier, CourierBill, RateCard
    from orders.models import Shipment
    from recon.disputes.services import dispute_create
    from recon.core.models import AuditEvent, BulkAction, Discrepancy, ReconRun, RejectedRow, SavedFilter
    from recon.periods.services import period_close, period_get_or_create
    from recon.review.bulk import bulk_action_submit
    from recon.review.services import discrepancy_attachment_add, discrepancy_comment_add
    from reports.alerts_models import AlertRule

    call_command("seed_demo", lines=200, stdout=io.StringIO())
    users = get_user_model().objects
    manager, integration = users.get(username="admin"), users.get(username="integration")
    zto, yto = Courier.objects.get(code="ZTO"), Courier.objects.get(code="YTO")
    bill = CourierBill.objects.get(courier=zto)
    if not bill.rejected_rows.exists():
        RejectedRow.objects.create(source=bill, sheet="Sheet1", row_no=9, reason_code="bad_weight", reason="重量无法识别", raw="abc")
    queue = Discrepancy.objects.filter(is_current=True).order_by("-amount_at_stake")
    worked = queue.filter(type="weight_overcharge").first()
    discrepancy_comment_add(discrepancy=worked, text="称重照片已上传", user=manager)
    discrepancy_attachment_add(discrepancy=worked, file=ContentFile(b"scale photo", name="scale.jpg"), user=manager)
    dispute = dispute_create(discrepancies=queue.filter(type="rate_overcharge"), user=manager, note="十月")
    bulk = bulk_action_submit(action="comment", params={"text": "复核"}, ids=[worked.id], user=manager)
    closed = period_get_or_create(counterparty=yto.counterparty, start=date(2026, 9, 1), end=date(2026, 9, 30))
    period_close(period=closed, user=manager)
    saved = {u.pk: SavedFilter.objects.create(user=u, name="超重", query="type=weight_overcharge").pk for u in (manager, integration)}
    ids = {
        "couriers": zto.pk, "rate-cards": RateCard.objects.filter(courier=zto).first().pk, "courier-bills": bill.pk,
        "shipments": Shipment.objects.first().pk, "runs": ReconRun.objects.first().pk, "discrepancies": worked.pk,
        "disputes": dispute.pk, "bulk-actions": bulk.pk, "periods": closed.pk, "audit-events": AuditEvent.objects.first().pk,
        "alert-rules": AlertRule.objects.first().pk,
    }
    tokens = {
        "manager": (Token.objects.get_or_create(user=manager)[0].key, saved[manager.pk]),
        "integration": (Token.objects.get(user=integration).key, saved[integration.pk]),
    }
    return {"ids": ids, "tokens": tokens}


def _config(path: Path, ids: dict, saved_filter: int) -> Path:
    """Each detail path gets the id of a real row: random ids would only ever meet 404."""
    lines = []
    for resource, pk in {**ids, "saved-filters": saved_filter}.items():
        lines += ["[[operations]]", f'include-path-regex = "^/api/v1/{resource}/\\\\{{id\\\\}}/"', f'parameters = {{ "path.id" = {pk} }}', ""]
    path.write_text("\n".join(lines))
    return path


def _fuzz(live_server, tmp_path: Path, name: str, token: str, config: Path, *, phases: str, mode: str, examples: int) -> dict:
    report = tmp_path / f"{name}.json"
    command = SCHEMATHESIS + [
        "--config-file", str(config), "--no-color", "run", f"{live_server.url}/api/schema/",
        "--header", f"Authorization: Token {token}", "--checks", CHECKS, "--phases", phases, "--mode", mode,
        "--max-examples", str(examples), "--seed", "20261130", "--workers", "2", "--request-timeout", "30",
        "--generation-database", "none", "--report", "json", "--report-json-path", str(report),
    ]
    # In tmp_path: schemathesis leaves a .schemathesis folder behind in its working directory.
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert report.exists(), done.stdout[-5000:] + done.stderr[-5000:]
    result = json.loads(report.read_text())
    result["output"] = done.stdout
    return result


def test_schemathesis_finds_no_server_error_and_no_schema_violation(live_server, tmp_path, settings, no_enqueue):
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    seeded = _seed(tmp_path)
    results = {}
    # The coverage phase's negative half alone is some 1,500 requests; valid boundary values and the fuzzing's
    # own invalid inputs keep the run near a minute and a half.
    runs = (
        ("manager-coverage", "manager", "coverage", "positive", 1),
        ("manager-fuzz", "manager", "fuzzing,stateful", "all", 8),
        ("integration-fuzz", "integration", "fuzzing", "all", 5),
    )
    for name, role, phases, mode, examples in runs:
        token, saved_filter = seeded["tokens"][role]
        config = _config(tmp_path / f"{name}.toml", seeded["ids"], saved_filter)
        results[name] = _fuzz(live_server, tmp_path, name, token, config, phases=phases, mode=mode, examples=examples)

    for name, result in results.items():
        summary = result["output"][result["output"].find("=== FAILURES ==="):][:20000]
        assert (result["exit_code"], result["failures"], result["errors"]) == (0, [], []), f"{name}:\n{summary}"
        assert result["operations"]["tested"] == result["operations"]["total"] == _operation_count(tmp_path), name
        assert result["test_cases"]["generated"] > 200, name
        assert result["test_cases"]["with_failures"] == 0, name
