"""Logins and API tokens are throttled per username and per address; a manager lifts a lockout."""
import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from recon.core.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LOCKED_ZH = "登录失败次数过多：登录已锁定 30 分钟，或直到经理解除锁定。"
LOCKED_EN = "Too many failed logins: logging in is locked for 30 minutes, or until a manager lifts the lock."


def log_in(client, username, password, ip="203.0.113.7", lang="zh-hans"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=lang)


def test_thirty_wrong_passwords_then_the_right_one_is_refused_until_a_manager_lifts_the_lock(client, finance_user, manager_user):
    for _ in range(30):
        log_in(client, "alice", "wrong")
    response = log_in(client, "alice", "alice-pass-123")
    assert response.status_code == 429
    assert LOCKED_ZH in response.content.decode()
    assert "_auth_user_id" not in client.session

    manager = APIClient()
    manager.force_login(manager_user)
    changelist = manager.get(reverse("admin:axes_accessattempt_changelist"))
    assert changelist.status_code == 200
    ids = [str(pk) for pk in AccessAttempt.objects.filter(username="alice").values_list("pk", flat=True)]
    assert len(ids) == 1  # 30 wrong passwords and the refused right one, from one address
    done = manager.post(reverse("admin:axes_accessattempt_changelist"),
                        {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert done.status_code == 302

    response = log_in(client, "alice", "alice-pass-123")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(finance_user.pk)
    lift = AuditEvent.objects.get(object_type="login_lockout")
    assert (lift.actor_name, lift.action, lift.changes["username"], lift.changes["failures"]) == ("carol", "lift", ["alice", None], [31, 0])


def test_the_lockout_message_in_english(client, finance_user):
    for _ in range(5):
        log_in(client, "alice", "wrong", lang="en")
    response = log_in(client, "alice", "alice-pass-123", lang="en")
    assert response.status_code == 429
    assert LOCKED_EN in response.content.decode()


def test_the_username_locks_after_five_failures_from_any_address(client, finance_user):
    for i in range(4):
        log_in(client, "alice", "wrong", ip=f"198.51.100.{i}")
    assert log_in(client, "alice", "alice-pass-123", ip="198.51.100.50").status_code == 302
    client.logout()
    for i in range(5):
        log_in(client, "alice", "wrong", ip=f"198.51.100.{i}")
    assert log_in(client, "alice", "alice-pass-123", ip="198.51.100.50").status_code == 429


def test_an_address_locks_after_twenty_failures_for_any_usernames(client, finance_user, ops_user):
    for i in range(19):
        log_in(client, f"guess-{i}", "wrong")
    assert log_in(client, "olivia", "olivia-pass-123").status_code == 302
    client.logout()
    log_in(client, "guess-19", "wrong")
    response = log_in(client, "alice", "alice-pass-123")
    assert response.status_code == 429
    # The same person from another address is not locked: only the address is.
    assert log_in(client, "alice", "alice-pass-123", ip="192.0.2.44").status_code == 302


def test_ops_and_auditors_cannot_lift_a_lockout(client, ops_user, auditor_user):
    for user in (ops_user, auditor_user):
        user.is_staff = True
        user.save()
        client.force_login(user)
        assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403


def test_the_command_lifts_a_lockout(client, finance_user):
    from django.core.management import call_command

    for _ in range(5):
        log_in(client, "alice", "wrong")
    assert log_in(client, "alice", "alice-pass-123").status_code == 429
    call_command("axes_reset_username", "alice")
    assert log_in(client, "alice", "alice-pass-123").status_code == 302


def token_request(token: str, ip: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get("/api/v1/couriers/", REMOTE_ADDR=ip)


def test_bad_api_tokens_lock_the_address_with_json_429_while_other_addresses_work(django_user_model, settings):
    user = UserFactory(username="integration-bot", role="integration")
    good = Token.objects.create(user=user).key
    for i in range(19):
        assert token_request(f"{i:040d}", "203.0.113.9").status_code == 401
    response = token_request("f" * 40, "203.0.113.9")
    assert response.status_code == 429
    assert response.json() == {"error": {
        "code": "locked_out",
        "message": "此地址认证失败次数过多：请稍后再试，或请经理解除锁定。",
        "details": {},
    }}
    assert response["Retry-After"] == "1800"
    # Locked: even a valid token from that address waits; from another address it works.
    assert token_request(good, "203.0.113.9").status_code == 429
    assert token_request(good, "198.51.100.3").status_code == 200


def test_bad_api_tokens_do_not_lock_a_username(client, finance_user):
    for i in range(10):
        token_request(f"{i:040d}", f"198.51.100.{i}")
    assert log_in(client, "alice", "alice-pass-123").status_code == 302
