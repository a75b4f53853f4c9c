"""The alerts' and the report emails' schedules, kept in beat's database where a manager edits them (admin, 周期任务),
and the managers' permissions on alert rules and the monthly review.

Written once here rather than in CELERY_BEAT_SCHEDULE, which beat writes back at each start and would undo an edit."""
from django.conf import settings
from django.db import migrations

SCHEDULES = {
    # name: (task, crontab (minute, hour, day of week, day of month) or interval minutes, kwargs, description)
    "reports-receivables-ageing": ("reports.alerts_check_receivables", ("30", "1", "*", "*"), None, "{}",
                                   "预警：每晚检查应收账龄"),
    "reports-expected-files": ("reports.alerts_check_expected_files", None, 15, "{}",
                               "预警：每 15 分钟检查应到文件是否按时到达"),
    "reports-dispute-reminders": ("reports.alerts_check_disputes", ("0", "9", "*", "*"), None, "{}",
                                  "预警：提醒长期未回复的争议单"),
    "reports-email-weekly": ("reports.reports_email_scheduled", ("0", "8", "1", "*"), None, '{"cadence": "weekly"}',
                             "每周一早上向订阅的经理发送期间报表（Excel 和 PDF）"),
    "reports-email-monthly": ("reports.reports_email_scheduled", ("0", "8", "*", "1"), None, '{"cadence": "monthly"}',
                              "每月 1 日早上向订阅的经理发送上月期间报表（Excel 和 PDF）"),
}
MANAGER_PERMS = (
    ("alertrule", "add_alertrule"), ("alertrule", "change_alertrule"), ("alertrule", "view_alertrule"),
    ("alert", "view_alert"), ("reviewsignoff", "view_reviewsignoff"), ("reviewsignoff", "sign_off_review"),
)


def create(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (task, crontab, minutes, kwargs, description) in SCHEDULES.items():
        schedule = {}
        if crontab:
            minute, hour, day_of_week, day_of_month = crontab
            schedule["crontab"], _ = CrontabSchedule.objects.get_or_create(
                minute=minute, hour=hour, day_of_week=day_of_week, day_of_month=day_of_month, month_of_year="*",
                timezone=settings.TIME_ZONE)
        else:
            schedule["interval"], _ = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "kwargs": kwargs, "description": description,
                                                                **schedule})


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("reports")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = [Permission.objects.get(content_type__app_label="reports", content_type__model=model, codename=codename)
             for model, codename in MANAGER_PERMS]
    for group in Group.objects.filter(name="manager"):
        group.permissions.add(*perms)


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=list(SCHEDULES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0005_alerts"),
        ("recon", "0003_roles_audit_backfill"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove), migrations.RunPython(grant, migrations.RunPython.noop)]
