"""Who may use what: every page and API endpoint × every role, anonymous included, against a table written by hand.

The table below is the product's rules, not a copy of the views' declarations: a wrong declaration shows up here as a
wrong cell. A URL pattern missing from the table fails the coverage test, so no endpoint can be added without deciding
who may use it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import RateCardFactory, UserFactory
from tests.web.conftest import reconciled  # noqa: F401  (a fixture: a bill, its run and four discrepancies)

pytestmark = pytest.mark.django_db

# --------------------------------------------------------------------------- roles

ANONYMOUS, OUTSIDER = "anonymous", "outsider"
ROLES = (ANONYMOUS, OUTSIDER, "finance", "ops", "manager", "integration", "auditor")

WEB_READ = frozenset({"finance", "ops", "manager", "auditor"})  # every role with recon.use_web
API_READ = WEB_READ | {"integration"}                             # integration reads results over the API only
UPLOAD = frozenset({"finance", "manager"})                         # bills, reruns, rate cards, shipment files
UPLOAD_API = UPLOAD | {"integration"}                              # integrations post bills and shipments
WORK = frozenset({"ops", "manager"})                               # the queue: status, assign, bulk, comments, files, disputes
MANAGER = frozenset({"manager"})                                   # close/reopen periods, delete/restore bills, settings
AUDIT = frozenset({"manager", "auditor"})                          # the audit trail
MATCH_BANK = frozenset({"finance", "manager"})                     # matching bank lines by hand
START = frozenset({"finance", "manager"})                          # starting a run of any kind for a range of days

# --------------------------------------------------------------------------- what is not in the matrix, and why

EXCLUDED_PREFIXES = {
    "admin/": "Django's admin: its own rule (is_staff), tested by Django",
    "static/": "static files: public by design (WhiteNoise; no pattern in production)",
    "media/": "uploaded files are served only through views that check permissions, never by a media URL",
}
EXCLUDED_NAMES = {
    "login": "the login page must be reachable signed out",
    "logout": "signing out needs no permission",
    "set_language": "the language switch (i18n/setlang/) changes only the caller's own cookie",
}


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Cell:
    """One endpoint and method, the roles that may use it, and how to call it."""

    name: str
    method: str
    allowed: frozenset
    args: dict = field(default_factory=dict)  # URL kwarg -> key of the objects the test creates
    body: dict | None = None
    multipart: bool = False

    @property
    def label(self) -> str:
        return f"{self.method} {self.name}"


def cell(name, method, allowed, body=None, multipart=False, **args):
    return Cell(name, method, frozenset(allowed), args, body, multipart)


PAGES = [
    cell("home", "GET", WEB_READ),
    cell("run-list", "GET", WEB_READ),
    cell("run-detail", "GET", WEB_READ, pk="run"),
    cell("run-status", "GET", WEB_READ, pk="run"),
    cell("run-rerun", "POST", UPLOAD, {}, pk="run"),
    cell("run-start", "POST", START, {}),
    cell("discrepancy-list", "GET", WEB_READ),
    cell("discrepancy-totals", "GET", WEB_READ),
    cell("discrepancy-export", "GET", WEB_READ),
    cell("reports-summary-pdf", "GET", WEB_READ),
    cell("discrepancy-detail", "GET", WEB_READ, pk="discrepancy"),
    cell("discrepancy-attachment", "GET", WEB_READ, pk="discrepancy", attachment_id="attachment"),
    cell("discrepancy-status", "POST", WORK, {}, pk="discrepancy"),
    cell("discrepancy-shortfall", "POST", WORK, {}, pk="discrepancy"),
    cell("discrepancy-assign", "POST", WORK, {}, pk="discrepancy"),
    cell("discrepancy-comment", "POST", WORK, {}, pk="discrepancy"),
    cell("discrepancy-attach", "POST", WORK, {}, pk="discrepancy"),
    cell("discrepancy-bulk", "POST", WORK, {}),
    # A saved filter is the caller's own bookmark of a queue view: whoever reads the queue may keep one.
    cell("saved-filter-create", "POST", WEB_READ, {}),
    cell("saved-filter-delete", "POST", WEB_READ, {}, pk="saved_filter"),
    cell("bulk-action-detail", "GET", WEB_READ, pk="bulk_action"),
    cell("period-list", "GET", WEB_READ),
    cell("period-detail", "GET", WEB_READ, pk="period"),
    cell("period-close", "POST", MANAGER, {}, pk="period"),
    cell("period-reopen", "POST", MANAGER, {}, pk="period"),
    cell("audit-list", "GET", AUDIT),
    cell("audit-export", "GET", AUDIT),
    cell("settings", "GET", WEB_READ),
    cell("settings", "POST", MANAGER, {}),
    cell("dispute-list", "GET", WEB_READ),
    cell("dispute-new", "GET", WORK),
    cell("dispute-new", "POST", WORK, {}),
    cell("dispute-detail", "GET", WEB_READ, pk="dispute"),
    cell("dispute-file", "GET", WEB_READ, pk="dispute"),
    cell("dispute-answers", "POST", WORK, {}, pk="dispute"),
    cell("dispute-reply", "POST", WORK, {}, pk="dispute"),
    cell("alert-rule-list", "GET", MANAGER),
    cell("alert-rule-new", "GET", MANAGER),
    cell("alert-rule-new", "POST", MANAGER, {}),
    cell("alert-rule-edit", "GET", MANAGER, pk="alert_rule"),
    cell("alert-rule-edit", "POST", MANAGER, {}, pk="alert_rule"),
    cell("alert-rule-deactivate", "POST", MANAGER, {}, pk="alert_rule"),
    cell("notification-list", "GET", WEB_READ),
    cell("notification-read", "POST", WEB_READ, {}),
    cell("notification-read-all", "POST", WEB_READ, {}),
    cell("review", "GET", MANAGER),
    cell("review-sign-off", "POST", MANAGER, {}),
    cell("bill-list", "GET", WEB_READ),
    cell("bill-upload", "GET", UPLOAD),
    cell("bill-upload", "POST", UPLOAD, {}),
    cell("bill-inspect", "POST", UPLOAD, {}),
    cell("bill-detail", "GET", WEB_READ, pk="bill"),
    cell("bill-lines", "GET", WEB_READ, pk="bill"),
    cell("bill-rejected", "GET", WEB_READ, pk="bill"),
    cell("bill-rejected-download", "GET", WEB_READ, pk="bill"),
    cell("bill-rerun", "POST", UPLOAD, {}, pk="bill"),
    cell("bill-delete", "POST", MANAGER, {}, pk="bill"),
    cell("bill-restore", "POST", MANAGER, {}, pk="bill"),
    cell("bill-rerun-affected", "POST", UPLOAD, {}, pk="bill"),
    cell("shipment-list", "GET", WEB_READ),
    cell("shipment-import", "GET", UPLOAD),
    cell("shipment-import", "POST", UPLOAD, {}),
    cell("shipment-export", "GET", WEB_READ),
    cell("period-report", "GET", WEB_READ),
    # The caller's own exports (each role gets one; another's is a 404, tested in tests/reports/test_export_jobs.py).
    cell("export-list", "GET", WEB_READ),
    cell("export-status", "GET", WEB_READ, pk="export_job"),
    cell("export-download", "GET", WEB_READ, pk="export_job"),
    cell("ratecard-list", "GET", WEB_READ),
    cell("ratecard-import", "GET", UPLOAD),
    cell("ratecard-import", "POST", UPLOAD, {}),
    cell("ratecard-detail", "GET", WEB_READ, pk="rate_card"),
    cell("returns-upload", "GET", UPLOAD),
    cell("returns-upload", "POST", UPLOAD, {}),
    cell("returns-inspect", "POST", UPLOAD, {}),
    cell("returns-reconcile", "POST", UPLOAD, {}),
    cell("return-request-list", "GET", WEB_READ),
    cell("return-receipt-list", "GET", WEB_READ),
    cell("return-overview", "GET", WEB_READ),
    cell("return-detail", "GET", WEB_READ, return_no="return_no"),
    cell("returns-file-rejected", "GET", WEB_READ, pk="returns_file"),
    cell("returns-file-rejected-download", "GET", WEB_READ, pk="returns_file"),
    cell("bank-overview", "GET", WEB_READ),
    cell("bank-upload", "GET", UPLOAD),
    cell("bank-upload", "POST", UPLOAD, {}),
    cell("bank-inspect", "POST", UPLOAD, {}),
    cell("bank-file-rejected", "GET", WEB_READ, pk="bank_file"),
    cell("bank-file-rejected-download", "GET", WEB_READ, pk="bank_file"),
    cell("order-list", "GET", WEB_READ),
    cell("order-upload", "GET", UPLOAD),
    cell("order-upload", "POST", UPLOAD, {}),
    cell("orders-inspect", "POST", UPLOAD, {}),
    cell("outbound-today", "GET", WEB_READ),
    cell("orders-file-rejected", "GET", WEB_READ, pk="orders_file"),
    cell("orders-file-rejected-download", "GET", WEB_READ, pk="orders_file"),
    cell("outbound-upload", "GET", UPLOAD),
    cell("outbound-upload", "POST", UPLOAD, {}),
    cell("outbound-inspect", "POST", UPLOAD, {}),
    cell("outbound-file-rejected", "GET", WEB_READ, pk="outbound_file"),
    cell("outbound-file-rejected-download", "GET", WEB_READ, pk="outbound_file"),
    cell("settlement-list", "GET", WEB_READ),
    cell("settlement-upload", "GET", UPLOAD),
    cell("settlement-upload", "POST", UPLOAD, {}),
    cell("settlements-inspect", "POST", UPLOAD, {}),
    cell("settlement-file-rejected", "GET", WEB_READ, pk="settlement_file"),
    cell("settlement-file-rejected-download", "GET", WEB_READ, pk="settlement_file"),
    cell("receivable-list", "GET", WEB_READ),
    cell("receivable-follow-up", "POST", UPLOAD, {}),
    cell("receivable-export-csv", "GET", WEB_READ),
    cell("receivable-export-xlsx", "GET", WEB_READ),
    cell("collection-overview", "GET", WEB_READ),
    cell("bank-match", "GET", MATCH_BANK),
    cell("bank-match", "POST", MATCH_BANK, {}),
    # Custom reports: every role of the pages builds its own and reads those shared with its role.
    cell("custom-report-builder", "GET", WEB_READ),
    cell("custom-report-export", "GET", WEB_READ),
    cell("custom-report-save", "POST", WEB_READ, {}),
    cell("custom-report-list", "GET", WEB_READ),
    cell("custom-report-detail", "GET", WEB_READ, pk="saved_report"),
    cell("custom-report-saved-export", "GET", WEB_READ, pk="saved_report"),
    cell("custom-report-delete", "POST", WEB_READ, {}, pk="saved_report"),
    cell("report-analysis", "GET", WEB_READ, code="analysis"),
]

API = [
    # The index and the schema describe the API to the product's users, not to any account that can sign in.
    cell("api-root", "GET", API_READ),
    cell("schema", "GET", API_READ),
    cell("swagger-ui", "GET", API_READ),
    cell("api-courier-list", "GET", API_READ),
    cell("api-courier-detail", "GET", API_READ, pk="courier"),
    cell("api-ratecard-list", "GET", API_READ),
    cell("api-ratecard-list", "POST", UPLOAD, {}, multipart=True),
    cell("api-ratecard-detail", "GET", API_READ, pk="rate_card"),
    cell("api-bill-list", "GET", API_READ),
    cell("api-bill-list", "POST", UPLOAD_API, {}, multipart=True),
    cell("api-bill-detail", "GET", API_READ, pk="bill"),
    cell("api-bill-detail", "DELETE", MANAGER, pk="bill"),
    cell("api-bill-lines", "GET", API_READ, pk="bill"),
    cell("api-bill-rejected-rows", "GET", API_READ, pk="bill"),
    cell("api-bill-restore", "POST", MANAGER, {}, pk="bill"),
    cell("api-bill-rerun-affected", "POST", UPLOAD_API, {}, pk="bill"),
    cell("api-shipment-list", "GET", API_READ),
    cell("api-settlement-list", "GET", API_READ),
    cell("api-settlement-list", "POST", UPLOAD_API, {}),
    cell("api-shipment-detail", "GET", API_READ, pk="shipment"),
    cell("api-shipment-bulk", "POST", UPLOAD_API, {}),
    cell("api-return-request-list", "GET", API_READ),
    cell("api-return-request-list", "POST", UPLOAD_API, {}),
    cell("api-return-receipt-list", "GET", API_READ),
    cell("api-return-receipt-list", "POST", UPLOAD_API, {}),
    cell("api-return-freight-list", "GET", API_READ),
    cell("api-return-freight-list", "POST", UPLOAD_API, {}),
    cell("api-bank-line-list", "GET", API_READ),
    cell("api-bank-line-list", "POST", UPLOAD_API, {}),
    cell("api-bank-statement-list", "GET", API_READ),
    cell("api-order-list", "GET", API_READ),
    cell("api-order-list", "POST", UPLOAD_API, {}),
    cell("api-outbound-list", "GET", API_READ),
    cell("api-outbound-list", "POST", UPLOAD_API, {}),
    cell("api-pickup-list", "GET", API_READ),
    cell("api-pickup-list", "POST", UPLOAD_API, {}),
    cell("api-platform-list", "GET", API_READ),
    cell("api-bank-match-list", "POST", MATCH_BANK, {}),
    cell("api-bank-match-detail", "DELETE", MATCH_BANK, pk="bank_match"),
    cell("api-bank-line-suggestion-suggestions", "GET", MATCH_BANK, pk="bank_line"),
    cell("api-run-list", "GET", API_READ),
    cell("api-run-list", "POST", START, {}),
    cell("api-run-detail", "GET", API_READ, pk="run"),
    cell("api-run-rerun", "POST", UPLOAD_API, {}, pk="run"),
    cell("api-discrepancy-list", "GET", API_READ),
    cell("api-discrepancy-totals", "GET", API_READ),
    cell("api-discrepancy-detail", "GET", API_READ, pk="discrepancy"),
    cell("api-discrepancy-history", "GET", API_READ, pk="discrepancy"),
    cell("api-discrepancy-comments", "GET", API_READ, pk="discrepancy"),
    cell("api-discrepancy-comments", "POST", WORK, {}, pk="discrepancy"),
    cell("api-discrepancy-attachments", "GET", API_READ, pk="discrepancy"),
    cell("api-discrepancy-attachments", "POST", WORK, {}, multipart=True, pk="discrepancy"),
    cell("api-discrepancy-set-status", "POST", WORK, {}, pk="discrepancy"),
    cell("api-discrepancy-shortfall", "POST", WORK, {}, pk="discrepancy"),
    cell("api-discrepancy-assign", "POST", WORK, {}, pk="discrepancy"),
    cell("api-discrepancy-bulk", "POST", WORK, {}),
    cell("api-dispute-list", "GET", API_READ),
    cell("api-dispute-list", "POST", WORK, {}),
    cell("api-dispute-detail", "GET", API_READ, pk="dispute"),
    cell("api-dispute-file", "GET", API_READ, pk="dispute"),
    cell("api-dispute-answers", "POST", WORK, {}, pk="dispute"),
    cell("api-dispute-reply", "POST", WORK, {}, multipart=True, pk="dispute"),
    cell("api-bulk-action-list", "GET", API_READ),
    cell("api-bulk-action-detail", "GET", API_READ, pk="bulk_action"),
    cell("api-period-list", "GET", API_READ),
    cell("api-period-detail", "GET", API_READ, pk="period"),
    cell("api-period-close", "POST", MANAGER, {}, pk="period"),
    cell("api-period-reopen", "POST", MANAGER, {}, pk="period"),
    cell("api-audit-list", "GET", AUDIT),
    cell("api-audit-detail", "GET", AUDIT, pk="audit_event"),
    # The caller's own saved filters (see saved-filter-create).
    cell("api-saved-filter-list", "GET", API_READ),
    cell("api-saved-filter-list", "POST", API_READ, {}),
    cell("api-saved-filter-detail", "GET", API_READ, pk="saved_filter"),
    cell("api-saved-filter-detail", "DELETE", API_READ, pk="saved_filter"),
    cell("api-custom-report-list", "GET", WEB_READ),
    cell("api-custom-report-list", "POST", WEB_READ, {}),
    cell("api-custom-report-detail", "GET", WEB_READ, pk="saved_report"),
    cell("api-custom-report-detail", "PATCH", WEB_READ, {}, pk="saved_report"),
    cell("api-custom-report-detail", "DELETE", WEB_READ, pk="saved_report"),
    cell("api-custom-report-run", "GET", WEB_READ, pk="saved_report"),
    cell("api-custom-report-run-definition", "POST", WEB_READ, {}),
    # Alert rules are the managers'; each person reads and marks their own notifications.
    cell("api-alert-rule-list", "GET", MANAGER),
    cell("api-alert-rule-list", "POST", MANAGER, {}),
    cell("api-alert-rule-detail", "GET", MANAGER, pk="alert_rule"),
    cell("api-alert-rule-detail", "PUT", MANAGER, {}, pk="alert_rule"),
    cell("api-alert-rule-detail", "PATCH", MANAGER, {}, pk="alert_rule"),
    cell("api-alert-rule-detail", "DELETE", MANAGER, pk="alert_rule"),
    cell("api-notification-list", "GET", WEB_READ),
    cell("api-notification-read", "POST", WEB_READ, {}),
    cell("api-notification-read-all", "POST", WEB_READ, {}),
]

TABLE = PAGES + API

# --------------------------------------------------------------------------- the URL patterns there are


@dataclass(frozen=True)
class Route:
    route: str
    name: str
    callback: object

    @property
    def format_suffix(self) -> bool:
        """DRF's `.json`-style variants: same view, same permissions as the plain pattern of the same name."""
        return "(?P<format>" in self.route or "<drf_format_suffix:format>" in self.route

    @property
    def view_class(self):
        return getattr(self.callback, "cls", None)

    @property
    def methods(self) -> set[str] | None:
        """The methods a router pattern answers; class-based API views answer GET here; function views are not introspected."""
        actions = getattr(self.callback, "actions", None)
        if actions:
            # DRF adds HEAD (as GET) to a route's actions on its first request; HEAD follows GET's permissions.
            return {m.upper() for m in actions} - {"HEAD"}
        return {"GET"} if self.view_class is not None else None


