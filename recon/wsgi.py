"""WSGI entry point (gunicorn recon.wsgi)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recon.settings")
application = get_wsgi_application()
