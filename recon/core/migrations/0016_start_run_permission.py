"""recon.start_run: starting a run of any kind for a range of days, from the runs page or the API. Granted to the
roles that upload and run reconciliations in the browser today (finance, manager)."""
from django.db import migrations

GRANTS = ("finance", "manager")


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("recon")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="recon", codename="start_run")
    for group in Group.objects.filter(name__in=GRANTS):
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="recon", codename="start_run").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("recon", "0015_discrepancy_partial_indexes"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="reconrun",
            options={
                "ordering": ["-created_at", "-id"],
                "permissions": [("use_web", "Can use the browser pages"), ("start_run", "Can start reconciliation runs")],
                "verbose_name": "reconciliation run",
                "verbose_name_plural": "reconciliation runs",
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