def all_routes(resolver=None, prefix: str = "") -> list[Route]:
    routes = []
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            routes += all_routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            routes.append(Route(prefix + str(entry.pattern), entry.name, entry.callback))
    return routes


def excluded(route: Route) -> bool:
    return route.route.startswith(tuple(EXCLUDED_PREFIXES)) or route.name in EXCLUDED_NAMES


def matrix_routes() -> list[Route]:
    return [r for r in all_routes() if not excluded(r) and not r.format_suffix]


def test_every_url_pattern_has_a_row_in_the_table():
    routes = matrix_routes()
    problems = []
    unnamed = [r.route for r in routes if not r.name]
    if unnamed:
        problems.append(f"patterns without a name (the table is keyed by name): {unnamed}")
    by_name: dict[str, Route] = {}
    for r in routes:
        if r.name in by_name:
            problems.append(f"two patterns named {r.name!r}: {by_name[r.name].route} and {r.route}")
        by_name[r.name] = r
    rows: dict[str, set[str]] = {}
    for c in TABLE:
        if c.method in rows.setdefault(c.name, set()):
            problems.append(f"{c.label} is in the table twice")
        rows[c.name].add(c.method)
    for name in sorted(set(by_name) - set(rows)):
        problems.append(f"/{by_name[name].route} ({name}) is not in the table: decide who may use it")
    for name in sorted(set(rows) - set(by_name)):
        problems.append(f"the table has {name!r} but no URL pattern is named so")
    for name, route in sorted(by_name.items()):
        if name in rows and route.methods is not None and route.methods != rows[name]:
            problems.append(f"{name} answers {sorted(route.methods)} but the table has {sorted(rows[name])}")
    assert not problems, "\n".join(problems)


