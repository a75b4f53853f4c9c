"""PDF reports: a Django template laid out by WeasyPrint, its Chinese set in a CJK font from the system's packages.

The charts are the same SVG the pages show (reports/charts.py); WeasyPrint draws them as vectors. The font is not in
the repository: the setup installs a Debian font package (fonts-wqy-microhei) and Pango finds it through fontconfig.
"""
from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _


class PdfUnavailable(RuntimeError):
    """The machine lacks what PDF reports need (the Pango library, or a font with Chinese glyphs)."""


@lru_cache(maxsize=1)
def cjk_font_families() -> tuple[str, ...]:
    """The font families fontconfig knows with Chinese glyphs (empty when none is installed)."""
    if not shutil.which("fc-list"):
        return ()
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=30).stdout
    return tuple(sorted({name.strip() for line in out.splitlines() for name in line.split(",")[:1] if name.strip()}))


def render_pdf(*, template: str, context: dict) -> bytes:
    """The template rendered with the context and laid out as a PDF (A4, the template's own @page rules)."""
    if not cjk_font_families():
        raise PdfUnavailable(_("PDF reports need a font with Chinese characters: install the package fonts-wqy-microhei."))
    try:
        from weasyprint import HTML
    except OSError as exc:  # the Python package is there but the system's Pango library is not
        raise PdfUnavailable(_("PDF reports need the Pango library: install the package libpango-1.0-0.")) from exc
    html = render_to_string(template, context)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def period_summary_pdf(*, period: str, counterparty: str | None = None) -> bytes:
    """The manager's summary of a month (YYYY-MM), overall or for one counterparty's code: the money identity, the
    dashboard's charts, the top 20 discrepancies by money and the trend against the three previous months."""
    from django.utils import timezone

    from recon.core.models import Counterparty, Discrepancy

    from .dashboard import dashboard_figures, month_first, month_label
    from .months import discrepancy_month_q
    from .views_dashboard import dashboard_charts

    month = month_first(period)
    party = Counterparty.objects.filter(code__iexact=counterparty).order_by("id").first() if counterparty else None
    if counterparty and party is None:
        raise ValueError(f"unknown counterparty {counterparty}")
    figures = dashboard_figures(month=month, counterparty=party, months=4)
    top = Discrepancy.objects.filter(discrepancy_month_q(month)).filter(is_claim=True)
    if party:
        top = top.filter(counterparty=party)
    top = list(top.select_related("counterparty").order_by("-amount_at_stake", "id")[:20])
    return render_pdf(template="reports/summary_pdf.html", context={
        "figures": figures, "charts": dashboard_charts(figures), "top": top, "counterparty": party,
        "period": month_label(month), "generated": timezone.localtime(),
        "parts": ["at_stake", "open", "investigating", "disputed", "recovered", "accepted", "written_off", "shortfall"],
    })
