"""Source files: one table for every uploaded file, its rejected rows, and column mappings per counterparty and file kind.

A discrepancy's `bill` becomes `source` (the column keeps its values: a courier bill's id is its source file's id once
couriers' next migration has made bills source files).
"""
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("recon", "0010_queue_ref_index"),
        ("couriers", "0008_courier_counterparty"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SourceFile",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("file", models.FileField(upload_to="sources/%Y/%m/", verbose_name="file")),
                ("original_filename", models.CharField(max_length=255, verbose_name="file name")),
                ("sha256", models.CharField(max_length=64, verbose_name="SHA-256")),
                ("size_bytes", models.BigIntegerField(verbose_name="size (bytes)")),
                ("file_kind", models.CharField(max_length=32, verbose_name="file kind")),
                ("counterparty", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="source_files", to="recon.counterparty", verbose_name="counterparty")),
                ("period", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="source_files", to="recon.reconperiod", verbose_name="reconciliation period")),
                ("mapping", models.JSONField(blank=True, default=dict, verbose_name="column mapping")),
                ("line_count", models.PositiveIntegerField(default=0, verbose_name="lines")),
                ("rejected_count", models.PositiveIntegerField(default=0, verbose_name="rejected rows")),
                ("read_info", models.JSONField(blank=True, default=dict, verbose_name="read details")),
                ("uploaded_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="uploaded by")),
                ("uploaded_at", models.DateTimeField(auto_now_add=True, verbose_name="uploaded at")),
                ("deleted_at", models.DateTimeField(blank=True, null=True, verbose_name="deleted at")),
                ("deleted_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="deleted by")),
            ],
            options={
                "verbose_name": "source file",
                "verbose_name_plural": "source files",
                "ordering": ["-uploaded_at", "-id"],
                "constraints": [models.UniqueConstraint(fields=("file_kind", "sha256"), name="source_file_unique_hash")],
            },
        ),
        migrations.CreateModel(
            name="RejectedRow",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("source", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="rejected_rows", to="recon.sourcefile", verbose_name="source file")),
                ("sheet", models.CharField(blank=True, max_length=64, verbose_name="sheet")),
                ("row_no", models.PositiveIntegerField(verbose_name="row")),
                ("reason_code", models.CharField(max_length=32, verbose_name="reason code")),
                ("reason", models.TextField(verbose_name="reason")),
                ("raw", models.TextField(blank=True, verbose_name="row as uploaded")),
            ],
            options={
                "verbose_name": "rejected row",
                "verbose_name_plural": "rejected rows",
                "ordering": ["source", "sheet", "row_no"],
            },
        ),
        migrations.CreateModel(
            name="ColumnMapping",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("counterparty", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="column_mappings", to="recon.counterparty", verbose_name="counterparty")),
                ("file_kind", models.CharField(max_length=32, verbose_name="file kind")),
                ("mapping", models.JSONField(default=dict, verbose_name="mapping")),
                ("updated_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL)),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
            ],
            options={
                "verbose_name": "column mapping",
                "verbose_name_plural": "column mappings",
                "ordering": ["counterparty", "file_kind"],
                "constraints": [models.UniqueConstraint(fields=("counterparty", "file_kind"), name="column_mapping_unique_kind")],
            },
        ),
        migrations.RemoveIndex(model_name="discrepancy", name="disc_bill_type"),
        migrations.RenameField(model_name="discrepancy", old_name="bill", new_name="source"),
        migrations.AlterField(
            model_name="discrepancy",
            name="source",
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="recon.sourcefile", verbose_name="source file"),
        ),
        migrations.AddIndex(model_name="discrepancy", index=models.Index(fields=["source", "type"], name="disc_source_type")),
    ]
