"""What operations staff do in a real browser: take the demo's discrepancies from open to recovered.

The bill is the demo's, with known injected errors, reconciled through the real services. In the browser an ops
user filters the queue, assigns rows to herself, disputes the courier's claims, downloads the dispute file,
imports the courier's reply made from that very file, and writes off what is left; a manager closes the period,
after which the pages offer no action and a change is refused; the audit trail shows each step and who took it.
"""
from __future__ import annotations

import html
import re
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest
from django.utils import translation

from couriers.demo_data import generate, write_messy_csv

from .conftest import screenshot

# The flush after each test empties the couriers the data migration made; serialized_rollback puts them back.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DISPUTE_PAGE = re.compile(r"/disputes/(\d+)/$")
COVER_SHEET, TOTAL_LABEL = "汇总", "合计"


# --------------------------------------------------------------------------- data


@pytest.fixture
def october(demo_rate_card, zto, no_enqueue, tmp_path, settings):
    """October's ZTO bill with errors of every type injected, reconciled by the services as the worker would."""
    from recon.kinds import information_types
    from recon.core.models import Discrepancy
    from tests.couriers.test_bill_reconciliation import load_shipments, submit_and_run

    settings.MEDIA_ROOT = tmp_path / "media"  # dispute files and replies stay out of var/
    data = generate(300, seed=23, error_rate=0.16)
    load_shipments(data)
    path = tmp_path / "中通2026年10月对账单.csv"
    write_messy_csv(data.bill, path, encoding="gbk")
    run = submit_and_run(path, zto)
    assert run.status == "succeeded", run.error
    rows = Discrepancy.objects.filter(run=run)
    claims = {t: e for t, e in data.expected.items() if t not in information_types() and e["count"]}
    assert len(claims) >= 5 and data.expected["weight_overcharge"]["count"] >= 2  # several types, two rows to assign
    assert {d.period_id for d in rows} != {None} and len({d.period_id for d in rows}) == 1
    return SimpleNamespace(data=data, run=run, claims=claims, period=rows.first().period)


@pytest.fixture
def people(django_user_model):
    from tests.factories import UserFactory

    return SimpleNamespace(
        ops=UserFactory(username="olivia", role="ops", first_name="Olivia"),
        manager=UserFactory(username="mei", role="manager", first_name="Mei"),
    )


# --------------------------------------------------------------------------- reading the pages


def fen(text: str) -> int:
    """'¥1234.50', '1,234.50' or a spreadsheet number as whole fen, exactly."""
    return int(Decimal(str(text).strip().lstrip("¥￥").replace(",", "")) * 100)


def queue_rows(page) -> list[dict]:
    """The queue's rows as the page shows them: id (from the tick box), waybill, type, status, money, assignee."""
    with translation.override("zh-hans"):
        assignee, at_stake = translation.gettext("Assignee"), translation.gettext("At stake")
    return page.eval_on_selector("table.data.queue", """(table, [assignee, atStake]) => {
        const heads = [...table.querySelectorAll('thead th')].map((th) => th.innerText.trim());
        const col = (name) => heads.indexOf(name);
        const cls = (el, prefix) => el ? ([...el.classList].find((c) => c.startsWith(prefix)) || '').slice(prefix.length) : null;
        return [...table.querySelectorAll('tbody tr')].filter((tr) => !tr.querySelector('td.empty')).map((tr) => {
            const cells = [...tr.children];
            return {
                id: Number((tr.querySelector('input.tick') || {}).value),
                waybill: tr.querySelector('a[href^="/discrepancies/"]').innerText.trim(),
                type: cls(tr.querySelector('.tag[class*=" t-"]'), 't-'),
                status: cls(tr.querySelector('.tag[class*=" st-"]'), 'st-'),
                at_stake: cells[col(atStake)].innerText.trim(),
                assignee: cells[col(assignee)].innerText.trim(),
            };
        });
    }""", [assignee, at_stake])


