from django.db import migrations, models


class Migration(migrations.Migration):
    """Alerts keep their message as a code and parameters, rendered in the reader's language; rows written before
    keep their stored text, which is what they show."""

    dependencies = [("reports", "0007_discrepancy_month_totals")]

    operations = [
        migrations.AddField(model_name="alert", name="message_code",
                            field=models.CharField(blank=True, max_length=32, verbose_name="message code")),
        migrations.AddField(model_name="alert", name="message_params",
                            field=models.JSONField(blank=True, default=dict, verbose_name="message parameters")),
    ]
