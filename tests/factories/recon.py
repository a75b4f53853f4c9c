"""Users in a role, runs and discrepancies."""
from decimal import Decimal

import factory

from tests.factories.couriers import CourierFactory


class UserFactory(factory.django.DjangoModelFactory):
    """A user in one of the product's roles (`role="finance"`; groups made by a migration), or in none."""

    class Meta:
        model = "auth.User"
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.LazyAttribute(lambda o: f"{o.username}-pass-123")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # create_user hashes the password, so that a test can log in with it.
        return model_class.objects.create_user(*args, **kwargs)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        from django.contrib.auth.models import Group

        if extracted:
            self.groups.add(Group.objects.get(name=extracted))


class ReconRunFactory(factory.django.DjangoModelFactory):
    """A finished run; of a bill's courier and period when given `courier_bill`, else of ZTO (or of `courier=`)."""

    class Meta:
        model = "recon.ReconRun"

    class Params:
        courier = factory.LazyAttribute(lambda o: o.courier_bill.courier if o.courier_bill else CourierFactory(code="ZTO"))

    kind = "courier_fee"
    courier_bill = None
    counterparty = factory.LazyAttribute(lambda o: o.courier.counterparty)
    period_start = factory.LazyAttribute(lambda o: o.courier_bill.period_start if o.courier_bill else None)
    period_end = factory.LazyAttribute(lambda o: o.courier_bill.period_end if o.courier_bill else None)
    status = "succeeded"
    phase = "done"


def _is_claim(o) -> bool:
    from recon.kinds import information_types

    return o.type not in information_types() and Decimal(o.amount_at_stake) > 0


class DiscrepancyFactory(factory.django.DjangoModelFactory):
    """A current, open courier-fee discrepancy of a run; `source` and `period` follow the run's bill when it has one.

    Takes the courier-fee names (waybill_no, line_no, billed_fee, expected_fee, weights, provinces) and writes them
    where the run writes them: the generic columns and the row's details.
    """

    class Meta:
        model = "recon.Discrepancy"

    class Params:
        waybill_no = factory.Sequence(lambda n: f"ZT{n + 1:08d}")
        line_no = None
        billed_fee = None
        expected_fee = None
        billed_weight_g = None
        expected_weight_g = None
        billed_province = ""
        expected_province = ""

    run = factory.SubFactory(ReconRunFactory)
    kind = factory.SelfAttribute("run.kind")
    counterparty = factory.SelfAttribute("run.counterparty")
    source = factory.SelfAttribute("run.courier_bill")
    period = factory.LazyAttribute(lambda o: o.source.period if o.source is not None else None)
    type = "rate_overcharge"
    ref = factory.SelfAttribute("waybill_no")
    source_line = factory.SelfAttribute("line_no")
    theirs_amount = factory.SelfAttribute("billed_fee")
    ours_amount = factory.SelfAttribute("expected_fee")
    amount_at_stake = Decimal("1.00")
    is_claim = factory.LazyAttribute(_is_claim)
    carry_key = factory.LazyAttribute(lambda o: f"{o.type}|{o.ref}|{o.source_line or 0}")
    details = factory.LazyAttribute(lambda o: {
        "billed_weight_g": o.billed_weight_g, "expected_weight_g": o.expected_weight_g,
        "billed_province": o.billed_province, "expected_province": o.expected_province,
    })
    reason = factory.LazyAttribute(lambda o: f"{o.type} on {o.ref}")


__all__ = ["DiscrepancyFactory", "ReconRunFactory", "UserFactory"]