def totals(page) -> dict[str, int]:
    """The queue's money panel (loaded by fetch after the list), in fen, with the row count."""
    panel = page.locator("#queue-totals [data-testid=totals]")
    panel.wait_for()
    out = {key: fen(panel.locator(f"[data-testid=total-{key}]").inner_text())
           for key in ("at-stake", "open", "disputed", "recovered", "accepted", "written-off")}
    out["count"] = int(panel.locator("[data-testid=total-count]").get_attribute("data-count"))
    return out


def filter_queue(page, *, types=(), statuses=(), courier: str | None = None, period: int | None = None) -> None:
    """Set the filter bar to exactly these values and submit it."""
    bar = page.locator("form.filterbar")
    for box in bar.locator("input[name=type], input[name=status]").all():
        box.uncheck()
    for t in types:
        bar.locator(f"input[name=type][value={t}]").check()
    for s in statuses:
        bar.locator(f"input[name=status][value={s}]").check()
    bar.locator("select[name=courier]").select_option(courier or "")
    bar.locator("select[name=period]").select_option(str(period) if period else "")
    with page.expect_navigation():
        bar.locator("button[type=submit]").click()


def bulk_apply(page) -> None:
    with page.expect_navigation():
        page.locator("[data-testid=bulkbar] button[type=submit]").click()


def history(page) -> list[dict]:
    """An audit table's rows, oldest first: action code and who."""
    rows = page.eval_on_selector("[data-testid=history]", """(table) => [...table.querySelectorAll('tbody tr')].map((tr) => {
        const tag = tr.querySelector('.tag');
        return { action: [...tag.classList].find((c) => c.startsWith('a-')).slice(2), who: tr.children[1].innerText.trim(),
                 note: tr.querySelector('[data-col=note]').innerText.trim() };
    })""")
    return rows[::-1]


def log_in(page, user) -> None:
    page.goto("/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", user.username)
    page.fill("#id_password", f"{user.username}-pass-123")
    page.locator("form.stack button[type=submit]").click()  # the first submit on the page is the language switch
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    assert page.locator(".username").inner_text() == user.first_name


def second_person(browser, live_server):
    """Another person's browser on the same server (own cookies), set up like the `page` fixture."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.js_errors = []
    tab.on("pageerror", lambda exc: tab.js_errors.append(str(exc)))
    return context, tab


def read_cover(path) -> tuple[dict[str, tuple[int, int]], tuple[int, int]]:
    """The dispute file's cover sheet: {type label: (count, fen)} and the 合计 row."""
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == COVER_SHEET
    rows = list(book[COVER_SHEET].iter_rows(values_only=True))
    top = next(i for i, r in enumerate(rows) if list(r[:3]) == ["差异类型", "笔数", "差额合计"])
    by_label, total = {}, None
    for label, count, amount in (r[:3] for r in rows[top + 1:]):
        if label == TOTAL_LABEL:
            total = (count, fen(amount))
            break
        by_label[label] = (count, fen(amount))
    return by_label, total


# --------------------------------------------------------------------------- the day of operations


