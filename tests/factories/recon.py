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
    """A finished run; of a bill's courier and period when given `courier_bill`, else of ZTO."""

    class Meta:
        model = "recon.ReconRun"

    courier_bill = None
    courier = factory.LazyAttribute(lambda o: o.courier_bill.courier if o.courier_bill else CourierFactory(code="ZTO"))
    period_start = factory.LazyAttribute(lambda o: o.courier_bill.period_start if o.courier_bill else None)
    period_end = factory.LazyAttribute(lambda o: o.courier_bill.period_end if o.courier_bill else None)
    status = "succeeded"
    phase = "done"


class DiscrepancyFactory(factory.django.DjangoModelFactory):
    """A current, open discrepancy of a run; `bill` and `period` follow the run's bill when it has one."""

    class Meta:
        model = "recon.Discrepancy"

    run = factory.SubFactory(ReconRunFactory)
    courier = factory.SelfAttribute("run.courier")
    bill = factory.SelfAttribute("run.courier_bill")
    period = factory.LazyAttribute(lambda o: o.bill.period if o.bill is not None else None)
    type = "rate_overcharge"
    waybill_no = factory.Sequence(lambda n: f"ZT{n + 1:08d}")
    amount_at_stake = Decimal("1.00")
    reason = factory.LazyAttribute(lambda o: f"{o.type} on {o.waybill_no}")


__all__ = ["DiscrepancyFactory", "ReconRunFactory", "UserFactory"]
