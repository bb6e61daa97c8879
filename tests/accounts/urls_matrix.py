"""Test-only URLconf: one tiny probe viewset per module of the matrix, plus a scoped viewset,
mounted next to the real project URLs so ModulePermission runs through real routing."""

from django.urls import include, re_path
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import modules
from accounts.models import Branch
from accounts.permissions import ModulePermission, scope_queryset
from intelipro import urls as project_urls
from intelipro.api.routers import OptionalSlashRouter


def _probe_for(module: str) -> type[viewsets.ViewSet]:
    class ModuleProbeViewSet(viewsets.ViewSet):
        permission_classes = [IsAuthenticated, ModulePermission]

        def list(self, request: Request) -> Response:
            return Response({"module": self.module})

        def create(self, request: Request) -> Response:
            return Response({"module": self.module}, status=201)

    ModuleProbeViewSet.module = module
    ModuleProbeViewSet.__name__ = f"{module.title()}ProbeViewSet"
    return ModuleProbeViewSet


class BranchProbeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Branch
        fields = ["id", "code", "name"]


class ScopedBranchViewSet(
    mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """A record "assigned" to a user (Branch.manager) and "in a branch" (itself)."""

    serializer_class = BranchProbeSerializer
    permission_classes = [IsAuthenticated, ModulePermission]
    module = modules.CASES

    def get_queryset(self):
        return scope_queryset(
            Branch.objects.all(), self.request.user, assignee_field="manager", branch_field="pk"
        )


router = OptionalSlashRouter()
for _module in modules.ALL_MODULES:
    router.register(f"probe/{_module}", _probe_for(_module), basename=f"probe-{_module}")
router.register("probe-scoped/branches", ScopedBranchViewSet, basename="probe-branch")

urlpatterns = [
    re_path(r"^", include((router.urls, "probe"), namespace="probe")),
    *project_urls.urlpatterns,
]