def test_ops_takes_the_demo_discrepancies_from_open_to_recovered_and_the_period_is_closed(
    page, browser, live_server, october, people, tmp_path,
):
    from recon.core.errors import UserFacingError
    from recon.kinds import type_choices
    from recon.periods.services import period_check_open

    with translation.override("zh-hans"):
        zh_type = {value: str(label) for value, label in type_choices()}
    claim_fen = sum(e["amount_fen"] for e in october.claims.values())
    ops, manager, period = people.ops, people.manager, october.period

    # ---- Olivia filters the queue to the weight overcharges and takes two of them.
    log_in(page, ops)
    page.locator("nav.mainnav a[href='/discrepancies/']").click()
    page.wait_for_url("**/discrepancies/")
    filter_queue(page, types=["weight_overcharge"])
    assert "type=weight_overcharge" in page.url
    rows = queue_rows(page)
    assert len(rows) == october.data.expected["weight_overcharge"]["count"]
    assert {r["type"] for r in rows} == {"weight_overcharge"} and {r["status"] for r in rows} == {"open"}
    assert {r["assignee"] for r in rows} == {""}
    assert totals(page)["at-stake"] == october.data.expected["weight_overcharge"]["amount_fen"]
    mine = rows[:2]  # the biggest two
    for r in mine:
        page.locator(f"input.tick[value='{r['id']}']").check()
    assert page.locator("#ticked-count").inner_text() == "2"
    page.locator("[data-testid=bulkbar] select[name=action]").select_option("assign")
    page.locator("[data-testid=bulkbar] select[name=assignee]").select_option("me")
    bulk_apply(page)
    assert "type=weight_overcharge" in page.url  # back on the same filter
    assert page.locator(".msg-success").count() == 1
    assigned = {r["id"]: r["assignee"] for r in queue_rows(page)}
    assert {i: assigned[i] for i in (mine[0]["id"], mine[1]["id"])} == dict.fromkeys((mine[0]["id"], mine[1]["id"]), ops.username)
    assert sum(1 for a in assigned.values() if a) == 2
    screenshot(page, "ops-assigned-to-me")

    # ---- The courier's claims: a dispute from the queue's filter, checked against what was injected.
    filter_queue(page, courier="ZTO")
    assert "courier=ZTO" in page.url
    before = totals(page)
    assert before["open"] == claim_fen and before["disputed"] == 0  # nothing worked yet, to the fen
    page.locator("a.btn[href^='/disputes/new/']").click()
    page.wait_for_url(re.compile(r"/disputes/new/\?.*courier=ZTO"))
    assert page.locator("[data-testid=problem]").count() == 0
    proposed = page.locator("[data-testid=by-type] tfoot th")
    assert fen(proposed.nth(2).inner_text()) == claim_fen
    screenshot(page, "ops-dispute-new")
    with page.expect_navigation():
        page.locator("form[action='/disputes/new/'] button[type=submit]").click()
    dispute_id = int(DISPUTE_PAGE.search(page.url).group(1))
    assert page.locator(".msg-success").count() == 1
    claimed = fen(page.locator(".cards .stat.accent .value").inner_text())
    assert claimed == claim_fen
    by_type = page.eval_on_selector("[data-testid=by-type]", """(t) => [...t.querySelectorAll('tbody tr')].map((tr) => [
        [...tr.querySelector('.tag').classList].find((c) => c.startsWith('t-')).slice(2),
        Number(tr.children[1].innerText), tr.children[2].innerText.trim()])""")
    page_by_type = {t: (n, fen(amount)) for t, n, amount in by_type}
    assert set(page_by_type) == set(october.claims)
    assert sum(amount for _n, amount in page_by_type.values()) == claimed

    # The file for the courier: its cover sheet says what the page says, type by type, to the fen.
    with page.expect_download() as download:
        page.locator(f"a[href='/disputes/{dispute_id}/file/']").click()
    dispute_file = tmp_path / download.value.suggested_filename
    download.value.save_as(dispute_file)
    assert re.fullmatch(r"ZTO-\d{8}-001\.xlsx", dispute_file.name)
    cover, cover_total = read_cover(dispute_file)
    assert cover == {zh_type[t]: v for t, v in page_by_type.items()}
    assert cover_total == (sum(n for n, _a in page_by_type.values()), claimed)
    screenshot(page, "ops-dispute-sent")

    # ---- The courier answers on our own file: the first of Olivia's rows credited in full, the second refused.
    book = openpyxl.load_workbook(dispute_file)
    sheet = book[zh_type["weight_overcharge"]]
    header = [c.value for c in sheet[1]]
    waybill_col, claim_col = header.index("运单号"), header.index("差额")
    credited_col, note_col = header.index("确认退款金额") + 1, header.index("回复说明") + 1
    found = {}
    for row in sheet.iter_rows(min_row=2):
        if row[waybill_col].value in (mine[0]["waybill"], mine[1]["waybill"]):
            found[row[waybill_col].value] = row
    full = found[mine[0]["waybill"]][claim_col].value
    sheet.cell(found[mine[0]["waybill"]][0].row, credited_col, full)
    sheet.cell(found[mine[0]["waybill"]][0].row, note_col, "同意退还")
    sheet.cell(found[mine[1]["waybill"]][0].row, credited_col, 0)
    sheet.cell(found[mine[1]["waybill"]][0].row, note_col, "按实际称重计费")
    reply = tmp_path / "中通回复.xlsx"
    book.save(reply)
    recovered_fen = fen(full)
    assert recovered_fen == fen(mine[0]["at_stake"])

    reply_form = page.locator(f"form[action='/disputes/{dispute_id}/reply/']")
    reply_form.locator("input[type=file][name=file]").set_input_files(reply)
    reply_form.locator("input[name=refused_to][value=queue]").check()
    with page.expect_navigation():
        reply_form.locator("button[type=submit]").click()
    assert DISPUTE_PAGE.search(page.url).group(1) == str(dispute_id)
    assert page.locator(".msg-success").count() == 1, page.locator(".msg, [data-testid=answer-errors]").all_inner_texts()
    items = int(page.locator(".cards .stat .value").first.inner_text())
    with translation.override("zh-hans"):
        # Every other item was left blank; the sheets' 合计 rows are not items left unanswered.
        blank = translation.gettext("%(n)d rows had no amount and were left unanswered.") % {"n": items - 2}
    assert blank in page.locator(".msg-success").inner_text()
    assert page.locator("[data-testid=reply-name]").inner_text() == reply.name
    assert fen(page.locator(".cards .stat .value.ok").inner_text()) == recovered_fen
    screenshot(page, "ops-reply-imported")

    # The discrepancies' own pages: one recovered with the exact amount, the refused one open again.
    page.locator(f"a[href='/discrepancies/{mine[0]['id']}/']").first.click()
    page.wait_for_url(f"**/discrepancies/{mine[0]['id']}/")
    assert "st-resolved" in page.locator("[data-testid=status]").get_attribute("class")
    assert fen(page.locator("dl.meta strong.money.ok").inner_text()) == recovered_fen
    assert page.locator(f"dl.meta a[href='/disputes/{dispute_id}/']").count() == 1
    screenshot(page, "ops-recovered-discrepancy")
    page.go_back()
    page.locator(f"a[href='/discrepancies/{mine[1]['id']}/']").first.click()
    page.wait_for_url(f"**/discrepancies/{mine[1]['id']}/")
    assert "st-open" in page.locator("[data-testid=status]").get_attribute("class")
    assert page.locator("dl.meta strong.money.ok").count() == 0
    assert page.locator("#work form[action$='/status/']").count() == 1  # workable again

    # Back in the queue: the refused row is open, the recovered one resolved, the rest still with the courier.
    page.go_back()
    page.locator(f"a[href='/discrepancies/?dispute={dispute_id}']").click()
    page.wait_for_url(f"**/discrepancies/?dispute={dispute_id}")
    status_of = {r["id"]: r["status"] for r in queue_rows(page)}
    assert status_of[mine[0]["id"]] == "resolved" and status_of[mine[1]["id"]] == "open"
    assert set(status_of.values()) == {"resolved", "open", "disputed"}
    after = totals(page)
    assert after["recovered"] == recovered_fen and after["disputed"] == claim_fen - fen(mine[0]["at_stake"]) - fen(mine[1]["at_stake"])

    # ---- The manager cannot close the period while claims are unresolved.
    manager_context, boss = second_person(browser, live_server)
    try:
        log_in(boss, manager)
        boss.locator("nav.mainnav a[href='/periods/']").click()
        boss.locator(f"a[href='/periods/{period.id}/']").first.click()
        boss.wait_for_url(f"**/periods/{period.id}/")
        boss.on("dialog", lambda dialog: dialog.accept())  # the close form asks to confirm, should a script ask
        with boss.expect_navigation():
            boss.locator(f"form[action='/periods/{period.id}/close/'] button[type=submit]").click()
        assert boss.locator(".msg-error").count() == 1
        assert boss.locator(".tag.ps-open").count() == 1

        # ---- Olivia writes off every remaining claim of the period in one go, on the filter.
        page.locator("nav.mainnav a[href='/discrepancies/']").click()
        page.wait_for_url("**/discrepancies/")
        filter_queue(page, types=sorted(october.claims), statuses=["open", "investigating", "disputed"], period=period.id)
        remaining = totals(page)
        assert remaining["count"] == len(queue_rows(page)) > 0
        assert remaining["open"] + remaining["disputed"] == claim_fen - recovered_fen
        page.locator("[data-testid=bulkbar] input[name=scope][value=filter]").check()
        page.locator("[data-testid=bulkbar] select[name=action]").select_option("status")
        page.locator("[data-testid=bulkbar] select[name=status]").select_option("resolved")
        page.locator("[data-testid=bulkbar] select[name=outcome]").select_option("written_off")
        page.locator("[data-testid=bulkbar] input[name=reason]").fill("金额小于追讨成本，核销")
        page.once("dialog", lambda dialog: dialog.accept())  # "apply to every row matching the filter?"
        bulk_apply(page)
        assert page.locator(".msg-success").count() == 1, page.locator(".msg").all_inner_texts()
        assert queue_rows(page) == []
        assert totals(page)["count"] == 0
        screenshot(page, "ops-written-off")

        # ---- Now the manager closes the period.
        boss.reload()
        with boss.expect_navigation():
            boss.locator(f"form[action='/periods/{period.id}/close/'] button[type=submit]").click()
        assert boss.locator(".msg-success").count() == 1, boss.locator(".msg").all_inner_texts()
        assert boss.locator(".tag.ps-closed").count() == 1
        assert boss.locator(f"form[action='/periods/{period.id}/close/']").count() == 0
        money = boss.locator("[data-testid=period-totals] dd")
        assert fen(money.nth(1).inner_text()) == 0 and fen(money.nth(2).inner_text()) == 0  # still open, disputed
        assert fen(money.nth(3).inner_text()) == recovered_fen
        assert [(e["action"], e["who"]) for e in history(boss)] == [("close", manager.username)]
        screenshot(boss, "manager-period-closed")

        # ---- Olivia's pages offer no action any more, and a change sent anyway is refused.
        page.goto(f"/discrepancies/{mine[0]['id']}/")
        assert page.locator("#work").count() == 0
        assert page.locator("form[action$='/comments/'], form[action$='/attachments/'], form[action$='/status/']").count() == 0
        assert page.locator(".msg-info").count() == 1
        screenshot(page, "ops-locked-discrepancy")
        token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
        refused = page.request.post(
            f"/discrepancies/{mine[0]['id']}/comments/",
            form={"csrfmiddlewaretoken": token, "text": "快递已补差价"},
            headers={"X-CSRFToken": token, "Referer": page.url},
        )
        assert refused.status == 409
        with translation.override("zh-hans"), pytest.raises(UserFacingError) as closed:
            period_check_open(period.__class__.objects.select_related("counterparty").get(pk=period.pk))
        assert closed.value.code == "period_closed"
        assert closed.value.message in html.unescape(refused.text())
        page.reload()
        assert page.locator("#comments .comment").count() == 0  # nothing was added

        # ---- The audit trail, as the manager: every step on both of Olivia's rows, and who took it.
        boss.locator("nav.mainnav a[href='/audit/']").click()
        boss.wait_for_url("**/audit/")
        trail = boss.locator("form.filterbar")
        trail.locator("select[name=object_type]").select_option("discrepancy")
        trail.locator("input[name=object_id]").fill(str(mine[0]["id"]))
        with boss.expect_navigation():
            trail.locator("button[type=submit]").click()
        assert "object_type=discrepancy" in boss.url and f"object_id={mine[0]['id']}" in boss.url
        steps = history(boss)
        assert [(e["action"], e["who"]) for e in steps] == [
            ("assign", ops.username), ("dispute", ops.username), ("resolve", ops.username)]
        assert steps[1]["note"] == steps[2]["note"] == dispute_file.stem  # the dispute number
        screenshot(boss, "manager-audit-trail")
        boss.goto(f"/audit/?object_type=discrepancy&object_id={mine[1]['id']}")
        assert [(e["action"], e["who"]) for e in history(boss)] == [
            ("assign", ops.username), ("dispute", ops.username), ("status", ops.username), ("resolve", ops.username)]
        assert boss.js_errors == []
    finally:
        manager_context.close()
    assert page.js_errors == []
