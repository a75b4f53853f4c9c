"""Roles as groups, the audit trail made append-only in PostgreSQL, and periods for bills imported before periods existed."""
from datetime import date

from django.db import migrations

READ = [
    "recon.view_reconrun", "recon.view_discrepancy", "recon.view_reconperiod", "recon.view_dispute", "recon.view_disputeitem",
    "recon.view_discrepancycomment", "recon.view_discrepancyattachment", "recon.view_bulkaction", "recon.view_setting",
    "couriers.view_courier", "couriers.view_ratecard", "couriers.view_ratecardzone", "couriers.view_ratecardband",
    "couriers.view_courierbill", "couriers.view_courierbillline", "couriers.view_rejectedrow", "couriers.view_columnmapping",
    "orders.view_shipment",
]
ROLES = {
    "finance": READ + [
        "recon.use_web", "couriers.upload_bill", "couriers.add_ratecard", "orders.add_shipment", "orders.change_shipment",
    ],
    "ops": READ + [
        "recon.use_web", "recon.work_discrepancy", "recon.manage_dispute", "recon.add_discrepancycomment",
        "recon.add_discrepancyattachment",
    ],
    "manager": None,  # every permission of the product's apps
    "integration": READ + ["couriers.upload_bill", "orders.add_shipment", "orders.change_shipment"],
    "auditor": READ + ["recon.use_web", "recon.view_auditevent"],
}
PRODUCT_APPS = ("recon", "couriers", "orders", "returns", "reports")

PG_TRIGGER = """
CREATE OR REPLACE FUNCTION recon_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER recon_auditevent_append_only BEFORE UPDATE OR DELETE ON recon_auditevent
    FOR EACH ROW EXECUTE FUNCTION recon_audit_append_only();
"""
PG_TRIGGER_DROP = """
DROP TRIGGER IF EXISTS recon_auditevent_append_only ON recon_auditevent;
DROP FUNCTION IF EXISTS recon_audit_append_only();
"""


def append_only(apps, schema_editor):
    # PostgreSQL only: TRUNCATE (test flushes) is not a row change; SQLite's flush deletes rows, so there the model guards.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_TRIGGER)


def append_only_undo(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_TRIGGER_DROP)


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    everything = list(Permission.objects.filter(content_type__app_label__in=PRODUCT_APPS))
    by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in Permission.objects.select_related("content_type")}
    for role, names in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        if names is None:
            group.permissions.set(everything)
            continue
        missing = [n for n in names if n not in by_name]
        if missing:
            raise RuntimeError(f"role {role}: unknown permissions {missing}")
        group.permissions.set([by_name[n] for n in names])


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()


def backfill_periods(apps, schema_editor):
    CourierBill = apps.get_model("couriers", "CourierBill")
    ReconPeriod = apps.get_model("recon", "ReconPeriod")
    Discrepancy = apps.get_model("recon", "Discrepancy")
    ReconRun = apps.get_model("recon", "ReconRun")
    for bill in CourierBill.objects.filter(period__isnull=True):
        monthly = bill.period_start.day == 1 and date(bill.period_end.year, bill.period_end.month, 1) == bill.period_start
        period, _ = ReconPeriod.objects.get_or_create(
            courier_id=bill.courier_id, start=bill.period_start, end=bill.period_end,
            defaults={"cycle": "monthly" if monthly else ("daily" if bill.period_start == bill.period_end else "weekly")},
        )
        bill.period = period
        bill.save(update_fields=["period"])
        runs = list(ReconRun.objects.filter(courier_bill=bill, status="succeeded").order_by("id").values_list("id", flat=True))
        Discrepancy.objects.filter(run_id__in=runs).update(bill=bill, period=period)
        # Only the newest run of a bill is in the queue.
        Discrepancy.objects.filter(run_id__in=runs[:-1]).update(is_current=False)


class Migration(migrations.Migration):
    dependencies = [
        ("recon", "0002_review_workflow"),
        ("couriers", "0005_bill_period"),
        ("orders", "0002_recipient_fields"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(append_only, append_only_undo),
        migrations.RunPython(create_roles, drop_roles),
        migrations.RunPython(backfill_periods, migrations.RunPython.noop),
    ]
