from files.api.views import FileDownloadAliasView, FilePublicDownloadView, FileViewSet
from intelipro.api.routers import OptionalSlashRouter, path

app_name = "files"

router = OptionalSlashRouter()
router.register(r"files", FileViewSet, basename="file")

urlpatterns = [
    path(r"files/public/(?P<token>[^/]+)", FilePublicDownloadView.as_view(), name="file-public"),
    path(
        r"files/download/(?P<pk>[0-9]+)",
        FileDownloadAliasView.as_view(),
        name="file-download-alias",
    ),
    *router.urls,
]
