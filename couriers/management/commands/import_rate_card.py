from django.core.management.base import CommandError

from couriers.selectors import courier_get
from couriers.services import rate_card_import
from recon.core.management.base import ServiceCommand, parse_date


class Command(ServiceCommand):
    help = "Import a courier's rate card (报价单) from XLSX/CSV: one row per province, one column per weight band."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--courier", required=True, help="courier code, e.g. ZTO")
        parser.add_argument("--effective-from", required=True, help="YYYY-MM-DD")
        parser.add_argument("--effective-to", help="YYYY-MM-DD (inclusive); open-ended when absent")
        parser.add_argument("--volumetric-divisor", type=int, default=8000, help="cm³ per kg; 0 disables volumetric weight")
        parser.add_argument("--weight-tolerance-g", type=int, default=0)
        parser.add_argument("--fee-tolerance-fen", type=int, default=0)
        parser.add_argument("--name", default="")

    def handle(self, *args, **o):
        if o["weight_tolerance_g"] < 0 or o["fee_tolerance_fen"] < 0 or o["volumetric_divisor"] < 0:
            raise CommandError("tolerances and the divisor cannot be negative")
        try:
            fh = open(o["file"], "rb")
        except OSError as exc:
            raise CommandError(f"cannot open {o['file']}: {exc.strerror}") from exc
        with fh:
            card = rate_card_import(
                file=fh, filename=o["file"], courier=courier_get(code=o["courier"]),
                effective_from=parse_date(o["effective_from"]),
                effective_to=parse_date(o["effective_to"]) if o["effective_to"] else None,
                volumetric_divisor=o["volumetric_divisor"] or None, weight_tolerance_g=o["weight_tolerance_g"],
                fee_tolerance_fen=o["fee_tolerance_fen"], name=o["name"],
            )
        provinces = card.zones.count()
        self.stdout.write(f"rate card #{card.id} for {card.courier.code}: {provinces} provinces, {card.bands.count()} bands")
