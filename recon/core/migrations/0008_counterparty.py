from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("recon", "0007_shortfall"),
    ]

    operations = [
        migrations.CreateModel(
            name="Counterparty",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("courier", "Courier"), ("shop", "Platform shop"), ("bank", "Bank account"), ("warehouse", "Warehouse")], max_length=16, verbose_name="counterparty kind")),
                ("code", models.CharField(max_length=32, verbose_name="code")),
                ("name", models.CharField(max_length=64, verbose_name="name")),
                ("name_en", models.CharField(blank=True, max_length=64, verbose_name="English name")),
                ("billing_cycle", models.CharField(choices=[("daily", "Daily"), ("weekly", "Weekly"), ("monthly", "Monthly")], default="monthly", max_length=8, verbose_name="billing cycle")),
                ("active", models.BooleanField(default=True, verbose_name="active")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
            ],
            options={
                "verbose_name": "counterparty",
                "verbose_name_plural": "counterparties",
                "ordering": ["kind", "code"],
                "constraints": [models.UniqueConstraint(fields=("kind", "code"), name="counterparty_unique_code")],
            },
        ),
    ]
