"""Runs, periods, disputes and discrepancies point at a counterparty instead of a courier; a discrepancy's courier
columns become the generic ones (ref, ref2, source_line, theirs/ours amounts) and what only a courier fee has
(weights, provinces, bill line, shipment) moves into its details."""
from collections import defaultdict
from zoneinfo import ZoneInfo

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The courier-fee types that were information when this migration was written.
INFORMATION = ("rate_undercharge", "no_rate", "not_billed")
OWED_BY_US = ("rate_undercharge", "not_billed")


def fire_deferred_checks(schema_editor):
    """Runs now the foreign-key checks PostgreSQL deferred for the rows updated above."""
    # A row updated twice in one transaction queues its deferred foreign-key checks, and PostgreSQL refuses to ALTER
    # a table with checks pending ("pending trigger events"): the columns dropped or renamed after this step would.
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    info = ", ".join(f"'{t}'" for t in INFORMATION)
    by_us = ", ".join(f"'{t}'" for t in OWED_BY_US)
    courier_cp = "(SELECT c.counterparty_id FROM couriers_courier c WHERE c.id = {table}.courier_id)"
    with schema_editor.connection.cursor() as cursor:
        for table in ("recon_reconrun", "recon_reconperiod", "recon_dispute"):
            cursor.execute(f"UPDATE {table} SET counterparty_id = {courier_cp.format(table=table)} WHERE courier_id IS NOT NULL")
        t = "recon_discrepancy"
        if vendor == "postgresql":
            details = (
                "details || jsonb_build_object('billed_weight_g', billed_weight_g, 'expected_weight_g', expected_weight_g, "
                "'billed_province', billed_province, 'expected_province', expected_province, "
                "'bill_line_id', bill_line_id, 'shipment_id', shipment_id)"
            )
            carry = "type || '|' || ref || '|' || COALESCE(source_line, 0)::text"
        else:
            details = (
                "json_set(details, '$.billed_weight_g', billed_weight_g, '$.expected_weight_g', expected_weight_g, "
                "'$.billed_province', billed_province, '$.expected_province', expected_province, "
                "'$.bill_line_id', bill_line_id, '$.shipment_id', shipment_id)"
            )
            carry = "type || '|' || ref || '|' || COALESCE(source_line, 0)"
        cursor.execute(
            f"UPDATE {t} SET details = {details}, counterparty_id = {courier_cp.format(table=t)}, "
            f"is_claim = (type NOT IN ({info}) AND amount_at_stake > 0), "
            f"direction = CASE WHEN type IN ({by_us}) THEN 'by_us' ELSE 'to_us' END, carry_key = {carry}"
        )
        # The day a charge was billed, in the product's time zone.
        if vendor == "postgresql":
            cursor.execute(
                f"UPDATE {t} SET occurred_on = (l.billed_at AT TIME ZONE %s)::date FROM couriers_courierbillline l "
                f"WHERE l.id = {t}.bill_line_id AND l.billed_at IS NOT NULL", [settings.TIME_ZONE],
            )
    if vendor != "postgresql":
        # SQLite keeps datetimes as UTC text and knows no time zones: its date() would give the UTC day, which is the
        # day before for a charge billed between midnight and 08:00 in Shanghai.
        zone = ZoneInfo(settings.TIME_ZONE)
        Discrepancy = apps.get_model("recon", "Discrepancy")
        days = defaultdict(list)
        billed = Discrepancy.objects.filter(bill_line__billed_at__isnull=False).values_list("id", "bill_line__billed_at")
        for pk, billed_at in billed.iterator():
            days[billed_at.astimezone(zone).date()].append(pk)
        for day, ids in days.items():
            for start in range(0, len(ids), 500):
                Discrepancy.objects.filter(id__in=ids[start:start + 500]).update(occurred_on=day)
    fire_deferred_checks(schema_editor)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    cp_courier = "(SELECT c.id FROM couriers_courier c WHERE c.counterparty_id = {table}.counterparty_id)"
    with schema_editor.connection.cursor() as cursor:
        for table in ("recon_reconrun", "recon_reconperiod", "recon_dispute", "recon_discrepancy"):
            cursor.execute(f"UPDATE {table} SET courier_id = {cp_courier.format(table=table)}")
        t = "recon_discrepancy"
        if vendor == "postgresql":
            cursor.execute(
                f"UPDATE {t} SET billed_weight_g = (details->>'billed_weight_g')::int, expected_weight_g = (details->>'expected_weight_g')::int, "
                "billed_province = COALESCE(details->>'billed_province', ''), expected_province = COALESCE(details->>'expected_province', ''), "
                "bill_line_id = (details->>'bill_line_id')::bigint, shipment_id = (details->>'shipment_id')::bigint"
            )
        else:
            cursor.execute(
                f"UPDATE {t} SET billed_weight_g = json_extract(details, '$.billed_weight_g'), expected_weight_g = json_extract(details, '$.expected_weight_g'), "
                "billed_province = COALESCE(json_extract(details, '$.billed_province'), ''), expected_province = COALESCE(json_extract(details, '$.expected_province'), ''), "
                "bill_line_id = json_extract(details, '$.bill_line_id'), shipment_id = json_extract(details, '$.shipment_id')"
            )
    fire_deferred_checks(schema_editor)


def counterparty_fk(**kwargs):
    return models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to="recon.counterparty", verbose_name="counterparty", **kwargs)


