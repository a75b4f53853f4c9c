"""The standard couriers exist after migrate; more are added in the admin."""
from django.db import migrations

STANDARD = [
    ("ZTO", "中通", "ZTO Express", ["中通快递", "中通速递"]),
    ("YTO", "圆通", "YTO Express", ["圆通快递", "圆通速递"]),
    ("STO", "申通", "STO Express", ["申通快递"]),
    ("YUNDA", "韵达", "Yunda Express", ["韵达快递", "韵达速递", "YD"]),
    ("SF", "顺丰", "SF Express", ["顺丰速运", "顺丰快递"]),
    ("JD", "京东", "JD Logistics", ["京东物流", "京东快递"]),
    ("JT", "极兔", "J&T Express", ["极兔速递", "极兔快递", "J&T"]),
    ("EMS", "邮政", "China Post EMS", ["中国邮政", "邮政快递", "邮政EMS", "EMS快递"]),
    ("DBL", "德邦", "Deppon", ["德邦快递", "德邦物流", "DEPPON"]),
]


def create(apps, schema_editor):
    Courier = apps.get_model("couriers", "Courier")
    for code, name, name_en, aliases in STANDARD:
        Courier.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en, "aliases": aliases})


def remove(apps, schema_editor):
    apps.get_model("couriers", "Courier").objects.filter(code__in=[c[0] for c in STANDARD], bills__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("couriers", "0002_initial")]
    operations = [migrations.RunPython(create, remove)]
