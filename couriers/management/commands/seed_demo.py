from datetime import date
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework.authtoken.models import Token

from couriers.models import Courier, CourierBill, RateCard
from couriers.selectors import courier_get
from couriers.services import courier_bill_submit, rate_card_import
from orders.services import shipments_bulk_create
from recon.runs import services as run_services
from couriers.demo_data import generate, rate_card_frame, write_messy_csv, write_messy_xlsx

DEMO_USERS = [
    # username, password, role (group), staff/superuser, description
    ("admin", "admin", "manager", True, "manager: everything, closes periods, admin site"),
    ("finance", "finance", "finance", False, "finance clerk: uploads bills, rate cards, shipments"),
    ("ops", "ops", "ops", False, "operations: works the review queue and disputes"),
    ("auditor", "auditor", "auditor", False, "auditor: reads everything, the audit trail"),
    ("integration", "integration", "integration", False, "API only: posts shipments and bills with its token"),
]


class Command(BaseCommand):
    help = "Seed the demo: users, ZTO/YTO rate cards, a month of shipments, and a reconciled ZTO bill with injected errors."

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
        zto = courier_get(code="ZTO")
        if not CourierBill.objects.filter(courier=zto).exists():
            self.seed(zto, o["lines"], o["period"], out_dir)
        else:
            self.stdout.write("demo data already present")
        self.stdout.write("")
        self.stdout.write("Demo logins:")
        for username, password, _role, _staff, desc in DEMO_USERS:
            self.stdout.write(f"  {username} / {password}   ({desc})")
        for username, key in tokens.items():
            self.stdout.write(f"API token of {username}: {key}   (Authorization: Token {key})")
        self.stdout.write(f"Sample files to upload (another month's bill, messy shapes): {out_dir}")

    def seed(self, zto: Courier, lines: int, period: str, out_dir: Path) -> None:
        card_file = out_dir / "zto-rate-card.xlsx"
        rate_card_frame().to_excel(card_file, index=False)
        for courier in (zto, courier_get(code="YTO")):
            if not RateCard.objects.filter(courier=courier).exists():
                with open(card_file, "rb") as fh:
                    rate_card_import(file=fh, filename=card_file.name, courier=courier, effective_from=date(2026, 1, 1),
                                     name=f"{courier.name} 2026 标准报价", fee_tolerance_fen=0, weight_tolerance_g=0)
        data = generate(lines, period=period)
        records = data.shipments.assign(shipped_at=data.shipments["shipped_at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
        records = records.astype(object).where(records.notna(), None).to_dict("records")
        result = shipments_bulk_create(records=records)
        self.stdout.write(f"shipments: {result.created} created, {result.updated} updated")
        bill_path = out_dir / f"zto-{period}-bill.csv"
        write_messy_csv(data.bill, bill_path, period=period)
        with open(bill_path, "rb") as fh, transaction.atomic():
            submission = courier_bill_submit(file=fh, filename=bill_path.name, courier=zto, period=period, enqueue=False)
        run_services.run_execute(run_id=submission.run.id)
        submission.run.refresh_from_db()
        self.stdout.write(f"bill reconciled: run #{submission.run.id} {submission.run.status}, {submission.run.summary.get('discrepancies')} discrepancies")
        # Files for the user to upload: November's bill in two messy shapes.
        nov = generate(800, period="2026-11", seed=11)
        nov_records = nov.shipments.assign(shipped_at=nov.shipments["shipped_at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
        shipments_bulk_create(records=nov_records.astype(object).where(nov_records.notna(), None).to_dict("records"))
        write_messy_csv(nov.bill, out_dir / "zto-2026-11-bill-gbk.csv", period="2026-11")
        write_messy_xlsx(nov.bill, out_dir / "zto-2026-11-bill.xlsx", period="2026-11")
        pd.DataFrame([{"type": t, **v} for t, v in nov.expected.items()]).to_csv(out_dir / "zto-2026-11-expected.csv", index=False)
