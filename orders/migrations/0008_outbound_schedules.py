"""The outbound kind's schedules, kept in beat's database where a manager edits them (admin, 周期任务): the morning run
over yesterday at 06:00 local time, and the sweep of waybills whose pickup grace has just ended every 10 minutes.

Written once here rather than in CELERY_BEAT_SCHEDULE, which beat writes back at each start and would undo an edit."""
from django.conf import settings
from django.db import migrations

DAILY, SWEEP = "outbound-daily", "outbound-grace-sweep"


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    morning, _ = CrontabSchedule.objects.get_or_create(minute="0", hour="6", day_of_week="*", day_of_month="*",
                                                       month_of_year="*", timezone=settings.TIME_ZONE)
    every, _ = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    PeriodicTask.objects.get_or_create(name=DAILY, defaults={
        "task": "orders.tasks.outbound_daily_run", "crontab": morning,
        "description": "出库/发货对账：每天早上对前一天的订单、出库和揽收对账"})
    PeriodicTask.objects.get_or_create(name=SWEEP, defaults={
        "task": "orders.tasks.outbound_grace_sweep", "interval": every,
        "description": "揽收宽限刚结束的运单：已出库未揽收、有揽收无出库"})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=[DAILY, SWEEP]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0007_outbound_permissions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
