"""The append-only audit log and its one writer."""

import pytest
from django.db import transaction

from core.models import AuditEvent
from core.services import audit_log

pytestmark = pytest.mark.django_db


def test_audit_log_records_actor_object_and_changes(agent_user):
    event = audit_log(action="case.assigned", actor=agent_user, obj=agent_user, changes={"to": 5})

    event.refresh_from_db()
    assert event.actor == agent_user
    assert event.actor_label == agent_user.email
    assert event.object_type == "accounts.user"
    assert event.object_id == str(agent_user.pk)
    assert event.changes == {"to": 5}


def test_audit_log_without_actor_is_the_system():
    event = audit_log(action="case.lapsed", object_type="renewals.renewalcase", object_id=7)

    assert event.actor is None
    assert event.actor_label == "System"


def test_audit_events_cannot_be_updated(agent_user):
    event = audit_log(action="x", actor=agent_user)
    event.action = "y"

    with pytest.raises(PermissionError):
        event.save()


def test_audit_events_cannot_be_deleted(agent_user):
    event = audit_log(action="x", actor=agent_user)

    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(action="z")


def test_audit_event_rolls_back_with_its_transaction(agent_user):
    def doomed() -> None:
        with transaction.atomic():
            audit_log(action="doomed", actor=agent_user)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        doomed()

    assert not AuditEvent.objects.filter(action="doomed").exists()


def test_audit_log_takes_ip_user_agent_and_request_id_from_the_request_context():
    from intelipro.logging import RequestMeta, request_meta_var

    token = request_meta_var.set(
        RequestMeta(request_id="req-1", ip_address="10.0.0.9", user_agent="UA/1")
    )
    try:
        event = audit_log(action="probe")
    finally:
        request_meta_var.reset(token)

    assert (event.request_id, event.ip_address, event.user_agent) == ("req-1", "10.0.0.9", "UA/1")


def test_admin_shows_audit_log_read_only(admin_web, admin_user):
    audit_log(action="visible.in.admin", actor=admin_user)

    listing = admin_web.get("/admin/core/auditevent/")
    add = admin_web.get("/admin/core/auditevent/add/")

    assert listing.status_code == 200
    assert "visible.in.admin" in listing.content.decode()
    assert add.status_code == 403
