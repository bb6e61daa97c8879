from django.apps import AppConfig


class UploadsConfig(AppConfig):
    """Insurers' Excel/CSV renewal files turned into customers, policies and cases."""

    name = "uploads"

    def ready(self) -> None:
        # A batch's original file is a File attached to the batch: who may see the batch
        # (one rule, uploads.selectors.upload_batch_visible) may see it.
        from files.entities import entity_register
        from files.models import EntityType
        from uploads import selectors
        from uploads.models import UploadBatch

        entity_register(
            EntityType.BATCH,
            model=UploadBatch,
            visible=lambda user: selectors.upload_batch_visible(user=user),
        )
