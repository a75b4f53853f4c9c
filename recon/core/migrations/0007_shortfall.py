from django.db import migrations, models
from django.db.models import F


def record_existing_shortfalls(apps, schema_editor):
    # Partial recoveries recorded before this migration lost their rest; it becomes a shortfall to decide.
    Discrepancy = apps.get_model("recon", "Discrepancy")
    Discrepancy.objects.filter(outcome="recovered", recovered_amount__lt=F("amount_at_stake")).update(
        shortfall_amount=F("amount_at_stake") - F("recovered_amount"),
    )


class Migration(migrations.Migration):

    dependencies = [
        ('recon', '0006_run_outbox_heartbeat'),
    ]

    operations = [
        migrations.AddField(
            model_name='discrepancy',
            name='shortfall_amount',
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True, verbose_name='shortfall'),
        ),
        migrations.AddField(
            model_name='discrepancy',
            name='shortfall_outcome',
            field=models.CharField(blank=True, choices=[('', 'To decide'), ('accepted', 'Accepted (charge was right)'), ('written_off', 'Written off'), ('reopened', 'Back in the queue')], db_default='', default='', max_length=16, verbose_name='shortfall outcome'),
        ),
        migrations.AddField(
            model_name='discrepancy',
            name='shortfall_reason',
            field=models.TextField(blank=True, db_default='', default='', verbose_name='shortfall reason'),
        ),
        migrations.RunPython(record_existing_shortfalls, migrations.RunPython.noop),
    ]
