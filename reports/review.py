"""The monthly review (定期复核): what a manager looks at before signing a month off, the sign-off itself, and the
scheduled report emails."""
from __future__ import annotations

import calendar
import io
import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from recon.audit.services import audit_record
from recon.core.errors import UserFacingError
from recon.core.models import Discrepancy, Dispute, ReconPeriod, ReconRun
from recon.kinds import kind_label

from .months import discrepancy_month_q
from .review_models import ReportSubscription, ReviewSignOff

log = logging.getLogger(__name__)

ACTIVE_RUN = (ReconRun.Status.PENDING, ReconRun.Status.RUNNING)
OPEN_CLAIM = (Discrepancy.Status.OPEN, Discrepancy.Status.INVESTIGATING)


def month_bounds(period: str) -> tuple[date, date] | None:
    """The first and last day of a month written YYYY-MM, or None for anything else."""
    try:
        year, month = (int(part) for part in period.split("-"))
        if len(period) != 7:
            return None
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    except ValueError:
        return None


def review_figures(*, period: str, now: datetime | None = None) -> dict:
    """The month's review: runs per kind, open claims, disputes unanswered after N days, periods ready to close."""
    now = now or timezone.now()
    start, end = month_bounds(period)
    runs = (ReconRun.objects.filter(period_start__gte=start, period_start__lte=end).order_by().values("kind")
            .annotate(succeeded=Count("id", filter=Q(status=ReconRun.Status.SUCCEEDED)),
                      failed=Count("id", filter=Q(status=ReconRun.Status.FAILED)),
                      active=Count("id", filter=Q(status__in=ACTIVE_RUN))))
    runs = sorted(({**r, "label": kind_label(r["kind"])} for r in runs), key=lambda r: r["kind"])
    in_month = Q(period__start__gte=start, period__start__lte=end)
    # The month's rows as the dashboard and the queue's month filter count them, those without a period included.
    claims = (Discrepancy.objects.filter(discrepancy_month_q(start), is_claim=True, status__in=OPEN_CLAIM).order_by()
              .aggregate(count=Count("id"), amount=Sum("amount_at_stake")))
    days = settings.REPORTS_DISPUTE_REMINDER_DAYS
    disputes = list(Dispute.objects.filter(in_month, status=Dispute.Status.SENT, created_at__lte=now - timedelta(days=days))
                    .select_related("counterparty").order_by("created_at", "id"))
    for dispute in disputes:
        dispute.days_waiting = (now - dispute.created_at).days
    running = ReconRun.objects.filter(status__in=ACTIVE_RUN, period_start__lte=OuterRef("end"), period_end__gte=OuterRef("start")).filter(
        Q(counterparty_id=OuterRef("counterparty_id")) | Q(counterparty__isnull=True))
    periods = list(ReconPeriod.objects.filter(start__gte=start, start__lte=end).select_related("counterparty")
                   .annotate(open_claims=Count("discrepancies", filter=Q(discrepancies__is_claim=True, discrepancies__is_current=True)
                                               & ~Q(discrepancies__status=Discrepancy.Status.RESOLVED)),
                             runs_active=Exists(running))
                   .order_by("counterparty__kind", "counterparty__code", "start"))
    for p in periods:
        p.ready = p.status == ReconPeriod.Status.OPEN and not p.open_claims and not p.runs_active
    return {
        "period": period, "start": start, "end": end, "runs": runs,
        "runs_succeeded": sum(r["succeeded"] for r in runs), "runs_failed": sum(r["failed"] for r in runs),
        "claims_open": claims["count"], "claims_open_amount": claims["amount"] or 0,
        "disputes_unanswered": disputes, "dispute_days": days,
        "periods": periods, "periods_ready": [p for p in periods if p.ready],
        "sign_off": ReviewSignOff.objects.filter(period=period).select_related("signed_by").first(),
    }


def review_sign_off(*, period: str, user, note: str = "") -> ReviewSignOff:
    """Record a manager's sign-off of a month's review, once; the trail keeps who and when."""
    if month_bounds(period) is None:
        raise UserFacingError("invalid_period", _("A period is written YYYY-MM."))
    try:
        with transaction.atomic():
            row = ReviewSignOff.objects.create(period=period, signed_by=user, signed_at=timezone.now(), note=note)
            audit_record(user=user, object_type="review", object_id=row.id, action="sign_off",
                         changes={"period": [None, period], "note": [None, note]})
    except IntegrityError:
        raise UserFacingError("already_signed_off", _("The review of %(period)s is already signed off.") % {"period": period},
                              http_status=409) from None
    return row


def report_period_for(*, cadence: str, today: date) -> str:
    """The month a scheduled email reports: the month just ended (monthly), or the month up to yesterday (weekly)."""
    if cadence == ReportSubscription.Cadence.MONTHLY:
        return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return (today - timedelta(days=1)).strftime("%Y-%m")


def reports_email_scheduled(*, cadence: str, today: date | None = None) -> int:
    """Email the period report as Excel and PDF to the managers subscribed to this cadence; the number of emails sent."""
    # The period report and its PDF are the period part's (reports/period.py, reports/pdf.py).
    from reports.pdf import period_summary_pdf
    from reports.period import period_report_xlsx

    if cadence not in ReportSubscription.Cadence.values:
        raise ValueError(f"unknown cadence {cadence!r}")
    today = today or timezone.localdate()
    period = report_period_for(cadence=cadence, today=today)
    User = get_user_model()
    to = list(User.objects.filter(report_subscriptions__cadence=cadence, is_active=True).exclude(email="")
              .order_by("id").values_list("email", flat=True).distinct())
    if not to:
        return 0
    workbook = io.BytesIO()
    period_report_xlsx(period=period, counterparty=None, target=workbook)
    pdf = period_summary_pdf(period=period, counterparty=None)
    with translation.override(settings.LANGUAGE_CODE):
        subject = (_("Weekly report %(period)s") if cadence == ReportSubscription.Cadence.WEEKLY
                   else _("Monthly report %(period)s")) % {"period": period}
        body = _("The period report of %(period)s is attached as Excel and PDF.") % {"period": period}
    messages = []
    for address in to:  # one email per manager: nobody sees the others' addresses
        message = mail.EmailMessage(subject=subject, body=body, to=[address])
        message.attach(f"period-{period}.xlsx", workbook.getvalue(),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        message.attach(f"period-{period}.pdf", pdf, "application/pdf")
        messages.append(message)
    return mail.get_connection().send_messages(messages) or 0
