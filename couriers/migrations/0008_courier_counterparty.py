import django.db.models.deletion
from django.db import migrations, models


def courier_counterparties(apps, schema_editor):
    """Every courier becomes a counterparty of kind "courier" with its code, names, cycle and state."""
    Courier = apps.get_model("couriers", "Courier")
    Counterparty = apps.get_model("recon", "Counterparty")
    for courier in Courier.objects.filter(counterparty__isnull=True).order_by("id"):
        courier.counterparty = Counterparty.objects.create(
            kind="courier", code=courier.code, name=courier.name, name_en=courier.name_en,
            billing_cycle=courier.billing_cycle, active=courier.active,
        )
        courier.save(update_fields=["counterparty"])


class Migration(migrations.Migration):

    dependencies = [
        ("couriers", "0007_bill_content_replace_supplement"),
        ("recon", "0008_counterparty"),
    ]

    operations = [
        migrations.AddField(
            model_name="courier",
            name="counterparty",
            field=models.OneToOneField(null=True, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name="courier", to="recon.counterparty", verbose_name="counterparty"),
        ),
        migrations.RunPython(courier_counterparties, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="courier",
            name="counterparty",
            field=models.OneToOneField(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name="courier", to="recon.counterparty", verbose_name="counterparty"),
        ),
    ]
