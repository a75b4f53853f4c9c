"""Couriers, rate cards with their bands and zones, bills and bill lines."""
from datetime import date
from decimal import Decimal

import factory

OCT_START, OCT_END = date(2026, 10, 1), date(2026, 10, 31)


class CourierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "couriers.Courier"
        # The migrations seed the real couriers (ZTO, YTO, …): asking for one of those returns it.
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.LazyAttribute(lambda o: f"{o.code}快递")


class RateCardFactory(factory.django.DjangoModelFactory):
    """A card with `bands=[(province, upper_g, "price"), …]` and `zones=[(province, step_g, "step price" or None), …]`."""

    class Meta:
        model = "couriers.RateCard"
        skip_postgeneration_save = True

    courier = factory.SubFactory(CourierFactory)
    name = factory.LazyAttribute(lambda o: f"{o.courier.code} 2026")
    effective_from = date(2026, 1, 1)

    @factory.post_generation
    def bands(self, create, extracted, **kwargs):
        from couriers.models import RateCardBand

        for province, upper_g, price in extracted or ():
            RateCardBand.objects.create(rate_card=self, province=province, upper_g=upper_g, price=Decimal(price))

    @factory.post_generation
    def zones(self, create, extracted, **kwargs):
        from couriers.models import RateCardZone

        for province, step_g, step_price in extracted or ():
            RateCardZone.objects.create(
                rate_card=self, province=province, step_g=step_g, step_price=None if step_price is None else Decimal(step_price),
            )


class CourierBillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "couriers.CourierBill"

    courier = factory.SubFactory(CourierFactory)
    period_start = OCT_START
    period_end = OCT_END
    period = factory.LazyAttribute(lambda o: _period(o.courier, o.period_start, o.period_end))
    file = "bills/2026/10/x.csv"
    original_filename = factory.Sequence(lambda n: f"账单{n}.csv")
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    size_bytes = 2048


class CourierBillLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "couriers.CourierBillLine"

    bill = factory.SubFactory(CourierBillFactory)
    line_no = factory.Sequence(lambda n: n + 1)
    row_no = factory.LazyAttribute(lambda o: o.line_no + 1)
    waybill_no = factory.Sequence(lambda n: f"ZT{n + 1:08d}")
    billed_fee = Decimal("3.50")


def _period(courier, start, end):
    from recon.periods.services import period_get_or_create

    return period_get_or_create(counterparty=courier.counterparty, start=start, end=end)