def test_format_suffix_variants_are_the_same_views():
    """`/api/v1/runs.json` routes to the plain pattern's view and action, so the plain pattern's row covers it."""
    plain = {r.name: r for r in matrix_routes()}
    variants = [r for r in all_routes() if not excluded(r) and r.format_suffix]
    assert variants, "no format-suffix patterns: drop this test and the handling in Route"
    wrong = [
        r.route for r in variants
        if r.name not in plain or r.view_class is not plain[r.name].view_class
        or r.methods != plain[r.name].methods
    ]
    assert not wrong, f"format-suffix patterns with no plain twin: {wrong}"


def test_exclusions_still_exist():
    """An exclusion that no longer matches anything hides nothing, but it should go."""
    routes = all_routes()
    assert {n for n in EXCLUDED_NAMES if any(r.name == n for r in routes)} == set(EXCLUDED_NAMES)
    assert any(r.route.startswith("admin/") for r in routes)


# --------------------------------------------------------------------------- the objects and the callers


@pytest.fixture
def objects(reconciled, zto, settings, tmp_path, django_user_model):  # noqa: F811
    """Everything a URL can point at, and one signed-in caller per role."""
    from recon.audit.services import audit_record
    from recon.core.models import BulkAction, DiscrepancyAttachment, Dispute, DisputeItem, SavedFilter
    from recon.sources.models import SourceFile

    settings.MEDIA_ROOT = tmp_path / "media"
    users = {role: UserFactory(username=f"matrix-{role}", role=role) for role in ROLES if role not in (ANONYMOUS, OUTSIDER)}
    users[OUTSIDER] = UserFactory(username="matrix-outsider")
    assert not users[OUTSIDER].groups.exists()

    d = reconciled["discrepancies"][0]
    card = RateCardFactory(courier=zto, name="中通 2026", bands=[("广东", 1000, "3.00")], zones=[("广东", 1000, "1.50")])
    attachment = DiscrepancyAttachment(discrepancy=d, original_filename="磅秤.jpg", size_bytes=4, uploaded_by=users["ops"])
    attachment.file.save("scale.jpg", ContentFile(b"\xff\xd8\xff\xe0"), save=True)
    dispute = Dispute(number="ZTO-2026-10-001", counterparty=zto.counterparty, item_count=1, amount_claimed=d.amount_at_stake, created_by=users["ops"])
    dispute.file.save("ZTO-2026-10-001.xlsx", ContentFile(b"PK\x03\x04"), save=True)
    DisputeItem.objects.create(dispute=dispute, discrepancy=d, amount_claimed=d.amount_at_stake)
    job = BulkAction.objects.create(action="comment", params={"text": "checked"}, ids=[d.pk], created_by=users["ops"], progress_total=1)
    event = audit_record(user=users["manager"], object_type="discrepancy", object_id=d.pk, action="comment")
    # Saved filters belong to their user: each caller gets its own, so reading or deleting "its" filter can succeed.
    own_filters = {role: SavedFilter.objects.create(user=u, name="大额", query="amount_min=10").pk for role, u in users.items()}
    own_filters[ANONYMOUS] = own_filters["manager"]
    from reports.models import ExportJob

    own_exports = {}
    for role, u in users.items():
        export = ExportJob(user=u, kind="discrepancies", format="csv", status="succeeded", filename="d.csv",
                           expires_at=timezone.now() + timezone.timedelta(days=7))
        export.file.save("d.csv", ContentFile(b"\xef\xbb\xbfa\r\n"), save=True)
        own_exports[role] = export.pk
    own_exports[ANONYMOUS] = own_exports["manager"]
    from reports.models import SavedReport

    definition = {"source": "discrepancies", "dimensions": ["counterparty"], "measures": ["count"], "filters": {}}
    own_reports = {role: SavedReport.objects.create(owner=u, name="差异", definition=definition).pk
                   for role, u in users.items()}
    own_reports[ANONYMOUS] = own_reports["manager"]
    returns_file = SourceFile.objects.create(file="r.csv", original_filename="退货.csv", sha256="0" * 64, size_bytes=1,
                                             file_kind="return_requests")
    bank_file = SourceFile.objects.create(file="b.csv", original_filename="银行流水.csv", sha256="2" * 64, size_bytes=1,
                                          file_kind="bank_statement")
    orders_file = SourceFile.objects.create(file="o.csv", original_filename="订单.csv", sha256="1" * 64, size_bytes=1,
                                            file_kind="orders")
    outbound_file = SourceFile.objects.create(file="k.csv", original_filename="出库单.csv", sha256="1" * 64, size_bytes=1,
                                              file_kind="outbound")
    settlement_file = SourceFile.objects.create(file="s.csv", original_filename="账务明细.csv", sha256="1" * 64, size_bytes=1,
                                                file_kind="settlement")
    from returns.models import ReturnRequest

    ReturnRequest.objects.create(return_no="RT-MATRIX", sku="SKU-1", quantity=1, refund_amount="9.90", refund_status="requested",
                                 requested_at=timezone.now())
    from payments.models import BankMatch
    from tests.payments import factories_bank

    bank_line = factories_bank.line(factories_bank.statement(factories_bank.account()), "B-MATRIX", "2026-10-05", "10.00")
    bank_match = BankMatch.objects.create(rule=BankMatch.Rule.MANUAL)
    from reports.alerts_models import AlertRule

    alert_rule = AlertRule.objects.create(name="矩阵", rule_type="run_failed")
    return {
        "bank_line": bank_line.pk, "bank_match": bank_match.pk, "alert_rule": alert_rule.pk,
        "users": users, "run": reconciled["run"].pk, "bill": reconciled["bill"].pk, "period": reconciled["bill"].period_id,
        "discrepancy": d.pk, "shipment": reconciled["shipment"].pk, "courier": zto.pk, "rate_card": card.pk,
        "attachment": attachment.pk, "dispute": dispute.pk, "bulk_action": job.pk, "audit_event": event.pk,
        "saved_filter": own_filters, "export_job": own_exports, "returns_file": returns_file.pk, "orders_file": orders_file.pk, "outbound_file": outbound_file.pk,
        "settlement_file": settlement_file.pk, "return_no": "RT-MATRIX", "bank_file": bank_file.pk,
        "saved_report": own_reports, "analysis": "couriers",
    }


