"""The roles' rights on settlements and bank statements: finance (and integrations) import them, finance matches bank
lines by hand, every role reads them, the manager holds all."""
from django.db import migrations

MODELS = ("settlementline", "bankaccount", "bankstatement", "bankline", "bankmatch", "bankmatchwithdrawal", "bankmatchcredit")
READ = [f"view_{m}" for m in MODELS]
LOAD = ["import_payments", "add_settlementline", "add_bankstatement", "add_bankline", "add_bankaccount"]
MATCH = ["match_bank", "add_bankmatch", "delete_bankmatch"]
GRANTS = {
    "finance": READ + LOAD + MATCH,
    "integration": READ + LOAD,
    "ops": READ,
    "auditor": READ,
    "manager": None,  # every permission of the app
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("payments")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="payments")}
    for group in Group.objects.filter(name__in=list(GRANTS)):
        codes = GRANTS[group.name]
        group.permissions.add(*(perms.values() if codes is None else [perms[c] for c in codes]))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="payments").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("recon", "0003_roles_audit_backfill"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
