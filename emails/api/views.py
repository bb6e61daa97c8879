"""Email endpoints: /email-accounts (mailboxes) and /emails."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import modules
from accounts.permissions import ModulePermission
from emails import selectors, services
from emails.api import serializers as s
from emails.api.filters import EmailFilter
from emails.api.permissions import MailboxAdminRole
from emails.models import Email, EmailAccount
from emails.tasks import email_account_sync_task


@extend_schema(tags=["emails"])
class EmailAccountViewSet(viewsets.GenericViewSet):
    """Shared mailboxes (module `emails`; admins and managers only)."""

    permission_classes = [IsAuthenticated, ModulePermission, MailboxAdminRole]
    module = modules.EMAILS
    serializer_class = s.EmailAccountSerializer
    pagination_items_key = "email_accounts"
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[EmailAccount]:
        return selectors.email_account_list()

    @extend_schema(summary="List mailboxes (paginated; passwords are never returned)")
    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(s.EmailAccountSerializer(page, many=True).data)

    @extend_schema(summary="One mailbox")
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(s.EmailAccountSerializer(self.get_object()).data)

    @extend_schema(
        summary="Add a mailbox",
        description="`password` is write-only: stored encrypted, never returned or logged.",
        request=s.EmailAccountInputSerializer,
        responses={201: s.EmailAccountSerializer},
    )
    def create(self, request: Request) -> Response:
        payload = s.EmailAccountInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        password = data.pop("password")
        account = services.email_account_create(actor=request.user, data=data, password=password)
        return Response(s.EmailAccountSerializer(account).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a mailbox (send only what changes)",
        description="A `password` sent replaces the stored one; leave it out to keep it.",
        request=s.EmailAccountInputSerializer,
        responses=s.EmailAccountSerializer,
    )
    def update(self, request: Request, pk: str | None = None) -> Response:
        account = self.get_object()
        payload = s.EmailAccountInputSerializer(account, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        password = data.pop("password", None)
        account = services.email_account_update(
            actor=request.user, account_id=account.pk, data=data, password=password
        )
        return Response(s.EmailAccountSerializer(account).data)

    @extend_schema(
        summary="Change a mailbox (partial)",
        request=s.EmailAccountInputSerializer,
        responses=s.EmailAccountSerializer,
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self.update(request, pk=pk)

    @extend_schema(summary="Delete a mailbox", responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.email_account_delete(actor=request.user, account_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Test the mailbox's IMAP and SMTP logins",
        description=(
            "Logs in to both servers with the stored settings. Each result has `ok` and a "
            "`code` when it failed: `imap_auth_failed`, `imap_unreachable`, "
            "`smtp_auth_failed`, `smtp_unreachable`. Changes nothing."
        ),
        request=None,
        responses=s.EmailAccountTestResultSerializer,
    )
    @action(detail=True, methods=["post"], url_path="test")
    def test(self, request: Request, pk: str | None = None) -> Response:
        result: dict[str, Any] = services.email_account_test(account_id=self.get_object().pk)
        return Response(result)

    @extend_schema(
        summary="Sync the mailbox now",
        description=(
            "Queues a sync of every folder of the mailbox (the same job the beat runs every "
            "`sync_interval` minutes). 202; the mailbox's `last_sync`, `status` and "
            "`last_error` show the outcome."
        ),
        request=None,
        responses={202: s.EmailAccountSyncQueuedSerializer},
    )
    @action(detail=True, methods=["post"], url_path="sync")
    def sync(self, request: Request, pk: str | None = None) -> Response:
        account = self.get_object()
        email_account_sync_task.delay(account_id=account.pk)
        return Response({"queued": True, "account_id": account.pk}, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["emails"])
class EmailViewSet(viewsets.GenericViewSet):
    """Emails (module `emails`): agents see theirs and their cases', managers their branch's,
    admins all; anything else answers 404."""

    permission_classes = [IsAuthenticated, ModulePermission]
    module = modules.EMAILS
    serializer_class = s.EmailListSerializer
    filterset_class = EmailFilter
    pagination_items_key = "emails"

    def get_queryset(self) -> QuerySet[Email]:
        return selectors.email_list(user=self.request.user)

    @extend_schema(summary="List emails (paginated, newest first)")
    def list(self, request: Request) -> Response:
        qs = self.filter_queryset(self.get_queryset()).defer("body_text", "body_html", "references")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.EmailListSerializer(page, many=True).data)

    @extend_schema(
        summary="One email with its body, attachments and thread history; marks it read",
        responses=s.EmailDetailSerializer,
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        email = self.get_object()
        if services.email_mark_read(email_id=email.pk, actor=request.user):
            email.read_status = True
        thread = selectors.email_thread(email=email, user=request.user)
        return Response(s.EmailDetailSerializer(email, context={"thread": thread}).data)

    @extend_schema(
        summary="Change an email's status, category, assignee or priority",
        request=s.EmailUpdateInputSerializer,
        responses=s.EmailListSerializer,
    )
    def update(self, request: Request, pk: str | None = None) -> Response:
        email = self.get_object()
        payload = s.EmailUpdateInputSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        # The caller may hand the email to someone else (and out of their own scope): answer
        # with the row the service saved.
        email = services.email_update(
            email_id=email.pk, actor=request.user, data=dict(payload.validated_data)
        )
        return Response(s.EmailListSerializer(email).data)

    @extend_schema(
        summary="Change an email (partial)",
        request=s.EmailUpdateInputSerializer,
        responses=s.EmailListSerializer,
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self.update(request, pk=pk)