def page_clients(users) -> dict[str, Client]:
    """Browser sessions; the integration account signs in too, to show the browser refuses it."""
    clients = {ANONYMOUS: Client()}
    for role, user in users.items():
        clients[role] = Client()
        clients[role].force_login(user)
    return clients


def api_clients(users) -> dict[str, APIClient]:
    """People use the API with their session; the integration with its token."""
    clients = {ANONYMOUS: APIClient()}
    for role, user in users.items():
        clients[role] = APIClient()
        if role == "integration":
            clients[role].credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        else:
            clients[role].force_login(user)
    return clients


def url_of(c: Cell, objects, role: str) -> str:
    kwargs = {}
    for arg, key in c.args.items():
        value = objects[key]
        kwargs[arg] = value[role] if isinstance(value, dict) else value
    return reverse(c.name, kwargs=kwargs)


def call(client, c: Cell, url: str, *, api: bool):
    """One request, its changes rolled back so that every cell sees the same data (a deleted bill stays for the next)."""
    with transaction.atomic():
        if c.method == "GET":
            response = client.get(url)
        elif c.method == "DELETE":
            response = client.delete(url)
        elif c.method in ("PUT", "PATCH") and api:
            response = getattr(client, c.method.lower())(url, c.body, format="json")
        elif c.method != "POST":
            raise AssertionError(f"{c.label}: the matrix sends GET, POST, DELETE and (to the API) PUT and PATCH only")
        elif api:
            response = client.post(url, c.body, format="multipart" if c.multipart else "json")
        else:
            response = client.post(url, c.body)
        transaction.set_rollback(True)
    return response


