"""Follow-up of receivables: one status and note per order; finance and the manager set them, every role reads them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FOLLOW_UP = ["follow_up_receivable", "view_receivablefollowup", "add_receivablefollowup", "change_receivablefollowup"]
GRANTS = {
    "finance": FOLLOW_UP,
    "manager": FOLLOW_UP + ["delete_receivablefollowup"],
    "ops": ["view_receivablefollowup"],
    "auditor": ["view_receivablefollowup"],
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
        group.permissions.add(*[perms[c] for c in GRANTS[group.name]])


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="payments",
                              codename__in=FOLLOW_UP + ["delete_receivablefollowup"]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0005_role_permissions'),
        ('payments', '0003_bank_checks'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ReceivableFollowUp',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('open', 'To follow up'), ('contacted', 'Contacted'), ('promised', 'Promised'), ('disputed', 'Disputed'), ('written_off', 'Written off')], default='open', max_length=16, verbose_name='follow-up status')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('order', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='follow_up', to='orders.order', verbose_name='order')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='updated by')),
            ],
            options={
                'verbose_name': 'receivable follow-up',
                'verbose_name_plural': 'receivable follow-ups',
                'permissions': [('follow_up_receivable', 'Can follow up receivables')],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
