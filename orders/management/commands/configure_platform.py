from orders.services import platform_configure
from recon.core.management.base import ServiceCommand


class Command(ServiceCommand):
    help = ("Create a sales platform or change its contract: fee rate, settlement and shipping deadlines, and the names "
            "its payouts arrive under at the bank. Only the options given change.")

    def add_arguments(self, parser):
        parser.add_argument("code", help="the platform's code, e.g. TMALL")
        parser.add_argument("--name", help="its Chinese name (required for a new platform); for a known one, another name files use")
        parser.add_argument("--fee-rate", help="the contracted fee, a fraction of the order's net amount: 0.05 (or 5%%)")
        parser.add_argument("--settle-within-days", type=int, help="days after payment by which the money should be settled")
        parser.add_argument("--ship-within-hours", type=int, help="hours after payment by which the order must ship")
        parser.add_argument("--payer-names", help="names its payouts arrive under at the bank, separated by ';' (replaces the list)")

    def handle(self, *args, **o):
        platform, created = platform_configure(
            code=o["code"], name=o["name"], fee_rate=o["fee_rate"], settle_within_days=o["settle_within_days"],
            ship_within_hours=o["ship_within_hours"], payer_names=o["payer_names"])
        verb = "created" if created else "updated"
        self.stdout.write(
            f"{verb} {platform.code} {platform.name}: fee rate {format(platform.fee_rate.normalize(), 'f')}, "
            f"settled within {platform.settle_within_days} days, shipped within {platform.ship_within_hours} hours, "
            f"other names {'; '.join(platform.aliases) or '-'}, payer names {'; '.join(platform.payer_names) or '-'}")