LOGIN = reverse("login")
# The schema (YAML) and Swagger UI (HTML) answer in their own format, not with the JSON error body.
DOCUMENTS = {"schema", "swagger-ui"}
# Swagger UI is a page the nav links to: without a login it sends the browser to log in, as every page does.
BROWSER_DOCUMENTS = {"swagger-ui"}


def to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(f"{LOGIN}?next=")


def verdict(c: Cell, role: str, response, *, api: bool) -> str | None:
    """What is wrong with this answer, or None."""
    code = response.status_code
    if role in c.allowed:
        if code in (401, 403) or to_login(response):
            return f"refused ({code})"
        if c.method == "GET" and code != 200:
            return f"allowed, but {code} instead of 200"
        if code in (405, 415):
            return f"allowed, but {code}: the table calls it wrongly"
        return None
    if role == ANONYMOUS and not api:
        return None if to_login(response) else f"{code} instead of a redirect to the login page"
    if role == ANONYMOUS and c.name in BROWSER_DOCUMENTS:
        return None if to_login(response) else f"{code} instead of a redirect to the login page"
    if role == ANONYMOUS:
        if code not in (401, 403):
            return f"{code} instead of 401/403"
        if c.name in DOCUMENTS:
            return None
        if not response.get("Content-Type", "").startswith("application/json") or "error" not in response.json():
            return "refused without the JSON {'error': …} body"
        return None
    return None if code == 403 else f"{code} instead of 403"


