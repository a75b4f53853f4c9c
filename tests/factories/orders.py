"""Our shipments."""
from datetime import datetime

import factory
from django.utils import timezone

from tests.factories.couriers import CourierFactory


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "orders.Shipment"

    courier = factory.SubFactory(CourierFactory, code="ZTO")
    waybill_no = factory.Sequence(lambda n: f"7531{n:010d}")
    order_no = factory.Sequence(lambda n: f"SO-{n + 1}")
    shipped_at = factory.LazyFunction(lambda: timezone.make_aware(datetime(2026, 10, 3, 10, 0)))
    weight_g = 1000
    province = "广东"
