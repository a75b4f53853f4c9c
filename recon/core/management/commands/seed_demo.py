from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from recon.kinds import kind_specs

DEMO_USERS = [
    # username, password, role (group), staff/superuser, description
    ("admin", "admin", "manager", True, "manager: everything, closes periods, admin site"),
    ("finance", "finance", "finance", False, "finance clerk: uploads bills, rate cards, shipments"),
    ("ops", "ops", "ops", False, "operations: works the review queue and disputes"),
    ("auditor", "auditor", "auditor", False, "auditor: reads everything, the audit trail"),
    ("integration", "integration", "integration", False, "API only: posts shipments and bills with its token"),
]


class Command(BaseCommand):
    help = "Seed the demo: a login for each role, then each kind's demo data (courier fees: rate cards, shipments, a reconciled bill)."

    def add_arguments(self, parser):
        parser.add_argument("--lines", type=int, default=3000)
        parser.add_argument("--period", default="2026-10")

    def handle(self, *args, **o):
        User = get_user_model()
        tokens = {}
        for username, password, role, staff, _desc in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(username, password=password, is_staff=staff, is_superuser=staff)
            user.groups.add(Group.objects.get(name=role))
            if role == "integration":
                tokens[username] = Token.objects.get_or_create(user=user)[0].key
        out_dir = Path(settings.VAR_DIR) / "demo"
        out_dir.mkdir(parents=True, exist_ok=True)
        # Each kind seeds its own data, in the kinds' order; what it says about its sample files comes after the logins.
        # The reports' demo alert rule comes first, so that the kinds' demo runs below cross it.
        from reports.alerts_demo import alerts_demo_seed

        notes = alerts_demo_seed(manager="admin", stdout=self.stdout)
        for spec in kind_specs().values():
            seed = spec.hook("demo")
            if seed is not None:
                notes += seed(lines=o["lines"], period=o["period"], out_dir=out_dir, stdout=self.stdout) or []
        self.stdout.write("")
        self.stdout.write("Demo logins:")
        for username, password, _role, _staff, desc in DEMO_USERS:
            self.stdout.write(f"  {username} / {password}   ({desc})")
        for username, key in tokens.items():
            self.stdout.write(f"API token of {username}: {key}   (Authorization: Token {key})")
        for note in notes:
            self.stdout.write(note)
