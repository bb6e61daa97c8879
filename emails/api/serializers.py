"""Shapes of the email API (input validation and output formatting only)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from emails.models import Email, EmailAccount
from intelipro.api.fields import StrictCharField, StrictStringsMixin

ACCOUNT_FIELDS = [
    "id",
    "name",
    "email",
    "provider",
    "imap_server",
    "imap_port",
    "smtp_server",
    "smtp_port",
    "username",
    "use_ssl",
    "auto_sync",
    "sync_interval",
    "last_sync",
    "status",
    "folders",
    "sent_folder",
    "last_error",
    "created_at",
    "updated_at",
]


class EmailAccountSerializer(serializers.ModelSerializer):
    """A mailbox as the API shows it: never its password."""

    class Meta:
        model = EmailAccount
        fields = ACCOUNT_FIELDS
        read_only_fields = fields


class EmailAccountInputSerializer(StrictStringsMixin, serializers.ModelSerializer):
    """Create (all required but the defaults) or change (send only what changes)."""

    password = StrictCharField(
        write_only=True, max_length=500, trim_whitespace=False, style={"input_type": "password"}
    )
    imap_port = serializers.IntegerField(min_value=1, max_value=65535)
    smtp_port = serializers.IntegerField(min_value=1, max_value=65535)
    sync_interval = serializers.IntegerField(min_value=1, max_value=1440, required=False)
    folders = serializers.ListField(
        child=StrictCharField(max_length=255), min_length=1, max_length=50, required=False
    )

    class Meta:
        model = EmailAccount
        fields = [
            "name",
            "email",
            "provider",
            "imap_server",
            "imap_port",
            "smtp_server",
            "smtp_port",
            "username",
            "password",
            "use_ssl",
            "auto_sync",
            "sync_interval",
            "status",
            "folders",
            "sent_folder",
        ]


class MailLoginResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    code = StrictCharField(allow_null=True)
    message = StrictCharField()


class EmailAccountTestResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    imap = MailLoginResultSerializer()
    smtp = MailLoginResultSerializer()


class EmailAccountSyncQueuedSerializer(serializers.Serializer):
    queued = serializers.BooleanField()
    account_id = serializers.IntegerField()


class SentimentSerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True)
    label = StrictCharField(allow_blank=True)


class EmailListSerializer(serializers.ModelSerializer):
    """A row of GET /emails, the spec's shape plus links (thread, mailbox, case, customer)."""

    sentiment = serializers.SerializerMethodField()

    class Meta:
        model = Email
        fields = [
            "id",
            "message_id",
            "thread_id",
            "account_id",
            "direction",
            "from_email",
            "from_name",
            "to_email",
            "subject",
            "category",
            "priority",
            "status",
            "sentiment",
            "ai_intent",
            "assigned_to",
            "case_id",
            "case_confidence",
            "customer_id",
            "is_auto_reply",
            "is_bulk",
            "received_at",
            "read_status",
        ]
        read_only_fields = fields

    @extend_schema_field(SentimentSerializer)
    def get_sentiment(self, email: Email) -> dict:
        score = email.sentiment_score
        return {"score": None if score is None else float(score), "label": email.sentiment_label}


class EmailThreadItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Email
        fields = [
            "id",
            "message_id",
            "direction",
            "from_email",
            "to_email",
            "subject",
            "received_at",
            "read_status",
            "body_text",
        ]
        read_only_fields = fields


class EmailDetailSerializer(EmailListSerializer):
    """GET /emails/{id}: the full message and its thread (other messages, oldest first)."""

    thread = serializers.SerializerMethodField()

    class Meta(EmailListSerializer.Meta):
        fields = [
            *EmailListSerializer.Meta.fields,
            "cc_emails",
            "bcc_emails",
            "body_text",
            "body_html",
            "attachments",
            "in_reply_to",
            "references",
            "parse_warning",
            "escalated_to",
            "escalation_reason",
            "thread",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(EmailThreadItemSerializer(many=True))
    def get_thread(self, email: Email) -> list:
        return EmailThreadItemSerializer(self.context.get("thread", []), many=True).data


class EmailUpdateInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Email.Status.choices, required=False)
    category = serializers.ChoiceField(choices=Email.Category.choices, required=False)
    assigned_to = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(status=User.Status.ACTIVE), required=False, allow_null=True
    )
    priority = serializers.ChoiceField(choices=Email.Priority.choices, required=False)
