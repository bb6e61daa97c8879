"""AI endpoints: POST /ai/query, GET/PUT /ai/settings, /ai/knowledge."""

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import modules
from accounts.permissions import ModulePermission
from ai_assistant import selectors, services
from ai_assistant.api import serializers as s
from ai_assistant.api.permissions import AIStaffRole
from ai_assistant.errors import KnowledgeDocumentTooLargeError
from ai_assistant.models import KnowledgeDocument
from ai_assistant.services.knowledge import knowledge_text_extract


@extend_schema(tags=["ai"])
class AIQueryView(APIView):
    """Ask the assistant (module `ai`: admins, managers, agents)."""

    permission_classes = [IsAuthenticated, ModulePermission]
    module = modules.AI

    @extend_schema(
        summary="Ask the AI assistant",
        description=(
            "Answers from the knowledge base and the caller's live renewal figures. "
            "`context.case_id` brings that case in (404 when the caller may not see it). "
            "429 `throttled` (rate limits, with Retry-After) or `ai_budget_exhausted`; "
            "409 `ai_disabled`. When every provider fails the settings' `fallback_message` is "
            "the answer, with confidence 0 and provider ''."
        ),
        request=s.AIQueryInputSerializer,
        responses=s.AIQueryResponseSerializer,
    )
    def post(self, request: Request) -> Response:
        payload = s.AIQueryInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = services.ai_query(
            user=request.user,
            query=payload.validated_data["query"],
            context=payload.validated_data.get("context") or {},
        )
        return Response(result)


@extend_schema(tags=["ai"])
class AIClassifyView(APIView):
    """Triage a customer's message (module `ai`)."""

    permission_classes = [IsAuthenticated, ModulePermission]
    module = modules.AI

    @extend_schema(
        summary="Classify a message: category, sentiment, intent, priority",
        description=(
            "Offline by default (VADER sentiment + a TF-IDF/logistic-regression model trained "
            "on the shipped corpus); with an LLM provider, JSON from the provider with the "
            "local model as fallback. 409 `ai_feature_disabled` when `features.classify` is off."
        ),
        request=s.AIClassifyInputSerializer,
        responses=s.AIClassifyResponseSerializer,
    )
    def post(self, request: Request) -> Response:
        payload = s.AIClassifyInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        result = services.ai_classify(
            text=payload.validated_data["text"],
            subject=payload.validated_data.get("subject") or None,
            user=request.user,
        )
        return Response(result)


@extend_schema(tags=["ai"])
class AISettingsView(APIView):
    """Read: admins and managers (with `ai`). Write: the `settings` module (admins)."""

    permission_classes = [IsAuthenticated, ModulePermission, AIStaffRole]
    module = modules.AI
    write_module = modules.SETTINGS
    staff_only_methods = ("GET", "HEAD", "OPTIONS")

    @extend_schema(summary="AI settings", responses=s.AISettingsSerializer)
    def get(self, request: Request) -> Response:
        return Response(s.ai_settings_data(selectors.ai_settings_current()))

    @extend_schema(
        summary="Change the AI settings (send only what changes)",
        description=(
            "`api_key` is write-only (the response shows `api_key_set` and `api_key_last4`). "
            "With `?test=true` one real call is made to the provider and the result is in "
            "`test` (`ok`, `error_code`)."
        ),
        parameters=[OpenApiParameter("test", bool, description="Make one test call.")],
        request=s.AISettingsSerializer,
        responses=s.AISettingsWithTestSerializer,
    )
    def put(self, request: Request) -> Response:
        test = request.query_params.get("test", "").lower()
        if test not in ("", "true", "false"):
            raise serializers.ValidationError({"test": ["Must be true or false."]})
        payload = s.AISettingsSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        api_key = data.pop("api_key", None)
        row = services.ai_settings_update(actor=request.user, data=data, api_key=api_key)
        body: dict[str, Any] = s.ai_settings_data(row)
        if test == "true":
            body["test"] = services.ai_settings_test(actor=request.user)
        return Response(body)

    patch = put


@extend_schema(tags=["ai"])
class KnowledgeDocumentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The knowledge base: everyone with `ai` reads; admins and managers write."""

    permission_classes = [IsAuthenticated, ModulePermission, AIStaffRole]
    module = modules.AI
    staff_only_methods = ("WRITE",)
    serializer_class = s.KnowledgeDocumentSerializer
    pagination_items_key = "documents"
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[KnowledgeDocument]:
        return selectors.knowledge_document_list()

    @extend_schema(summary="List knowledge documents (paginated, without their text)")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One knowledge document, with its text",
        responses=s.KnowledgeDocumentDetailSerializer,
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        document = KnowledgeDocument.objects.get(pk=self.get_object().pk)
        return Response(s.KnowledgeDocumentDetailSerializer(document).data)

    @extend_schema(
        summary="Add a knowledge document",
        description=(
            "JSON with `title` and `content` (markdown or text), or multipart with a `file` "
            "(.md, .txt, .pdf; text is extracted from PDFs). Indexed in the background "
            "(`status` pending → indexed). 413 `knowledge_document_too_large`, "
            "400 `knowledge_document_invalid`."
        ),
        request={
            "application/json": s.KnowledgeDocumentCreateInputSerializer,
            "multipart/form-data": s.KnowledgeDocumentCreateInputSerializer,
        },
        responses={201: s.KnowledgeDocumentDetailSerializer},
    )
    def create(self, request: Request) -> Response:
        payload = s.KnowledgeDocumentCreateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        upload = data.get("file")
        if upload is not None:
            if upload.size > settings.AI_KNOWLEDGE_MAX_BYTES:  # refuse before reading it
                raise KnowledgeDocumentTooLargeError(
                    details={"max_bytes": settings.AI_KNOWLEDGE_MAX_BYTES, "size": upload.size}
                )
            doc_type, content = knowledge_text_extract(file_name=upload.name, data=upload.read())
            file_name = upload.name
            title = data.get("title") or upload.name.rsplit(".", 1)[0]
        else:
            doc_type, content, file_name, title = (
                data["doc_type"],
                data["content"],
                "",
                data["title"],
            )
        document = services.knowledge_document_create(
            actor=request.user,
            title=title,
            content=content,
            doc_type=doc_type,
            file_name=file_name,
            tags=data.get("tags") or [],
            is_active=data["is_active"],
        )
        document.refresh_from_db()
        return Response(
            s.KnowledgeDocumentDetailSerializer(document).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Change a knowledge document (send only what changes)",
        request=s.KnowledgeDocumentUpdateInputSerializer,
        responses=s.KnowledgeDocumentDetailSerializer,
    )
    def update(self, request: Request, pk: str | None = None) -> Response:
        document = self.get_object()
        payload = s.KnowledgeDocumentUpdateInputSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        services.knowledge_document_update(
            actor=request.user, document_id=document.pk, data=dict(payload.validated_data)
        )
        return Response(
            s.KnowledgeDocumentDetailSerializer(KnowledgeDocument.objects.get(pk=document.pk)).data
        )

    @extend_schema(
        summary="Change a knowledge document (partial)",
        request=s.KnowledgeDocumentUpdateInputSerializer,
        responses=s.KnowledgeDocumentDetailSerializer,
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self.update(request, pk=pk)

    @extend_schema(summary="Delete a knowledge document", responses={204: None})
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.knowledge_document_delete(actor=request.user, document_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
