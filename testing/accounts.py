"""Builders of accounts rows (users, branches, the seeded roles), shared by tests/ and bench/."""

import factory

from accounts.models import Branch, Role, User

DEFAULT_PASSWORD = "Correct-Horse-Battery-42"


def seed_roles() -> None:
    """The roles of accounts' data migration, written by the migration's own function (a
    transactional test's flush deletes them)."""
    import importlib

    from django.apps import apps

    importlib.import_module("accounts.migrations.0002_seed_roles").seed_roles(apps, None)
    importlib.import_module("accounts.migrations.0004_role_module_ai").add_ai_module(apps, None)
    importlib.import_module("accounts.migrations.0006_role_module_messaging").add_messaging_module(
        apps, None
    )


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"BR{n:03d}")
    name = factory.Sequence(lambda n: f"Branch {n}")
    region = "north"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    status = User.Status.ACTIVE

    @factory.lazy_attribute
    def role(self) -> Role:
        return Role.objects.get(name="agent")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        role = kwargs.get("role")
        if isinstance(role, str):
            kwargs["role"] = Role.objects.get(name=role)
        password = kwargs.pop("password", DEFAULT_PASSWORD)
        user = model_class(*args, **kwargs)
        user.set_password(password)
        user.save()
        return user
