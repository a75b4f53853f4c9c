"""The upload page without JavaScript: what the server refuses it says on the page, with the box to tick."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from recon.core.models import ReconRun

pytestmark = pytest.mark.django_db

HEADER = "运单号,揽收时间,目的省份,计费重量(kg),运费(元)"
MESSAGE = "此文件中大部分揽收日期（已读取 20 个中的 20 个）不在 2026-10 内：它们在 2026-11。请更正账期，或勾选“账期无误”后仍然上传。"


def november_bill(n: int) -> bytes:
    lines = [HEADER] + [f"ZT{i + 1:010d},2026-11-{i % 28 + 1:02d} 09:30,浙江省,0.5,3.00" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def clerk(client, finance_user, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    client.force_login(finance_user)
    return client


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def tag(html: str, pattern: str) -> str:
    """The one opening tag that matches pattern (a regex inside the tag)."""
    found = re.findall(r"<[^>]*" + pattern + r"[^>]*>", html)
    assert len(found) == 1, found
    return found[0]


def test_the_page_carries_what_its_script_needs(clerk):
    html = html_of(clerk.get(reverse("bill-upload")))
    form = tag(html, 'id="upload-form"')
    assert reverse("bill-inspect") == "/bills/inspect/"
    for attribute in ('data-inspect-url="/bills/inspect/"', 'data-from-title="根据文件标题推荐"', 'data-from-dates="根据揽收日期推荐"',
                      'data-not-in-file="— 此文件中没有 —"', 'data-please-check="请核对"', 'data-courier-chosen=""',
                      'data-period-chosen=""'):
        assert attribute in form
    assert tag(html, 'name="confirm_columns"') == '<input type="hidden" name="confirm_columns" value="" data-confirm-columns>'
    assert tag(html, "data-period-check") == '<div class="period-check msg msg-warning" data-period-check hidden>'
    assert tag(html, "data-preview ") == '<details class="preview" data-preview hidden>'
    # Courier and period given in the address are the clerk's choice: the file's suggestions do not replace them.
    form = tag(html_of(clerk.get(reverse("bill-upload") + "?courier=ZTO&period=2026-10")), 'id="upload-form"')
    assert 'data-courier-chosen="1"' in form and 'data-period-chosen="1"' in form


def test_without_javascript_a_contradicted_period_is_refused_on_the_page_with_the_box_to_tick(clerk, no_enqueue):
    data = {"courier": "ZTO", "period": "2026-10", "file": SimpleUploadedFile("zto.csv", november_bill(20))}
    html = html_of(clerk.post(reverse("bill-upload"), data))
    assert f'<div class="errors" data-errors-for="period"><p>{MESSAGE}</p></div>' in html
    assert tag(html, "data-period-check") == '<div class="period-check msg msg-warning" data-period-check>'
    assert tag(html, 'name="confirm_period"') == '<input type="checkbox" name="confirm_period" id="id_confirm_period">'
    assert re.search(r'id="id_confirm_period">\s*账期无误，仍然上传</label>', html)
    assert ReconRun.objects.count() == 0

    data = {"courier": "ZTO", "period": "2026-10", "confirm_period": "on", "file": SimpleUploadedFile("zto.csv", november_bill(20))}
    response = clerk.post(reverse("bill-upload"), data)
    run = ReconRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("run-detail", args=[run.pk])
    assert (run.period_start.isoformat(), run.period_end.isoformat()) == ("2026-10-01", "2026-10-31")
    assert Path(run.input_file.path).exists()
