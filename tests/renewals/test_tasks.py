import datetime as dt

import pytest
from django.utils import timezone

from notifications.models import Notification
from renewals.models import CaseReminder, RenewalCase
from renewals.services import cases_auto_escalate, cases_lapse
from renewals.tasks import (
    case_reminders_run_task,
    cases_auto_escalate_task,
    cases_lapse_task,
)
from tests.accounts.factories import BranchFactory, UserFactory
from tests.renewals.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db


def days_from_today(n):
    return timezone.localdate() + dt.timedelta(days=n)


def test_reminders_sent_once_per_window_when_run_twice(
    agent_user, mailoutbox, django_capture_on_commit_callbacks
):
    case = RenewalCaseFactory(assigned_to=agent_user, renewal_date=days_from_today(7))

    with django_capture_on_commit_callbacks(execute=True):
        case_reminders_run_task.delay()
    with django_capture_on_commit_callbacks(execute=True):
        case_reminders_run_task.delay()

    reminder = CaseReminder.objects.get(case=case)
    assert reminder.window_days == 7
    assert reminder.status == CaseReminder.Status.SENT
    assert case.events.filter(kind="reminder_sent").count() == 1
    to_customer = [m for m in mailoutbox if m.to == [case.policy.customer.email]]
    assert len(to_customer) == 1
    assert case.policy.policy_number in to_customer[0].subject
    assert Notification.objects.filter(user=agent_user, type="reminder").count() == 1


@pytest.mark.parametrize(
    ("days", "window"), [(30, 30), (16, 30), (15, 15), (8, 15), (2, 7), (1, 1), (0, 1)]
)
def test_reminder_window_assignment(days, window):
    case = RenewalCaseFactory(renewal_date=days_from_today(days))

    case_reminders_run_task.delay()

    assert CaseReminder.objects.get(case=case).window_days == window


def test_no_reminder_outside_windows_or_for_paid_cases():
    far = RenewalCaseFactory(renewal_date=days_from_today(45))
    paid = RenewalCaseFactory(renewal_date=days_from_today(7), payment_status="completed")
    closed = RenewalCaseFactory(renewal_date=days_from_today(7), status="renewed")

    case_reminders_run_task.delay()

    assert not CaseReminder.objects.filter(case__in=[far, paid, closed]).exists()


def test_reminder_skips_email_without_consent(mailoutbox):
    case = RenewalCaseFactory(
        renewal_date=days_from_today(7), policy__customer__communication_preferences={}
    )

    case_reminders_run_task.delay()

    assert not [m for m in mailoutbox if m.to == [case.policy.customer.email]]
    assert CaseReminder.objects.get(case=case).status == CaseReminder.Status.SKIPPED


def test_lapse_after_grace_period_notifies_assignee(agent_user):
    case = RenewalCaseFactory(
        assigned_to=agent_user, renewal_date=days_from_today(-31), policy__grace_period_days=30
    )

    cases_lapse_task.delay()

    case.refresh_from_db()
    assert case.status == RenewalCase.Status.LAPSED
    assert (
        case.policy.status == "lapsed"
        or case.policy.__class__.objects.get(pk=case.policy_id).status == "lapsed"
    )
    assert Notification.objects.filter(user=agent_user, type="update").count() == 1


def test_no_lapse_within_grace_period():
    case = RenewalCaseFactory(renewal_date=days_from_today(-30), policy__grace_period_days=30)

    cases_lapse_task.delay()

    case.refresh_from_db()
    assert case.status == "new"


def test_paid_case_never_lapses():
    case = RenewalCaseFactory(
        renewal_date=days_from_today(-60), status="pending_payment", payment_status="completed"
    )

    cases_lapse()

    case.refresh_from_db()
    assert case.status == "pending_payment"


def test_lapse_run_twice_changes_nothing_more(agent_user):
    case = RenewalCaseFactory(assigned_to=agent_user, renewal_date=days_from_today(-40))

    assert cases_lapse() == 1
    assert cases_lapse() == 0

    assert case.events.filter(kind="status_changed").count() == 1


def test_auto_escalation_of_stale_high_priority_case():
    manager = UserFactory(role="manager")
    branch = BranchFactory(manager=manager)
    case = RenewalCaseFactory(priority="high", policy__branch=branch)
    RenewalCase.objects.filter(pk=case.pk).update(created_at=timezone.now() - dt.timedelta(days=10))
    fresh = RenewalCaseFactory(priority="urgent", policy__branch=branch)
    low = RenewalCaseFactory(priority="low", policy__branch=branch)
    RenewalCase.objects.filter(pk=low.pk).update(created_at=timezone.now() - dt.timedelta(days=10))

    cases_auto_escalate_task.delay()
    cases_auto_escalate_task.delay()

    case.refresh_from_db()
    assert case.escalated_to_id == manager.pk
    assert case.events.filter(kind="escalated").count() == 1
    assert Notification.objects.filter(user=manager, type="escalation").count() == 1
    fresh.refresh_from_db()
    low.refresh_from_db()
    assert fresh.escalated_to_id is None
    assert low.escalated_to_id is None
    assert cases_auto_escalate() == 0


def test_beat_schedule_declares_the_daily_jobs(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {
        "renewals.tasks.case_reminders_run_task",
        "renewals.tasks.cases_lapse_task",
        "renewals.tasks.cases_auto_escalate_task",
    } <= tasks


def test_reminder_email_task_receives_the_reminders_id_not_personal_data(
    agent_user, mailoutbox, django_capture_on_commit_callbacks
):
    import json

    from celery.signals import task_prerun

    calls = []

    def record(sender=None, args=None, kwargs=None, **_extra):
        calls.append((sender.name, args, kwargs))

    case = RenewalCaseFactory(assigned_to=agent_user, renewal_date=days_from_today(7))
    customer = case.policy.customer
    task_prerun.connect(record, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            case_reminders_run_task.delay()
    finally:
        task_prerun.disconnect(record)

    email_calls = [c for c in calls if c[0] == "renewals.tasks.case_reminder_email_task"]
    assert len(email_calls) == 1
    reminder = CaseReminder.objects.get(case=case)
    assert email_calls[0][2] == {"reminder_id": reminder.pk}
    carried = json.dumps(calls, default=str)
    assert customer.email not in carried
    assert customer.last_name not in carried
    assert [m.to for m in mailoutbox if m.to == [customer.email]] == [[customer.email]]
