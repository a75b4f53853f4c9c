"""configure_platform: a new platform needs a name; a known one changes only in the options given, each change audited."""
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from orders.models import Platform
from orders.selectors import platform_lookup_table
from recon.core.models import AuditEvent, Counterparty

pytestmark = pytest.mark.django_db


def configure(*args) -> str:
    out = io.StringIO()
    call_command("configure_platform", *args, stdout=out)
    return out.getvalue().strip()


def test_a_new_platform_with_its_contract():
    said = configure("xhs", "--name", "小红书", "--fee-rate", "0.055", "--settle-within-days", "7", "--ship-within-hours", "24",
                     "--payer-names", "行吟信息科技（上海）有限公司；财付通支付科技有限公司")
    assert said == ("created XHS 小红书: fee rate 0.055, settled within 7 days, shipped within 24 hours, other names -, "
                    "payer names 行吟信息科技（上海）有限公司; 财付通支付科技有限公司")
    p = Platform.objects.get(code="XHS")
    assert (p.name, p.fee_rate, p.settle_within_days, p.ship_within_hours, p.payer_names, p.aliases) == (
        "小红书", Decimal("0.055000"), 7, 24, ["行吟信息科技（上海）有限公司", "财付通支付科技有限公司"], [])
    assert Counterparty.objects.get(pk=p.counterparty_id).code == "XHS"
    event = AuditEvent.objects.get(object_type="platform", object_id=p.pk)
    assert (event.action, event.note, event.changes["fee_rate"], event.changes["name"]) == (
        "create", "configure_platform", [None, "0.055"], [None, "小红书"])


def test_a_known_platform_changes_only_in_the_options_given():
    before = Platform.objects.get(code="TMALL")
    configure("TMALL", "--fee-rate", "5%")
    p = Platform.objects.get(code="TMALL")
    assert (p.name, p.fee_rate, p.settle_within_days, p.ship_within_hours, p.payer_names, p.aliases) == (
        before.name, Decimal("0.050000"), before.settle_within_days, before.ship_within_hours, before.payer_names, before.aliases)
    event = AuditEvent.objects.get(object_type="platform", object_id=p.pk)
    assert (event.action, event.changes) == ("change", {"fee_rate": [format(before.fee_rate.normalize(), "f"), "0.05"]})
    configure("tmall", "--fee-rate", "0.05")
    assert AuditEvent.objects.filter(object_type="platform").count() == 1  # nothing changed: nothing recorded


def test_a_name_given_to_a_known_platform_becomes_one_of_its_names():
    configure("TMALL", "--name", "天猫商城")
    p = Platform.objects.get(code="TMALL")
    assert (p.name, p.aliases[-1]) == ("天猫", "天猫商城")
    assert platform_lookup_table()["天猫商城"] == p.pk
    aliases = list(p.aliases)
    configure("TMALL", "--name", "天猫商城")
    configure("TMALL", "--name", "天猫")
    assert Platform.objects.get(code="TMALL").aliases == aliases


@pytest.mark.parametrize("args, message", [
    (["NEWONE", "--fee-rate", "0.05"], "platform_name_required: 平台 NEWONE 是新平台：请用 --name 给出其中文名称。"),
    (["TMALL", "--fee-rate", "1"], "fee_rate_invalid: 费率“1”不是 0（含）到 1（不含）之间、最多 6 位小数的小数，例如 0.05 或 5%。"),
    (["TMALL", "--fee-rate", "-0.01"], "fee_rate_invalid: 费率“-0.01”不是 0（含）到 1（不含）之间、最多 6 位小数的小数，例如 0.05 或 5%。"),
    (["TMALL", "--fee-rate", "0.0000001"],
     "fee_rate_invalid: 费率“0.0000001”不是 0（含）到 1（不含）之间、最多 6 位小数的小数，例如 0.05 或 5%。"),
    (["TMALL", "--fee-rate", "五"], "fee_rate_invalid: 费率“五”不是 0（含）到 1（不含）之间、最多 6 位小数的小数，例如 0.05 或 5%。"),
    (["TMALL", "--settle-within-days", "-1"], "platform_option_invalid: --settle-within-days 必须是 0 到 3650 之间的整数，而不是 -1。"),
    (["TM-ALL", "--name", "x"], "platform_code_invalid: 平台代码“TM-ALL”必须是 1 到 16 个字母、数字或下划线，并以字母开头。"),
    (["JD", "--name", "天猫"], "platform_name_taken: “天猫”已是平台 TMALL 的名称。"),
])
def test_errors_change_nothing(args, message):
    before = list(Platform.objects.order_by("code").values())
    with pytest.raises(CommandError) as caught:
        configure(*args)
    assert str(caught.value) == message
    assert list(Platform.objects.order_by("code").values()) == before
    assert not AuditEvent.objects.filter(object_type="platform").exists()
