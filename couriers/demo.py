"""Courier fees' demo for `manage.py seed_demo`: ZTO/YTO rate cards, a month of shipments, a reconciled ZTO bill with
injected errors, and next month's bill in messy shapes for the user to upload."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from django.db import transaction

from couriers.models import CourierBill, RateCard
from couriers.selectors import courier_get
from couriers.services import courier_bill_submit, rate_card_import
from orders.services import shipments_bulk_create
from recon.runs import services as run_services
from couriers.demo_data import generate, rate_card_frame, write_messy_csv, write_messy_xlsx


def _records(shipments: pd.DataFrame) -> list[dict]:
    frame = shipments.assign(shipped_at=shipments["shipped_at"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def courier_fee_demo(*, lines: int, period: str, out_dir: Path, stdout) -> list[str]:
    """Seed courier fees' demo once (a ZTO bill already there means it is seeded); the lines to print after the logins."""
    zto = courier_get(code="ZTO")
    if CourierBill.objects.filter(courier=zto).exists():
        stdout.write("demo data already present")
    else:
        _seed(zto, lines=lines, period=period, out_dir=out_dir, stdout=stdout)
    return [f"Sample files to upload (another month's bill, messy shapes): {out_dir}"]


def _seed(zto, *, lines: int, period: str, out_dir: Path, stdout) -> None:
    card_file = out_dir / "zto-rate-card.xlsx"
    rate_card_frame().to_excel(card_file, index=False)
    for courier in (zto, courier_get(code="YTO")):
        if not RateCard.objects.filter(courier=courier).exists():
            with open(card_file, "rb") as fh:
                rate_card_import(file=fh, filename=card_file.name, courier=courier, effective_from=date(2026, 1, 1),
                                 name=f"{courier.name} 2026 标准报价", fee_tolerance_fen=0, weight_tolerance_g=0)
    data = generate(lines, period=period)
    result = shipments_bulk_create(records=_records(data.shipments))
    stdout.write(f"shipments: {result.created} created, {result.updated} updated")
    bill_path = out_dir / f"zto-{period}-bill.csv"
    write_messy_csv(data.bill, bill_path, period=period)
    with open(bill_path, "rb") as fh, transaction.atomic():
        submission = courier_bill_submit(file=fh, filename=bill_path.name, courier=zto, period=period, enqueue=False)
    run_services.run_execute(run_id=submission.run.id)
    submission.run.refresh_from_db()
    stdout.write(f"bill reconciled: run #{submission.run.id} {submission.run.status}, {submission.run.summary.get('discrepancies')} discrepancies")
    # Files for the user to upload: November's bill in two messy shapes.
    nov = generate(800, period="2026-11", seed=11)
    shipments_bulk_create(records=_records(nov.shipments))
    write_messy_csv(nov.bill, out_dir / "zto-2026-11-bill-gbk.csv", period="2026-11")
    write_messy_xlsx(nov.bill, out_dir / "zto-2026-11-bill.xlsx", period="2026-11")
    pd.DataFrame([{"type": t, **v} for t, v in nov.expected.items()]).to_csv(out_dir / "zto-2026-11-expected.csv", index=False)
