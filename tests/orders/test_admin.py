"""The admin shows a staff member without orders.view_personal_data the masked recipient, read-only."""
import pytest

pytestmark = pytest.mark.django_db


def test_staff_without_the_permission_sees_the_masked_recipient_and_cannot_change_it(client, finance_user, shipment):
    finance_user.is_staff = True
    finance_user.save()
    client.force_login(finance_user)
    html = client.get(f"/admin/orders/shipment/{shipment.id}/change/").content.decode()
    assert "张** 138****1234 广东省深圳市****" in html
    assert "张三丰" not in html and 'name="recipient_phone"' not in html


def test_manager_edits_the_recipient(client, manager_user, shipment):
    client.force_login(manager_user)
    html = client.get(f"/admin/orders/shipment/{shipment.id}/change/").content.decode()
    assert 'name="recipient_phone"' in html and "+86 138 1234 1234" in html
