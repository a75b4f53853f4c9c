"""The outbound page for today (实时监控): it refreshes its counts and findings on its own."""
from django.shortcuts import render

from recon.core.permissions import requires

from .selectors_today import outbound_today


@requires("orders.view_order")
def outbound_today_view(request):
    context = {"today": outbound_today()}
    if request.GET.get("partial"):
        return render(request, "orders/_outbound_today_body.html", context)
    return render(request, "orders/outbound_today.html", context)
