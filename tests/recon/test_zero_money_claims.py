"""A discrepancy with nothing at stake is information, not a claim: listed, but it holds no period open and is never disputed."""
from decimal import Decimal

import pytest
from django.urls import reverse

from recon.disputes.services import dispute_selection
from recon.core.errors import UserFacingError
from recon.core.models import Discrepancy, claim_q
from recon.periods.services import period_close
from recon.review.selectors import queue_totals
from recon.web.views import stakes_by_courier
from tests.web.conftest import make_bill, make_discrepancy, make_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def same_band(zto, finance_user):
    """A weight overcharge whose two weights fall in the same ¥3.00 band (¥0 at stake), in a bill of its own."""
    bill = make_bill(zto, finance_user)
    run = make_run(zto, finance_user, bill)
    return make_discrepancy(run, "ZT00000001", "weight_overcharge", "0.00", "3.00", "3.00", line_no=1,
                            billed_weight_g=1200, expected_weight_g=1100)


def add_half_yuan(same_band):
    return make_discrepancy(same_band.run, "ZT00000002", "weight_overcharge", "0.50", "3.50", "3.00", line_no=2)


def test_a_zero_money_weight_overcharge_is_information(same_band):
    assert same_band.is_claim is False
    assert list(Discrepancy.objects.filter(claim_q())) == []


def test_a_zero_money_weight_overcharge_does_not_hold_its_period_open(same_band, manager_user):
    period = same_band.period
    period_close(period=period, user=manager_user)
    period.refresh_from_db()
    assert period.status == "closed"


def test_fifty_fen_at_stake_still_holds_the_period_open(same_band, manager_user):
    add_half_yuan(same_band)
    with pytest.raises(UserFacingError) as err:
        period_close(period=same_band.period, user=manager_user)
    assert err.value.code == "period_has_open_items" and err.value.details == {"open": 1, "amount": "0.50"}


def test_a_zero_money_weight_overcharge_is_not_offered_for_a_dispute(same_band, manager_user):
    selection = dispute_selection(discrepancies=Discrepancy.objects.filter(pk=same_band.pk), user=manager_user)
    assert (selection.count, selection.amount) == (0, Decimal("0.00"))
    assert selection.left_out["no_stake"] == 1


def test_fifty_fen_at_stake_is_offered_for_a_dispute(same_band, manager_user):
    half = add_half_yuan(same_band)
    selection = dispute_selection(discrepancies=Discrepancy.objects.filter(pk__in=[same_band.pk, half.pk]), user=manager_user)
    assert (selection.count, selection.amount) == (1, Decimal("0.50"))
    assert list(selection.eligible.values_list("ref", flat=True)) == ["ZT00000002"]


def test_the_queue_lists_it_marked_as_information(same_band, client, finance_user):
    half = add_half_yuan(same_band)
    client.force_login(finance_user)
    response = client.get(reverse("discrepancy-list"))
    rows = {d.ref: d.informational for d in response.context["rows"]}
    assert rows == {"ZT00000001": True, "ZT00000002": False}
    assert response.content.decode().count('class="informational s-open"') == 1
    page = client.get(reverse("discrepancy-detail", args=[same_band.pk]))
    assert page.context["informational"] is True
    assert client.get(reverse("discrepancy-detail", args=[half.pk])).context["informational"] is False


def test_the_money_panel_and_the_home_page_count_it_as_information(same_band):
    add_half_yuan(same_band)
    make_discrepancy(same_band.run, "ZT00000003", "rate_undercharge", "-0.20", "2.80", "3.00", line_no=3)
    total = queue_totals(Discrepancy.objects.filter(is_current=True))["total"]
    assert (total["count"], total["at_stake"], total["open"], total["informational"]) == (
        3, Decimal("0.50"), Decimal("0.50"), Decimal("-0.20"))
    (zto,) = stakes_by_courier()
    assert (zto["count"], zto["amount"], zto["open"]) == (1, Decimal("0.50"), Decimal("0.50"))
