"""The Django app of the core (label "recon"): models, migrations, admin, permissions, the database helpers, the export writer and the generic commands."""
