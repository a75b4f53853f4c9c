from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import IsAuthenticated

from recon.core.permissions import API_INDEX, DeclaredPermissions


class SchemaView(SpectacularAPIView):
    permission_classes = [IsAuthenticated, DeclaredPermissions]
    required_perms = {"get": API_INDEX}


class DocsView(SpectacularSwaggerView):
    permission_classes = [IsAuthenticated, DeclaredPermissions]
    required_perms = {"get": API_INDEX}

    def handle_exception(self, exc):
        # Swagger UI is a page people open in a browser (the nav links to it): without a login, send them to log in,
        # as every other page does, rather than answer 401 JSON. A bad token still gets its 401.
        if isinstance(exc, NotAuthenticated):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("recon.api.urls")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    path("api/docs/", DocsView.as_view(url_name="schema"), name="swagger-ui"),
    path("reports/", include("reports.urls")),
    path("", include("recon.web.urls")),
]