def walk(cells, clients, objects, *, api: bool) -> list[tuple[str, str, str]]:
    """Every cell's request; the wrong ones as (endpoint, role, problem)."""
    wrong = []
    for c in cells:
        for role in ROLES:
            problem = verdict(c, role, call(clients[role], c, url_of(c, objects, role), api=api), api=api)
            if problem:
                wrong.append((c.label, role, problem))
    return wrong


def report(wrong) -> str:
    width = max(len(label) for label, _, _ in wrong)
    lines = [f"{'endpoint'.ljust(width)}  {'role'.ljust(11)}  problem"]
    lines += [f"{label.ljust(width)}  {role.ljust(11)}  {problem}" for label, role, problem in wrong]
    return f"{len(wrong)} wrong cells:\n" + "\n".join(lines)


def test_pages_matrix(objects):
    wrong = walk(PAGES, page_clients(objects["users"]), objects, api=False)
    assert not wrong, report(wrong)


def test_api_matrix(objects):
    wrong = walk(API, api_clients(objects["users"]), objects, api=True)
    assert not wrong, report(wrong)


def test_a_format_suffix_url_answers_like_its_plain_url(objects):
    clients = api_clients(objects["users"])
    assert clients["integration"].get("/api/v1/runs.json").status_code == 200
    assert clients[OUTSIDER].get("/api/v1/runs.json").status_code == 403
    assert clients[ANONYMOUS].get("/api/v1/runs.json").status_code in (401, 403)


