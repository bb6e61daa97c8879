"""File endpoints: upload, list, metadata, download, thumbnail, signed public links, delete."""

from pathlib import Path

from django.db.models import QuerySet
from django.http import FileResponse, HttpResponseBase, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.downloads import content_disposition
from files import storage as file_storage
from files.api.serializers import (
    FileLinkSerializer,
    FileListFilterSerializer,
    FileSerializer,
    FileUploadInputSerializer,
)
from files.errors import (
    FileMissingError,
    FileThumbnailNotAvailableError,
    FileThumbnailPendingError,
)
from files.models import File, FileBlob
from files.selectors import file_list
from files.services import (
    IncomingUpload,
    file_delete,
    file_download_record,
    file_public_link_create,
    file_public_link_resolve,
    file_servable_check,
    file_upload,
)
from files.uploadhandler import HashedTemporaryUploadedFile, HashingUploadHandler
from intelipro.api.throttling import GeneralRateThrottle, UploadRateThrottle

_ERRORS = {
    400: OpenApiResponse(description="Refused: `validation_error`, `file_empty`, "
    "`file_type_not_allowed`, `file_extension_mismatch`, `file_double_extension`, "
    "`file_macro_enabled`, `file_polyglot`, `file_corrupt`, `file_name_invalid`, "
    "`entity_not_found`, `entity_type_invalid`."),
    404: OpenApiResponse(description="`not_found`: no such file, or not yours to see."),
    409: OpenApiResponse(description="`file_infected`, `file_quarantined`, "
    "`file_scan_pending`, `file_scan_failed`."),
}  # fmt: skip
_BINARY = OpenApiResponse(response=OpenApiTypes.BINARY, description="The file's bytes.")


def _stream(
    *, file: File, key: str, content_type: str, file_name: str, inline: bool = False
) -> HttpResponseBase:
    """Redirect to a presigned S3 URL, or stream from local disk through Django."""
    if file_storage.is_remote():
        return HttpResponseRedirect(
            file_storage.presigned_download_url(
                key=key, file_name=file_name, content_type=content_type
            )
        )
    response = FileResponse(file_storage.content_open(key), content_type=content_type)
    response["Content-Disposition"] = content_disposition(file_name, inline=inline)
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser opened it, nothing in it may run or load anything.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _file_response(file: File) -> HttpResponseBase:
    return _stream(
        file=file, key=file.storage_key, content_type=file.mime_type, file_name=file.file_name
    )


