"""A courier bill becomes a source file (multi-table inheritance), and its rejected rows and column mappings move to
the core's tables.

The bill keeps its id: the column couriers_courierbill.id stays where it is, with every line, run and discrepancy
pointing at it, and becomes the parent link to recon_sourcefile, whose rows are written with the bills' ids. Backward,
the values go back into the bill's own columns and tables.
"""
import django.db.models.deletion
from django.core.management.color import no_style
from django.db import migrations, models
from django.db.migrations.operations.base import Operation

FILE_KIND = "courier_bill"
# What moves from the bill to its source file, column for column.
MOVED = ("file", "original_filename", "sha256", "size_bytes", "line_count", "rejected_count", "read_info", "uploaded_by_id",
         "uploaded_at", "period_id", "deleted_at", "deleted_by_id")


def parent_link():
    return models.OneToOneField(
        on_delete=django.db.models.deletion.CASCADE, parent_link=True, primary_key=True, serialize=False, db_column="id",
        related_name="courier_bill", to="recon.sourcefile", verbose_name="source file",
    )


class BillBecomesSourceFile(Operation):
    """The bill's id column becomes its link to its source file: no more identity of its own, a foreign key instead."""

    reversible = True

    def state_forwards(self, app_label, state):
        model = state.models[app_label, "courierbill"]
        fields = dict(model.fields)
        del fields["id"]
        model.fields = {"sourcefile_ptr": parent_link(), **fields}
        model.bases = ("recon.sourcefile",)
        state.reload_model(app_label, "courierbill", delay=False)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        old = from_state.apps.get_model(app_label, "CourierBill")
        new = to_state.apps.get_model(app_label, "CourierBill")
        schema_editor.alter_field(new, old._meta.get_field("id"), new._meta.get_field("sourcefile_ptr"))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        new = from_state.apps.get_model(app_label, "CourierBill")
        old = to_state.apps.get_model(app_label, "CourierBill")
        schema_editor.alter_field(old, new._meta.get_field("sourcefile_ptr"), old._meta.get_field("id"))
        # The identity PostgreSQL adds back starts at 1: move it past the bills there are.
        for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), [old]):
            schema_editor.execute(sql)

    def describe(self):
        return "Make CourierBill's id its parent link to recon.SourceFile"

    @property
    def migration_name_fragment(self):
        return "bill_becomes_source_file"


def _immediate(schema_editor):
    # PostgreSQL refuses to alter a table with deferred constraint checks still pending in the transaction.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def bills_to_source_files(apps, schema_editor):
    """Each bill's file columns into a source file with the bill's id; rejected rows and mappings to the core's tables."""
    cols = ", ".join(MOVED)
    bill_cols = ", ".join(f"b.{c}" for c in MOVED)
    schema_editor.execute(
        f"INSERT INTO recon_sourcefile (id, file_kind, counterparty_id, mapping, {cols}) "
        f"SELECT b.id, %s, c.counterparty_id, %s, {bill_cols} FROM couriers_courierbill b JOIN couriers_courier c ON c.id = b.courier_id",
        [FILE_KIND, "{}"],
    )
    schema_editor.execute(
        "INSERT INTO recon_rejectedrow (id, source_id, sheet, row_no, reason_code, reason, raw) "
        "SELECT id, bill_id, sheet, row_no, reason_code, reason, raw FROM couriers_rejectedrow"
    )
    schema_editor.execute(
        "INSERT INTO recon_columnmapping (counterparty_id, file_kind, mapping, updated_by_id, updated_at) "
        "SELECT c.counterparty_id, %s, m.mapping, m.updated_by_id, m.updated_at FROM couriers_columnmapping m "
        "JOIN couriers_courier c ON c.id = m.courier_id",
        [FILE_KIND],
    )
    models_with_ids = [apps.get_model("recon", name) for name in ("SourceFile", "RejectedRow", "ColumnMapping")]
    for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), models_with_ids):
        schema_editor.execute(sql)
    _immediate(schema_editor)


