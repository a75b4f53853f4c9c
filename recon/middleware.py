"""Login required everywhere in the browser; the API answers for itself with 401/403 JSON."""
from django.contrib.auth.middleware import LoginRequiredMiddleware as _DjangoLoginRequired


class LoginRequiredMiddleware(_DjangoLoginRequired):
    # Token-authenticated API clients are only known once DRF authenticates them, inside the view.
    exempt_prefixes = ("/api/", "/static/", "/i18n/")

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(self.exempt_prefixes):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