@extend_schema_view(
    list=extend_schema(
        summary="Files the caller may see",
        parameters=[FileListFilterSerializer],
        responses={200: FileSerializer(many=True), 400: _ERRORS[400]},
    ),
    retrieve=extend_schema(
        summary="A file's metadata", responses={200: FileSerializer, 404: _ERRORS[404]}
    ),
    destroy=extend_schema(
        summary="Soft-delete a file (content removed when no upload uses it any more)",
        responses={
            204: OpenApiResponse(description="Deleted."),
            403: OpenApiResponse(description="`file_delete_forbidden`."),
            404: _ERRORS[404],
        },
    ),
)
class FileViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Who may see a record (case, policy, customer, batch...) may see its files."""

    serializer_class = FileSerializer
    permission_classes = [IsAuthenticated]
    pagination_items_key = "files"
    lookup_value_regex = "[0-9]+"
    filter_backends: list = []

    def get_throttles(self) -> list:
        if self.action == "upload":
            return [GeneralRateThrottle(), UploadRateThrottle()]
        return super().get_throttles()

    def get_queryset(self) -> QuerySet[File]:
        if self.action == "list":
            params = FileListFilterSerializer(data=self.request.query_params)
            params.is_valid(raise_exception=True)
            return file_list(user=self.request.user, **params.validated_data)
        return file_list(user=self.request.user)

    def initialize_request(self, request, *args, **kwargs) -> Request:
        # Before anything reads the body: stream the upload to a temp file, hashing it and
        # stopping at the size limit (Content-Length first). Never held in memory.
        if request.method == "POST":
            request.upload_handlers = [HashingUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        summary="Upload a document and attach it to a record",
        request={"multipart/form-data": FileUploadInputSerializer},
        responses={
            201: FileSerializer,
            400: _ERRORS[400],
            413: OpenApiResponse(description="`file_too_large`."),
            429: OpenApiResponse(description="`throttled`: 10 uploads per hour."),
        },
    )
    @action(detail=False, methods=["post"], url_path="upload", parser_classes=[MultiPartParser])
    def upload(self, request: Request) -> Response:
        if not isinstance(request.FILES.get("file"), HashedTemporaryUploadedFile):
            raise FileMissingError()
        payload = FileUploadInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        uploaded: HashedTemporaryUploadedFile = data["file"]
        try:
            file = file_upload(
                actor=request.user,
                upload=IncomingUpload(
                    content=uploaded,
                    path=Path(uploaded.temporary_file_path()),
                    size=uploaded.size,
                    sha256=uploaded.sha256,
                    original_name=uploaded.name or "",
                ),
                entity_type=data["entity_type"],
                entity_id=data["entity_id"],
                is_public=data["is_public"],
            )
        finally:
            uploaded.close()  # removes the temp file unless storage moved it
        file = file_list(user=request.user).filter(pk=file.pk).first() or file
        return Response(FileSerializer(file).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, *args: object, **kwargs: object) -> Response:
        file_delete(file_id=self.get_object().pk, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Download the file (streamed, or a redirect to a short-lived S3 URL)",
        responses={200: _BINARY, 302: OpenApiResponse(description="S3 presigned URL."),
                   404: _ERRORS[404], 409: _ERRORS[409]},
    )  # fmt: skip
    @action(detail=True, methods=["get"], url_path="download")
    def download(self, request: Request, pk: str) -> HttpResponseBase:
        file = self.get_object()
        file_servable_check(file=file)
        file_download_record(file=file, actor=request.user, via="api")
        return _file_response(file)

    @extend_schema(
        summary="The file's thumbnail (images, first page of PDFs)",
        responses={
            200: _BINARY,
            404: OpenApiResponse(description="`not_found`, `thumbnail_not_available`."),
            409: OpenApiResponse(description="`thumbnail_pending` or a scan status code."),
        },
    )
    @action(detail=True, methods=["get"], url_path="thumbnail")
    def thumbnail(self, request: Request, pk: str) -> HttpResponseBase:
        file = self.get_object()
        file_servable_check(file=file)
        blob = file.blob
        if blob.thumbnail_status == FileBlob.ThumbnailStatus.PENDING:
            raise FileThumbnailPendingError()
        if blob.thumbnail_status != FileBlob.ThumbnailStatus.READY or not blob.thumbnail_key:
            raise FileThumbnailNotAvailableError()
        is_png = blob.thumbnail_key.endswith(".png")
        stem = file.file_name.rsplit(".", 1)[0]
        return _stream(
            file=file,
            key=blob.thumbnail_key,
            content_type="image/png" if is_png else "image/jpeg",
            file_name=f"{stem}-thumbnail.{'png' if is_png else 'jpg'}",
            inline=True,
        )

    @extend_schema(
        summary="A signed, expiring link to a public file",
        request=None,
        responses={
            200: FileLinkSerializer,
            404: _ERRORS[404],
            409: OpenApiResponse(description="`file_not_public` or a scan status code."),
        },
    )
    @action(detail=True, methods=["get"], url_path="link")
    def link(self, request: Request, pk: str) -> Response:
        file = self.get_object()
        file_servable_check(file=file)
        token, expires_at = file_public_link_create(file=file, actor=request.user)
        url = request.build_absolute_uri(reverse("api:files:file-public", kwargs={"token": token}))
        expires_in = max(round((expires_at - timezone.now()).total_seconds()), 0)
        return Response(
            FileLinkSerializer(
                {"url": url, "expires_at": expires_at, "expires_in": expires_in}
            ).data
        )


class FileDownloadAliasView(APIView):
    """`GET /files/download/{id}`: the spec's case `documents[].url` form of the download."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Download a file (alias of /files/{id}/download)",
        operation_id="files_download_alias",
        responses={200: _BINARY, 302: OpenApiResponse(description="S3 presigned URL."),
                   404: _ERRORS[404], 409: _ERRORS[409]},
    )  # fmt: skip
    def get(self, request: Request, pk: str) -> HttpResponseBase:
        file = file_list(user=request.user).filter(pk=pk).first()
        if file is None:
            raise NotFound()
        file_servable_check(file=file)
        file_download_record(file=file, actor=request.user, via="api")
        return _file_response(file)


class FilePublicDownloadView(APIView):
    """The target of a signed link: no login, the signature and its expiry are the key."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Download a public file through a signed link",
        operation_id="files_public_download",
        auth=[],
        responses={
            200: _BINARY,
            302: OpenApiResponse(description="S3 presigned URL."),
            404: OpenApiResponse(description="`file_link_invalid`."),
            409: _ERRORS[409],
            410: OpenApiResponse(description="`file_link_expired`."),
        },
    )
    def get(self, request: Request, token: str) -> HttpResponseBase:
        file = file_public_link_resolve(token=token)
        file_servable_check(file=file)
        file_download_record(file=file, actor=None, via="public_link")
        return _file_response(file)
