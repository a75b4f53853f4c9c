"""The platforms every shop sells on, with the names their files use; configure_platform sets their contracts."""
from django.db import migrations

PLATFORMS = [
    ("TMALL", "天猫", ["Tmall", "天猫商城"]),
    ("TAOBAO", "淘宝", ["Taobao", "淘宝网"]),
    ("JD", "京东", ["京东商城", "JD.com"]),
    ("PDD", "拼多多", ["Pinduoduo"]),
    ("DOUYIN", "抖音", ["抖店", "抖音小店", "Douyin"]),
    ("KUAISHOU", "快手", ["快手小店", "Kuaishou"]),
    ("WXSHOP", "微信小店", ["视频号小店", "视频号", "WeChat Shop"]),
    ("OWN", "自营", ["官网", "自营商城"]),
]


def add_platforms(apps, schema_editor):
    Counterparty = apps.get_model("recon", "Counterparty")
    Platform = apps.get_model("orders", "Platform")
    for code, name, aliases in PLATFORMS:
        if Platform.objects.filter(code=code).exists():
            continue
        counterparty, _ = Counterparty.objects.get_or_create(kind="shop", code=code, defaults={"name": name})
        Platform.objects.create(code=code, name=name, aliases=aliases, counterparty=counterparty)


def remove_platforms(apps, schema_editor):
    # Plain deletes: the collector of a queryset delete walks every relation of the historical models, which when a
    # test unapplies this migration may come from two renderings of the state and refuse each other.
    Platform = apps.get_model("orders", "Platform")
    Counterparty = apps.get_model("recon", "Counterparty")
    codes = [code for code, _name, _aliases in PLATFORMS]
    gone = list(Platform.objects.filter(code__in=codes, orders__isnull=True).values_list("id", "counterparty_id"))
    if not gone:
        return
    marks = ", ".join(["%s"] * len(gone))
    schema_editor.execute(f"DELETE FROM {Platform._meta.db_table} WHERE id IN ({marks})", [p for p, _c in gone])
    schema_editor.execute(f"DELETE FROM {Counterparty._meta.db_table} WHERE id IN ({marks})", [c for _p, c in gone])


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_platform_order_orderline")]

    operations = [migrations.RunPython(add_platforms, remove_platforms)]
