"""The real URLconf plus a few probe views that raise each kind of error through the real
renderer, exception handler, pagination and throttling (used with @pytest.mark.urls)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import include, re_path
from rest_framework import generics, serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from intelipro.api.errors import DomainError
from intelipro.api.routers import path
from intelipro.api.throttling import CacheRateThrottle
from intelipro.urls import urlpatterns as real_urlpatterns


class EchoInput(serializers.Serializer):
    name = serializers.CharField(max_length=10)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)


class EchoView(APIView):
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    def get(self, request):
        return Response({"ok": True, "amount": 25000.5})

    def post(self, request):
        payload = EchoInput(data=request.data)
        payload.is_valid(raise_exception=True)
        return Response(payload.validated_data, status=status.HTTP_201_CREATED)

    def delete(self, request):
        return Response(status=status.HTTP_204_NO_CONTENT)


class PrivateView(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"user": request.user.email})


class ErrorView(APIView):
    permission_classes = [AllowAny]

    def get(self, request, kind):
        if kind == "conflict":
            raise DomainError(
                "Case is closed.", code="case_invalid_transition", details={"status": "lost"}
            )
        if kind == "too-large":
            raise DomainError("Too big.", code="file_too_large", status_code=413)
        if kind == "django-404":
            raise Http404("nothing here")
        if kind == "django-403":
            raise DjangoPermissionDenied
        if kind == "django-validation":
            raise DjangoValidationError({"email": ["Enter a valid email."]})
        raise RuntimeError("secret internals: password=hunter2")


class OnePerMinute(CacheRateThrottle):
    scope = "probe"

    def allow_request(self, request, view):
        from intelipro.api.throttling import rate_hit

        state = rate_hit(scope=self.scope, ident=self.get_ident_for(request), rate="2/m")
        self._retry_after = state.retry_after
        return not state.exceeded


class ThrottledView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [OnePerMinute]

    def get(self, request):
        return Response({"ok": True})


class ItemsView(generics.ListAPIView):
    permission_classes = [AllowAny]
    pagination_items_key = "items"

    def get_queryset(self):
        return [{"n": n} for n in range(1, 26)]

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(page)


probe_patterns = [
    path(r"echo", EchoView.as_view(), name="echo"),
    path(r"private", PrivateView.as_view(), name="private"),
    path(r"errors/(?P<kind>[a-z0-9-]+)", ErrorView.as_view(), name="errors"),
    path(r"throttled", ThrottledView.as_view(), name="throttled"),
    path(r"items", ItemsView.as_view(), name="items"),
]

urlpatterns = [
    re_path(r"^api/v1/_probe/", include((probe_patterns, "probe"), namespace="probe")),
    *real_urlpatterns,
]
