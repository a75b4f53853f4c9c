"""The shipment list page shows recipients masked unless the user may see personal data."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_ops_sees_the_recipient_column_masked(client, ops_user, shipment):
    client.force_login(ops_user)
    html = client.get(reverse("shipment-list")).content.decode()
    assert "张**" in html and "138****1234" in html and "广东省深圳市****" in html
    assert "张三丰" not in html and "1234 1234" not in html and "科技园" not in html


def test_manager_sees_the_real_recipient(client, manager_user, shipment):
    client.force_login(manager_user)
    html = client.get(reverse("shipment-list")).content.decode()
    assert "张三丰" in html and "+86 138 1234 1234" in html and "广东省深圳市南山区科技园路1号" in html


def test_list_links_to_the_export_with_the_current_filter(client, manager_user, shipment):
    client.force_login(manager_user)
    html = client.get(reverse("shipment-list"), {"courier": "ZTO"}).content.decode()
    assert f"{reverse('shipment-export')}?format=csv&amp;courier=ZTO" in html