class Migration(migrations.Migration):

    dependencies = [
        ("recon", "0008_counterparty"),
        ("couriers", "0008_courier_counterparty"),
        ("orders", "0002_recipient_fields"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="discrepancy", name="disc_waybill"),
        migrations.RemoveIndex(model_name="discrepancy", name="queue_courier"),
        migrations.RemoveIndex(model_name="discrepancy", name="disc_waybill_prefix"),
        migrations.RemoveIndex(model_name="discrepancy", name="disc_order_prefix"),
        migrations.RemoveConstraint(model_name="reconperiod", name="period_unique_range"),
        migrations.RenameField(model_name="discrepancy", old_name="waybill_no", new_name="ref"),
        migrations.RenameField(model_name="discrepancy", old_name="order_no", new_name="ref2"),
        migrations.RenameField(model_name="discrepancy", old_name="line_no", new_name="source_line"),
        migrations.RenameField(model_name="discrepancy", old_name="billed_fee", new_name="theirs_amount"),
        migrations.RenameField(model_name="discrepancy", old_name="expected_fee", new_name="ours_amount"),
        migrations.AlterField(model_name="discrepancy", name="ref", field=models.CharField(max_length=64, verbose_name="reference")),
        migrations.AlterField(model_name="discrepancy", name="ref2", field=models.CharField(blank=True, max_length=64, verbose_name="second reference")),
        migrations.AlterField(model_name="discrepancy", name="source_line", field=models.PositiveIntegerField(blank=True, null=True, verbose_name="line")),
        migrations.AlterField(model_name="discrepancy", name="theirs_amount", field=models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True, verbose_name="their amount")),
        migrations.AlterField(model_name="discrepancy", name="ours_amount", field=models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True, verbose_name="our amount")),
        migrations.AddField(model_name="reconrun", name="counterparty", field=counterparty_fk(null=True, blank=True, related_name="runs")),
        migrations.AddField(model_name="reconperiod", name="counterparty", field=counterparty_fk(null=True, related_name="periods")),
        migrations.AddField(model_name="dispute", name="counterparty", field=counterparty_fk(null=True, related_name="disputes")),
        migrations.AddField(model_name="discrepancy", name="counterparty", field=counterparty_fk(null=True, blank=True, related_name="+", db_constraint=False)),
        migrations.AddField(model_name="discrepancy", name="sku", field=models.CharField(blank=True, db_default="", default="", max_length=64, verbose_name="SKU")),
        migrations.AddField(model_name="discrepancy", name="is_claim", field=models.BooleanField(db_default=False, default=False, verbose_name="claim")),
        migrations.AddField(model_name="discrepancy", name="direction", field=models.CharField(choices=[("to_us", "Owed to us"), ("by_us", "Owed by us")], db_default="to_us", default="to_us", max_length=8, verbose_name="direction")),
        migrations.AddField(model_name="discrepancy", name="carry_key", field=models.CharField(blank=True, db_default="", default="", max_length=200, verbose_name="carry-over key")),
        migrations.AddField(model_name="discrepancy", name="occurred_on", field=models.DateField(blank=True, null=True, verbose_name="date")),
        migrations.RunPython(forward, migrations.RunPython.noop),
        # Made nullable before they go so that, migrating back, they come back empty and backward() fills them
        # before they are required again (a required column cannot be added to a table that has rows).
        migrations.AlterField(model_name="reconperiod", name="courier", field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="periods", to="couriers.courier", verbose_name="courier")),
        migrations.AlterField(model_name="dispute", name="courier", field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="disputes", to="couriers.courier", verbose_name="courier")),
        migrations.RunPython(migrations.RunPython.noop, backward),
        migrations.RemoveField(model_name="reconrun", name="courier"),
        migrations.RemoveField(model_name="reconperiod", name="courier"),
        migrations.RemoveField(model_name="dispute", name="courier"),
        migrations.RemoveField(model_name="discrepancy", name="courier"),
        migrations.RemoveField(model_name="discrepancy", name="bill_line"),
        migrations.RemoveField(model_name="discrepancy", name="shipment"),
        migrations.RemoveField(model_name="discrepancy", name="billed_weight_g"),
        migrations.RemoveField(model_name="discrepancy", name="expected_weight_g"),
        migrations.RemoveField(model_name="discrepancy", name="billed_province"),
        migrations.RemoveField(model_name="discrepancy", name="expected_province"),
        migrations.AlterField(model_name="reconperiod", name="counterparty", field=counterparty_fk(related_name="periods")),
        migrations.AlterField(model_name="dispute", name="counterparty", field=counterparty_fk(related_name="disputes")),
        migrations.AlterModelOptions(
            name="reconperiod",
            options={"ordering": ["-start", "counterparty__code"], "permissions": [("close_period", "Can close reconciliation periods"), ("reopen_period", "Can reopen closed periods")], "verbose_name": "reconciliation period", "verbose_name_plural": "reconciliation periods"},
        ),
        migrations.AddConstraint(model_name="reconperiod", constraint=models.UniqueConstraint(fields=("counterparty", "start", "end"), name="period_unique_range")),
        migrations.AddIndex(model_name="discrepancy", index=models.Index(condition=models.Q(("is_current", True)), fields=["counterparty", "-amount_at_stake", "id"], name="queue_counterparty")),
        migrations.AddIndex(model_name="discrepancy", index=models.Index(fields=["ref"], name="disc_ref_prefix", opclasses=["varchar_pattern_ops"])),
        migrations.AddIndex(model_name="discrepancy", index=models.Index(fields=["ref2"], name="disc_ref2_prefix", opclasses=["varchar_pattern_ops"])),
    ]
