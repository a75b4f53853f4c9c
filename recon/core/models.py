"""The reconciliation core: a run (one execution over some input) and the discrepancies it found."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Kinds and their discrepancy types are declared by the kinds' apps (recon/kinds.py); the choices are read when asked.
from recon.kinds import kind_choices, type_choices


def claim_q() -> models.Q:
    """The condition of a claim: the row's is_claim, written by its kind's run (a claim type with money at stake).

    A weight overcharge whose two weights fall in the same band ("¥3.00 instead of ¥3.00") is information, listed but
    holding no period open and never disputed. Every count of claims against information goes through this one
    condition (or Discrepancy.is_claim).
    """
    return models.Q(is_claim=True)


class Cycle(models.TextChoices):
    """How often a counterparty settles with us; a reconciliation period spans one cycle."""

    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class Counterparty(models.Model):
    """Whoever a discrepancy is with: a courier, a platform shop, a bank account, a warehouse.

    Periods, disputes and totals are per counterparty. Each kind's app keeps its own table for what only it knows
    (a courier's rate cards and aliases) linked one-to-one to its row here.
    """

    class Kind(models.TextChoices):
        COURIER = "courier", _("Courier")
        SHOP = "shop", _("Platform shop")
        BANK = "bank", _("Bank account")
        WAREHOUSE = "warehouse", _("Warehouse")

    kind = models.CharField(_("counterparty kind"), max_length=16, choices=Kind.choices)
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    billing_cycle = models.CharField(_("billing cycle"), max_length=8, choices=Cycle.choices, default=Cycle.MONTHLY)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("counterparty")
        verbose_name_plural = _("counterparties")
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="counterparty_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class JobProgress:
    """What the pages poll on a job row (a run, a bulk action): finished yet, and how far."""

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(self.progress_current * 100 / self.progress_total))


class ReconRun(JobProgress, models.Model):
    """One reconciliation: its input, its progress while a worker runs it, and its summary."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

    class Phase(models.TextChoices):
        QUEUED = "queued", _("Waiting for a worker")
        READING = "reading", _("Reading the file")
        VALIDATING = "validating", _("Checking rows")
        LOADING = "loading", _("Loading our shipments and rate cards")
        MATCHING = "matching", _("Matching")
        SAVING = "saving", _("Saving results")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=32, choices=kind_choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices, default=Phase.QUEUED)
    progress_current = models.PositiveIntegerField(_("progress"), default=0)
    progress_total = models.PositiveIntegerField(_("progress total"), default=0)
    counterparty = models.ForeignKey(Counterparty, null=True, blank=True, on_delete=models.PROTECT, related_name="runs", verbose_name=_("counterparty"))
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    courier_bill = models.ForeignKey("couriers.CourierBill", null=True, blank=True, on_delete=models.CASCADE, related_name="runs", verbose_name=_("bill"))
    # The upload waits here until a worker has read it; the bill exists only after a complete read.
    input_file = models.FileField(_("uploaded file"), upload_to="uploads/%Y/%m/", blank=True)
    input_filename = models.CharField(_("file name"), max_length=255, blank=True)
    input_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error_code = models.CharField(_("error code"), max_length=32, blank=True)
    error = models.TextField(_("error"), blank=True)
    error_details = models.JSONField(_("error details"), default=dict, blank=True)
    timings = models.JSONField(_("timings"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("started by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The outbox: when the run's message last reached the broker, and how many sends were tried; the
    # requeue sweep re-sends pending runs from these.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    enqueue_attempts = models.PositiveIntegerField(_("enqueue attempts"), default=0)
    # Written every few seconds by the worker while the run is running; a stale one means the worker died.
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    rerun_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns", verbose_name=_("run again from"))

    class Meta:
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        ordering = ["-created_at", "-id"]
        permissions = [("use_web", _("Can use the browser pages")), ("start_run", _("Can start reconciliation runs"))]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} {self.get_status_display()}"


class Direction(models.TextChoices):
    TO_US = "to_us", _("Owed to us")
    BY_US = "by_us", _("Owed by us")


class Discrepancy(models.Model):
    """A mismatch found by a run, with the money at stake and a reason a clerk can read."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        INVESTIGATING = "investigating", _("Investigating")
        DISPUTED = "disputed", _("Disputed")
        RESOLVED = "resolved", _("Resolved")

    class Outcome(models.TextChoices):
        RECOVERED = "recovered", _("Recovered")
        ACCEPTED = "accepted", _("Accepted (charge was right)")
        WRITTEN_OFF = "written_off", _("Written off")

    class ShortfallOutcome(models.TextChoices):
        """What became of the part of a claim the courier did not credit."""

        TO_DECIDE = "", _("To decide")
        ACCEPTED = "accepted", _("Accepted (charge was right)")
        WRITTEN_OFF = "written_off", _("Written off")
        REOPENED = "reopened", _("Back in the queue")

    # Lookups by run, source file and dispute use the composite indexes below (and the foreign key's own index for
    # dispute); single-column indexes for run and source would only slow down the COPY of each run's rows.
    run = models.ForeignKey(ReconRun, on_delete=models.CASCADE, related_name="discrepancies", verbose_name=_("run"), db_index=False)
    kind = models.CharField(_("kind"), max_length=32, choices=kind_choices)
    type = models.CharField(_("type"), max_length=32, choices=type_choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    counterparty = models.ForeignKey(Counterparty, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("counterparty"), db_constraint=False)
    # The primary reference (a waybill, a return number, an order number, a bank transaction) and a second one (such
    # as the order number), both searched by prefix; `sku` where a discrepancy is per item.
    ref = models.CharField(_("reference"), max_length=64)
    ref2 = models.CharField(_("second reference"), max_length=64, blank=True)
    sku = models.CharField(_("SKU"), max_length=64, blank=True, default="", db_default="")
    # The line of the source file (a bill line, a statement row) the discrepancy came from.
    source_line = models.PositiveIntegerField(_("line"), null=True, blank=True)
    # The amount as the counterparty states it, and as our records have it.
    theirs_amount = models.DecimalField(_("their amount"), max_digits=12, decimal_places=2, null=True, blank=True)
    ours_amount = models.DecimalField(_("our amount"), max_digits=12, decimal_places=2, null=True, blank=True)
    amount_at_stake = models.DecimalField(_("amount at stake"), max_digits=12, decimal_places=2)
    # A claim is money the counterparty owes us and we can ask for: it keeps its period open and goes into disputes.
    # Information (and a claim type with nothing at stake) does neither. Written by the run from its kind's types.
    is_claim = models.BooleanField(_("claim"), default=False, db_default=False)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices, default=Direction.TO_US, db_default=Direction.TO_US)
    # What makes a later run's row "the same discrepancy", so that the work done on it carries over.
    carry_key = models.CharField(_("carry-over key"), max_length=200, blank=True, default="", db_default="")
    occurred_on = models.DateField(_("date"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    # What only one kind has (a courier fee's weights, provinces, bill line and rate-card arithmetic), read through
    # that kind's typed accessor.
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The workflow. Columns the engine's bulk insert does not write carry database defaults.
    # The file the discrepancy came from (a courier bill, a statement), with source_line above.
    source = models.ForeignKey("recon.SourceFile", null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("source file"), db_constraint=False, db_index=False)
    period = models.ForeignKey("recon.ReconPeriod", null=True, blank=True, on_delete=models.PROTECT, related_name="discrepancies", verbose_name=_("period"), db_constraint=False)
    # False once a later run of the same bill replaced this row, or its bill was deleted: out of the queue.
    is_current = models.BooleanField(_("current"), default=True, db_default=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_discrepancies", verbose_name=_("assignee"), db_constraint=False, db_index=False)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True, default="", db_default="")
    outcome_reason = models.TextField(_("outcome reason"), blank=True, default="", db_default="")
    recovered_amount = models.DecimalField(_("recovered"), max_digits=12, decimal_places=2, null=True, blank=True)
    # A partial credit: the claimed rest the courier did not credit, and what the clerk decided about it. The credited
    # part stays in recovered_amount even when the rest goes back to the queue, so the money panel keeps adding up.
    shortfall_amount = models.DecimalField(_("shortfall"), max_digits=12, decimal_places=2, null=True, blank=True)
    shortfall_outcome = models.CharField(_("shortfall outcome"), max_length=16, choices=ShortfallOutcome.choices, blank=True, default="", db_default="")
    shortfall_reason = models.TextField(_("shortfall reason"), blank=True, default="", db_default="")
    dispute = models.ForeignKey("recon.Dispute", null=True, blank=True, on_delete=models.SET_NULL, related_name="discrepancies", verbose_name=_("dispute"), db_constraint=False, db_index=False)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("discrepancy")
        verbose_name_plural = _("discrepancies")
        ordering = ["-amount_at_stake", "id"]
        permissions = [
            ("work_discrepancy", _("Can work discrepancies in the review queue")),
            ("manage_dispute", _("Can send disputes and record couriers' replies")),
            ("work_any_discrepancy", _("Can work discrepancies assigned to others")),
        ]
        indexes = [
            models.Index(fields=["run", "type"], name="disc_run_type"),
            models.Index(fields=["run", "-amount_at_stake"], name="disc_run_amount"),
            models.Index(fields=["type", "status"], name="disc_type_status"),
            models.Index(fields=["-amount_at_stake", "id"], name="disc_amount"),
            # The queue: every filter leads an index that also serves the default sort (money first).
            models.Index(fields=["-amount_at_stake", "id"], name="queue_amount", condition=models.Q(is_current=True)),
            models.Index(fields=["status", "-amount_at_stake", "id"], name="queue_status", condition=models.Q(is_current=True)),
            models.Index(fields=["assignee", "-amount_at_stake", "id"], name="queue_assignee", condition=models.Q(is_current=True)),
            models.Index(fields=["counterparty", "-amount_at_stake", "id"], name="queue_counterparty", condition=models.Q(is_current=True)),
            models.Index(fields=["type", "-amount_at_stake", "id"], name="queue_type", condition=models.Q(is_current=True)),
            models.Index(fields=["kind", "-amount_at_stake", "id"], name="queue_kind", condition=models.Q(is_current=True)),
            models.Index(fields=["period", "-amount_at_stake", "id"], name="queue_period", condition=models.Q(is_current=True)),
            # The queue's other sort keys, each with the id tie-break of its keyset pages.
            models.Index(fields=["-created_at", "id"], name="queue_created", condition=models.Q(is_current=True)),
            models.Index(fields=["type", "id"], name="queue_type_id", condition=models.Q(is_current=True)),
            models.Index(fields=["status", "id"], name="queue_status_id", condition=models.Q(is_current=True)),
            models.Index(fields=["ref", "id"], name="queue_ref_id", condition=models.Q(is_current=True)),
            # A run writes its rows without an assignee or a dispute, and a kind that reads many files (returns) without a
            # source: indexing only the rows that have one keeps those indexes out of every run's COPY, and a lookup by
            # one (`= id`, which implies NOT NULL) still uses them.
            models.Index(fields=["source", "type"], name="disc_source_type", condition=models.Q(source__isnull=False)),
            models.Index(fields=["assignee"], name="disc_assignee", condition=models.Q(assignee__isnull=False)),
            models.Index(fields=["dispute"], name="disc_dispute", condition=models.Q(dispute__isnull=False)),
            # A waybill prefix matches thousands of rows; carrying what the queue filters and sorts them by lets
            # PostgreSQL pick a page's ids from the index alone (recon.review.selectors.keyset_page).
            models.Index(fields=["ref"], name="disc_ref_prefix_cover", opclasses=["varchar_pattern_ops"],
                         include=["is_current", "amount_at_stake", "id"]),
            models.Index(fields=["ref2"], name="disc_ref2_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.type} ¥{self.amount_at_stake}"


class ReconPeriod(models.Model):
    """A courier's billing period (day, week or month); once closed, its bills and discrepancies are locked."""

    Cycle = Cycle

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("period status", "Open")
        CLOSED = "closed", pgettext_lazy("period status", "Closed")

    counterparty = models.ForeignKey(Counterparty, on_delete=models.PROTECT, related_name="periods", verbose_name=_("counterparty"))
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    cycle = models.CharField(_("cycle"), max_length=8, choices=Cycle.choices, default=Cycle.MONTHLY)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("closed by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reconciliation period")
        verbose_name_plural = _("reconciliation periods")
        ordering = ["-start", "counterparty__code"]
        permissions = [
            ("close_period", _("Can close reconciliation periods")),
            ("reopen_period", _("Can reopen closed periods")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["counterparty", "start", "end"], name="period_unique_range"),
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="period_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.counterparty.code} {self.label}"

    @property
    def label(self) -> str:
        if self.cycle == self.Cycle.MONTHLY:
            return self.start.strftime("%Y-%m")
        if self.cycle == self.Cycle.WEEKLY:
            year, week, _day = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class Dispute(models.Model):
    """A dispute file (对账差异单) sent to a courier for a selection of discrepancies, and its answer."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent, waiting for the answer")
        ANSWERED = "answered", _("Answered")

    number = models.CharField(_("number"), max_length=40, unique=True)
    counterparty = models.ForeignKey(Counterparty, on_delete=models.PROTECT, related_name="disputes", verbose_name=_("counterparty"))
    # One dispute is for one period; empty only for disputes made before periods were recorded on them.
    period = models.ForeignKey("recon.ReconPeriod", null=True, blank=True, on_delete=models.PROTECT, related_name="disputes", verbose_name=_("period"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SENT)
    file = models.FileField(_("dispute file"), upload_to="disputes/%Y/%m/", blank=True)
    item_count = models.PositiveIntegerField(_("items"), default=0)
    amount_claimed = models.DecimalField(_("claimed"), max_digits=14, decimal_places=2, default=0)
    amount_credited = models.DecimalField(_("credited"), max_digits=14, decimal_places=2, default=0)
    note = models.TextField(_("note"), blank=True)
    reply_file = models.FileField(_("courier's reply"), upload_to="disputes/replies/%Y/%m/", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class DisputeItem(models.Model):
    """One discrepancy as it went out in a dispute, and what the courier answered for it."""

    class Answer(models.TextChoices):
        PENDING = "pending", _("No answer yet")
        CREDITED = "credited", _("Credited in full")
        PARTIAL = "partial", _("Partly credited")
        REFUSED = "refused", _("Refused")

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="items", verbose_name=_("dispute"))
    discrepancy = models.ForeignKey(Discrepancy, on_delete=models.CASCADE, related_name="dispute_items", verbose_name=_("discrepancy"))
    amount_claimed = models.DecimalField(_("claimed"), max_digits=12, decimal_places=2)
    amount_credited = models.DecimalField(_("credited"), max_digits=12, decimal_places=2, null=True, blank=True)
    answer = models.CharField(_("answer"), max_length=16, choices=Answer.choices, default=Answer.PENDING)
    courier_note = models.TextField(_("courier's note"), blank=True)

    class Meta:
        verbose_name = _("dispute item")
        verbose_name_plural = _("dispute items")
        ordering = ["dispute", "-amount_claimed", "id"]
        constraints = [models.UniqueConstraint(fields=["dispute", "discrepancy"], name="dispute_item_unique")]


class DiscrepancyComment(models.Model):
    discrepancy = models.ForeignKey(Discrepancy, on_delete=models.CASCADE, related_name="comments", verbose_name=_("discrepancy"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("author"))
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]


class DiscrepancyAttachment(models.Model):
    """Evidence kept with a discrepancy: a photo of the scale, a courier's reply."""

    discrepancy = models.ForeignKey(Discrepancy, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("discrepancy"))
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    original_filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size_bytes = models.BigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("uploaded by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]


class SavedFilter(models.Model):
    """A queue filter a user named to come back to."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("filter"), max_length=2000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_filter_unique_name")]


class BulkAction(JobProgress, models.Model):
    """An action on many discrepancies at once (assign, change status, comment), run by a worker when large."""

    class Action(models.TextChoices):
        ASSIGN = "assign", _("Assign")
        STATUS = "status", _("Change status")
        COMMENT = "comment", _("Add comment")

    class Status(models.TextChoices):
        PENDING = "pending", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Finished")
        FAILED = "failed", _("Failed")

    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    params = models.JSONField(_("parameters"), default=dict)
    # Either explicit ids or the queue filter (a query string) that selects the rows.
    ids = models.JSONField(_("selected ids"), default=list, blank=True)
    query = models.CharField(_("filter"), max_length=2000, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    progress_current = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("started by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bulk action")
        verbose_name_plural = _("bulk actions")
        ordering = ["-created_at", "-id"]


class Setting(models.Model):
    """A product setting a manager may change in the browser; every change is audited."""

    key = models.CharField(_("key"), max_length=64, unique=True)
    value = models.JSONField(_("value"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("updated by"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("setting")
        verbose_name_plural = _("settings")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class AuditEvent(models.Model):
    """One recorded change: who, when, from where, what, old and new values. Append-only (a trigger refuses changes)."""

    at = models.DateTimeField(_("when"), db_default=models.functions.Now())
    # No foreign key: the trail outlives users and objects, and nothing may rewrite it.
    actor_id = models.BigIntegerField(_("user id"), null=True, blank=True)
    actor_name = models.CharField(_("user"), max_length=150, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    object_type = models.CharField(_("object type"), max_length=32)
    object_id = models.BigIntegerField(_("object id"))
    action = models.CharField(_("action"), max_length=32)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"], name="audit_object"),
            models.Index(fields=["-at"], name="audit_at"),
            models.Index(fields=["actor_id", "-at"], name="audit_actor"),
        ]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_type}#{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the audit trail is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit trail is append-only")


# Source files live in their own module; imported here so that the app's models are registered in one place.
from recon.sources.models import ColumnMapping, RejectedRow, SourceFile  # noqa: E402,F401
