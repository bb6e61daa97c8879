"""The Web Push subscription's auth secret is encrypted at rest (issue 13): the column becomes
an encrypted text column and existing values are encrypted in batches (not reversible)."""

from django.db import migrations

import core.fields
from core.key_rotation import encrypt_existing_values


def encrypt_auth(apps, schema_editor):
    subscription = apps.get_model("notifications", "PushSubscription")
    encrypt_existing_values(model=subscription, field_names=["auth"])


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="pushsubscription",
            name="auth",
            field=core.fields.EncryptedCharField(max_length=255),
        ),
        migrations.RunPython(encrypt_auth),
    ]
