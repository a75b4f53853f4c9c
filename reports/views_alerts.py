"""Browser pages of alerts: the rules (list, create, edit, deactivate) and the user's notifications (the bell's list)."""
from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from recon.core.permissions import requires
from recon.web.views import paginate

from .alerts_forms import AlertRuleForm
from .alerts_models import AlertRule
from .alerts_rules import alert_rule_create, alert_rule_deactivate, alert_rule_parameters, alert_rule_update, role_label
from .notifications import notification_list, notification_mark_all_read, notification_mark_read


@requires("reports.view_alertrule")
def alert_rule_list(request):
    rules = list(AlertRule.objects.select_related("counterparty", "role").prefetch_related("subscribers")
                 .order_by("-active", "name", "id"))
    for rule in rules:
        rule.parameters = alert_rule_parameters(rule=rule)
        rule.role_label = role_label(rule.role.name) if rule.role_id else ""
    return render(request, "reports/alerts_rules.html", {"rules": rules})


@requires("reports.add_alertrule")
def alert_rule_new(request):
    form = AlertRuleForm(request.POST or None, initial={"active": True})
    if request.method == "POST" and form.is_valid():
        rule = alert_rule_create(data=form.rule_values(), subscribers=form.cleaned_data["subscribers"], user=request.user)
        messages.success(request, _("Rule “%(name)s” saved.") % {"name": rule.name})
        return redirect("alert-rule-list")
    return render(request, "reports/alerts_rule_form.html", {"form": form, "rule": None})


@requires("reports.change_alertrule")
def alert_rule_edit(request, pk: int):
    rule = get_object_or_404(AlertRule, pk=pk)
    form = AlertRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        # The bound form has written the posted values on `rule` already: the service compares against the stored row.
        alert_rule_update(rule=AlertRule.objects.get(pk=pk), data=form.rule_values(), subscribers=form.cleaned_data["subscribers"],
                          user=request.user)
        messages.success(request, _("Rule “%(name)s” saved.") % {"name": rule.name})
        return redirect("alert-rule-list")
    # A ModelForm bound to the instance has already written the posted values on it: show the stored name.
    return render(request, "reports/alerts_rule_form.html", {"form": form, "rule": AlertRule.objects.get(pk=pk)})


@require_POST
@requires("reports.change_alertrule")
def alert_rule_deactivate_view(request, pk: int):
    rule = get_object_or_404(AlertRule, pk=pk)
    alert_rule_deactivate(rule=rule, user=request.user)
    messages.success(request, _("Rule “%(name)s” is no longer checked.") % {"name": rule.name})
    return redirect("alert-rule-list")


@requires()
def notification_list_view(request):
    page = paginate(request, notification_list(user=request.user), 50)
    return render(request, "reports/notifications_list.html", {"page_obj": page, "rows": list(page)})


@require_POST
@requires()
def notification_read_view(request):
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    notification_mark_read(user=request.user, ids=ids)
    return redirect("notification-list")


@require_POST
@requires()
def notification_read_all_view(request):
    count = notification_mark_all_read(user=request.user)
    messages.success(request, _("%(count)s notifications marked read.") % {"count": count})
    return redirect("notification-list")
