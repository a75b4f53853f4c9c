"""The roles' rights on outbound records and pickup scans, as on orders: finance (and integrations) import them, every
role reads them, the manager holds all."""
from django.db import migrations

MODELS = ("outboundrecord", "pickupscan")
READ = [f"view_{m}" for m in MODELS]
LOAD = ["import_outbound", "add_outboundrecord", "change_outboundrecord", "add_pickupscan", "change_pickupscan"]
GRANTS = {
    "finance": READ + LOAD,
    "integration": READ + LOAD,
    "ops": READ,
    "auditor": READ,
    "manager": READ + LOAD + ["delete_outboundrecord", "delete_pickupscan"],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("orders")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="orders")}
    for group in Group.objects.filter(name__in=list(GRANTS)):
        group.permissions.add(*[perms[c] for c in GRANTS[group.name]])


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="orders", content_type__model__in=MODELS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0006_outbound_pickups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
