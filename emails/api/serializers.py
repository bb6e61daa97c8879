"""Shapes of the email API (input validation and output formatting only)."""

from rest_framework import serializers

from emails.models import EmailAccount

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


class EmailAccountInputSerializer(serializers.ModelSerializer):
    """Create (all required but the defaults) or change (send only what changes)."""

    password = serializers.CharField(
        write_only=True, max_length=500, trim_whitespace=False, style={"input_type": "password"}
    )
    imap_port = serializers.IntegerField(min_value=1, max_value=65535)
    smtp_port = serializers.IntegerField(min_value=1, max_value=65535)
    sync_interval = serializers.IntegerField(min_value=1, max_value=1440, required=False)
    folders = serializers.ListField(
        child=serializers.CharField(max_length=255), min_length=1, max_length=50, required=False
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
    code = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class EmailAccountTestResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    imap = MailLoginResultSerializer()
    smtp = MailLoginResultSerializer()


class EmailAccountSyncQueuedSerializer(serializers.Serializer):
    queued = serializers.BooleanField()
    account_id = serializers.IntegerField()
