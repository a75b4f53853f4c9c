"""A shipment with a recipient, users of any role (the named role users are in tests/conftest.py), and a media folder of
the test's own."""
from datetime import datetime

import pytest
from django.utils import timezone

from tests.factories import ShipmentFactory, UserFactory

RECIPIENT = {"recipient_name": "张三丰", "recipient_phone": "+86 138 1234 1234", "recipient_address": "广东省深圳市南山区科技园路1号"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads go to the test's own folder, never to the checkout's var/media that other runs read."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def user_in_role(django_user_model):
    return lambda role: UserFactory(username=f"{role}-user", role=role)


@pytest.fixture
def shipment(zto):
    return ShipmentFactory(
        order_no="SO-1", waybill_no="75312345678901", courier=zto, shipped_at=timezone.make_aware(datetime(2026, 10, 3, 10, 0)),
        weight_g=1250, province="广东", city="深圳", **RECIPIENT,
    )