# --------------------------------------------------------------------------- the roles' permissions

CUSTOM = {
    "recon.use_web", "couriers.upload_bill", "couriers.restore_bill", "recon.work_discrepancy", "recon.work_any_discrepancy",
    "recon.manage_dispute", "recon.close_period", "recon.reopen_period", "orders.view_personal_data", "recon.view_auditevent",
    "recon.start_run",
}
EXPECTED_CUSTOM = {
    "finance": {"recon.use_web", "couriers.upload_bill", "recon.start_run"},
    "ops": {"recon.use_web", "recon.work_discrepancy", "recon.manage_dispute"},
    "manager": CUSTOM,
    "integration": {"couriers.upload_bill"},
    "auditor": {"recon.use_web", "recon.view_auditevent"},
}


def group_perms(name: str) -> set[str]:
    return {f"{app}.{code}" for app, code in
            Group.objects.get(name=name).permissions.values_list("content_type__app_label", "codename")}


def test_each_role_holds_exactly_its_custom_permissions(db):
    assert set(Group.objects.values_list("name", flat=True)) >= set(EXPECTED_CUSTOM)
    got = {role: group_perms(role) & CUSTOM for role in EXPECTED_CUSTOM}
    assert got == EXPECTED_CUSTOM


def test_only_a_manager_sees_personal_data_deletes_bills_or_changes_settings(django_user_model):
    manager_only = {"orders.view_personal_data", "couriers.delete_courierbill", "recon.change_setting"}
    for role in EXPECTED_CUSTOM:
        user = UserFactory(username=f"p-{role}", role=role)
        assert {p for p in manager_only if user.has_perm(p)} == (manager_only if role == "manager" else set()), role
    assert not UserFactory(username="p-nobody").get_all_permissions()
