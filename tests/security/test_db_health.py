"""A PostgreSQL restart does not cost a 500: a kept connection that the server closed is replaced at the next request."""
import io

import psycopg2
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory
from rest_framework.authtoken.models import Token

from tests.factories import UserFactory

# Transactional: the connection must be the kept, autocommitting one that a gunicorn worker holds between requests.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def serve(path: str, token: str) -> int:
    """One request through Django's WSGI handler as gunicorn calls it (request_started/finished signals included)."""
    environ = RequestFactory().get(path, HTTP_AUTHORIZATION=f"Token {token}").environ
    environ["wsgi.input"] = io.BytesIO(b"")
    status = []
    response = WSGIHandler()(environ, lambda s, headers, exc_info=None: status.append(s))
    b"".join(response)
    response.close()
    return int(status[0].split()[0])


def test_a_connection_the_server_closed_is_replaced_not_answered_with_a_500(django_user_model):
    token = Token.objects.create(user=UserFactory(username="integration-bot", role="integration")).key
    assert serve("/api/v1/couriers/", token) == 200
    kept_pid = connection.connection.get_backend_pid()

    s = connection.settings_dict
    admin = psycopg2.connect(host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432, dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [kept_pid])
        assert cursor.fetchone() == (True,)
    admin.close()

    assert serve("/api/v1/couriers/", token) == 200
    assert connection.connection.get_backend_pid() != kept_pid
