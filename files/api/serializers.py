from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from files.models import EntityType, File, FileBlob, ScanStatus
from intelipro.api.fields import StrictCharField


class FileUploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="The document (multipart).", use_url=False, allow_empty_file=True
    )
    entity_type = serializers.ChoiceField(choices=EntityType.choices)
    entity_id = serializers.IntegerField(min_value=1)
    is_public = serializers.BooleanField(required=False, default=False)


class FileListFilterSerializer(serializers.Serializer):
    entity_type = serializers.ChoiceField(choices=EntityType.choices, required=False)
    entity_id = serializers.IntegerField(min_value=1, required=False)


class FileUploaderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = StrictCharField(source="full_name")
    email = serializers.EmailField()


class FileSerializer(serializers.ModelSerializer):
    """A file's metadata. `name`/`url`/`uploaded_at` are what a case's `documents` show."""

    name = StrictCharField(source="file_name", read_only=True)
    uploaded_at = serializers.DateTimeField(source="created_at", read_only=True)
    uploader = FileUploaderSerializer(source="uploaded_by", read_only=True, allow_null=True)
    virus_scan_status = serializers.ChoiceField(choices=ScanStatus.choices, read_only=True)
    scan_detail = StrictCharField(source="blob.scan_detail", read_only=True)
    scanned_at = serializers.DateTimeField(source="blob.scanned_at", read_only=True)
    thumbnail_status = serializers.ChoiceField(
        source="blob.thumbnail_status", choices=FileBlob.ThumbnailStatus.choices, read_only=True
    )
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = File
        fields = [
            "id",
            "name",
            "original_name",
            "file_name",
            "file_size",
            "mime_type",
            "sha256",
            "entity_type",
            "entity_id",
            "is_public",
            "virus_scan_status",
            "scan_detail",
            "scanned_at",
            "thumbnail_status",
            "url",
            "thumbnail_url",
            "uploaded_by",
            "uploader",
            "uploaded_at",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(StrictCharField())
    def get_url(self, obj: File) -> str:
        return reverse("api:files:file-download", kwargs={"pk": obj.pk})

    @extend_schema_field(StrictCharField(allow_null=True))
    def get_thumbnail_url(self, obj: File) -> str | None:
        if obj.blob.thumbnail_status != FileBlob.ThumbnailStatus.READY:
            return None
        return reverse("api:files:file-thumbnail", kwargs={"pk": obj.pk})


class FileLinkSerializer(serializers.Serializer):
    url = StrictCharField(help_text="Absolute URL of the signed public download.")
    expires_at = serializers.DateTimeField()
    expires_in = serializers.IntegerField(help_text="Seconds until the link stops working.")
