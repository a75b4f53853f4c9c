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