def source_files_to_bills(apps, schema_editor):
    """Backward: the source file's columns into the bill again, and the bills' rejected rows and mappings back."""
    sets = ", ".join(f"{c} = (SELECT f.{c} FROM recon_sourcefile f WHERE f.id = couriers_courierbill.id)" for c in MOVED)
    schema_editor.execute(f"UPDATE couriers_courierbill SET {sets}")
    schema_editor.execute(
        "INSERT INTO couriers_rejectedrow (id, bill_id, sheet, row_no, reason_code, reason, raw) "
        "SELECT r.id, r.source_id, r.sheet, r.row_no, r.reason_code, r.reason, r.raw FROM recon_rejectedrow r "
        "WHERE r.source_id IN (SELECT id FROM couriers_courierbill)"
    )
    schema_editor.execute(
        "INSERT INTO couriers_columnmapping (courier_id, mapping, updated_by_id, updated_at) "
        "SELECT c.id, m.mapping, m.updated_by_id, m.updated_at FROM recon_columnmapping m "
        "JOIN couriers_courier c ON c.counterparty_id = m.counterparty_id WHERE m.file_kind = %s",
        [FILE_KIND],
    )
    schema_editor.execute("DELETE FROM recon_rejectedrow WHERE source_id IN (SELECT id FROM couriers_courierbill)")
    schema_editor.execute("DELETE FROM recon_columnmapping WHERE file_kind = %s", [FILE_KIND])
    schema_editor.execute("DELETE FROM recon_sourcefile WHERE id IN (SELECT id FROM couriers_courierbill)")
    old_models = [apps.get_model("couriers", name) for name in ("RejectedRow", "ColumnMapping")]
    for sql in schema_editor.connection.ops.sequence_reset_sql(no_style(), old_models):
        schema_editor.execute(sql)
    _immediate(schema_editor)


def grant_moved_permissions(apps, schema_editor):
    """Whoever could see (or change) rejected rows and column mappings still can, now that they are the core's; whoever
    could see bills can see source files; the manager holds every permission of the new models."""
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("recon")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    recon = {p.codename: p for p in Permission.objects.filter(content_type__app_label="recon")}
    for group in Group.objects.all():
        held = set(group.permissions.filter(content_type__app_label="couriers").values_list("codename", flat=True))
        grant = [recon[c] for c in held if c.endswith(("_rejectedrow", "_columnmapping")) and c in recon]
        if "view_courierbill" in held:
            grant.append(recon["view_sourcefile"])
        if group.name == "manager":
            grant += [p for c, p in recon.items() if c.endswith(("_sourcefile", "_rejectedrow", "_columnmapping"))]
        group.permissions.add(*grant)


class Migration(migrations.Migration):

    dependencies = [
        ("couriers", "0008_courier_counterparty"),
        ("recon", "0011_source_files"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        # Backward, the bill's columns come back empty before they are filled: no uniqueness or NOT NULL until then.
        migrations.AlterField(model_name="courierbill", name="file", field=models.FileField(null=True, upload_to="bills/%Y/%m/", verbose_name="file")),
        migrations.AlterField(model_name="courierbill", name="original_filename", field=models.CharField(max_length=255, null=True, verbose_name="file name")),
        migrations.AlterField(model_name="courierbill", name="sha256", field=models.CharField(max_length=64, null=True, verbose_name="SHA-256")),
        migrations.AlterField(model_name="courierbill", name="size_bytes", field=models.BigIntegerField(null=True, verbose_name="size (bytes)")),
        migrations.RunPython(bills_to_source_files, source_files_to_bills),
        migrations.RunPython(grant_moved_permissions, migrations.RunPython.noop),
        *[migrations.RemoveField(model_name="courierbill", name=name.removesuffix("_id")) for name in MOVED],
        # Before the old tables go: on SQLite, changing the bill's key rebuilds the tables that point at it, and
        # backward those tables must be back first.
        BillBecomesSourceFile(),
        migrations.DeleteModel(name="RejectedRow"),
        migrations.DeleteModel(name="ColumnMapping"),
    ]
