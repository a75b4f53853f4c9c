"""Login required everywhere in the browser, and every page must declare its permissions; the API answers for itself."""
from django.contrib.auth.middleware import LoginRequiredMiddleware as _DjangoLoginRequired
from django.core.exceptions import PermissionDenied

from recon.core.permissions import declared_perms


class LoginRequiredMiddleware(_DjangoLoginRequired):
    # Token-authenticated API clients are only known once DRF authenticates them, inside the view.
    exempt_prefixes = ("/api/", "/static/", "/i18n/")
    # Pages with their own rules: the admin (staff only) and the login/logout pages.
    undeclared_ok = ("/admin/", "/accounts/", "/media/")

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(self.exempt_prefixes):
            return None
        response = super().process_view(request, view_func, view_args, view_kwargs)
        if response is not None:
            return response
        if request.user.is_authenticated and not request.path.startswith(self.undeclared_ok) and declared_perms(view_func) is None:
            # A page nobody declared permissions for is refused rather than open to every role.
            raise PermissionDenied
        return None
