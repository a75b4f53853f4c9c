import environ
from django.core.management.base import CommandError

from recon.core.db_roles import app_role_grant
from recon.core.management.base import ServiceCommand
from recon.core.envfile import env_value


class Command(ServiceCommand):
    help = ("Run as the tables' owner (DATABASE_MIGRATE_URL): grant the application's role only what it needs — rows, "
            "not the tables; on the audit trail SELECT and INSERT only.")

    def add_arguments(self, parser):
        parser.add_argument("role", nargs="?", help="the application's role (default: the user of DATABASE_URL)")
        parser.add_argument("--create", action="store_true",
                            help="create the role when missing, with the password of DATABASE_URL")

    def handle(self, *args, **o):
        # Settings point this command at the owner; DATABASE_URL still names the role the application runs as.
        app_url = env_value("DATABASE_URL", "")
        app = environ.Env.db_url_config(app_url) if app_url else {}
        role = o["role"] or app.get("USER")
        if not role:
            raise CommandError("name the role, or set DATABASE_URL to the application's URL")
        password = app.get("PASSWORD") if o["create"] and role == app.get("USER") else None
        if o["create"] and not password:
            raise CommandError(f"--create needs DATABASE_URL with {role}'s password")
        for line in app_role_grant(role=role, password=password):
            self.stdout.write(line)
