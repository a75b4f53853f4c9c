"""The roles' rights on returns: finance (and integrations) load the files, every role reads them, the manager holds all."""
from django.db import migrations

MODELS = ("returnrequest", "returnreceipt", "returnfreightline")
READ = [f"view_{m}" for m in MODELS]
LOAD = [f"{verb}_{m}" for m in MODELS for verb in ("add", "change")]
GRANTS = {
    "finance": READ + LOAD,
    "integration": READ + LOAD,
    "ops": READ,
    "auditor": READ,
    "manager": READ + LOAD + [f"delete_{m}" for m in MODELS],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("returns")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="returns")}
    for group in Group.objects.filter(name__in=list(GRANTS)):
        group.permissions.add(*[perms[c] for c in GRANTS[group.name]])


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="returns").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0001_initial"),
        ("recon", "0003_roles_audit_backfill"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
