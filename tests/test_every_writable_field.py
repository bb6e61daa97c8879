"""Every writable field of every PUT/PATCH in the API, sent once through its real URL.

Generated from the OpenAPI schema (which drf-spectacular builds from the input serializers),
so a field added to a serializer joins this test by itself. A PUT/PATCH path must have a
target below (which object, as whom), else `test_every_update_endpoint_has_a_target` fails.
Each field is sent alone with a valid value of its schema type and must answer 2xx: a 500
here is what `PUT /cases/{id}` with `renewal_amount` answered (a Decimal written into a JSON
column of the case's timeline event).
"""

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from accounts.models import Role
from tests.accounts.factories import BranchFactory, UserFactory
from tests.renewals.factories import RenewalCaseFactory

pytestmark = pytest.mark.django_db

METHODS = ("put", "patch")


def _schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _writable_fields(schema: dict[str, Any]) -> list[tuple[str, str, str]]:
    components = schema["components"]["schemas"]
    out = []
    for path, item in sorted(schema["paths"].items()):
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body = (operation.get("requestBody") or {}).get("content", {})
            media = body.get("application/json")
            if media is None:
                continue
            properties = _resolve(media["schema"], components).get("properties", {})
            for name, prop in properties.items():
                if not prop.get("readOnly"):
                    out.append((method, path, name))
    return out


SCHEMA = _schema()
WRITABLE = _writable_fields(SCHEMA)


# --- Values --------------------------------------------------------------------------------
# By property name, where the type alone does not make a valid value (looked up at any depth).
NAMED: dict[str, Callable[[], Any]] = {
    "role": lambda: "agent",
    "branch": lambda: BranchFactory().pk,
    "timezone": lambda: "Europe/Paris",
    "start": lambda: "22:00",
    "end": lambda: "07:00",
    "email": lambda: f"field-{uuid.uuid4().hex[:10]}@example.com",
    "temperature": lambda: 0.5,  # AI settings: 0-2
    "assigned_to": lambda: UserFactory(role="agent").pk,  # an existing, active user
}


def _sample(schema: dict[str, Any], name: str, components: dict[str, Any]) -> Any:
    schema = _resolve(schema, components)
    if name in NAMED and schema.get("type") not in ("boolean", "object"):
        return NAMED[name]()
    for key in ("oneOf", "anyOf", "allOf"):
        if key in schema:
            options = [_resolve(o, components) for o in schema[key]]
            real = [o for o in options if o.get("maxLength") != 0 and o.get("enum") != [""]]
            return _sample((real or options)[0], name, components)
    if "enum" in schema:
        values = [v for v in schema["enum"] if v not in ("", None)]
        return values[-1]  # the last one: usually not the default, so something changes
    kind = schema.get("type")
    fmt = schema.get("format")
    if kind == "string":
        if fmt == "date-time":
            return timezone.now().replace(microsecond=0).isoformat()
        if fmt == "date":
            return (timezone.localdate() + dt.timedelta(days=30)).isoformat()
        if fmt == "time":
            return "22:00"
        if fmt == "email":
            return NAMED["email"]()
        if fmt == "uri":
            return "https://example.com/avatar.png"
        return f"Sample {name}"[: schema.get("maxLength", 100)]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1234.56
    if kind == "boolean":
        return True
    if kind == "array":
        return [_sample(schema.get("items", {}), name, components)]
    if kind == "object":
        props = schema.get("properties")
        if props:
            return {k: _sample(v, k, components) for k, v in props.items() if not v.get("readOnly")}
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and name == "channels":
            return {"assignment": _sample(extra, "channel", components)}
        return {}
    raise AssertionError(f"no sample for {name}: {schema}")


# --- Targets: which object each update path writes, as whom -------------------------------


def _me(client_for, users):
    return client_for(users["agent"]), "/api/v1/auth/me"


def _case(client_for, users):
    case = RenewalCaseFactory(assigned_to=users["agent"])
    return client_for(users["agent"]), f"/api/v1/cases/{case.pk}"


def _mark_all_read(client_for, users):
    return client_for(users["agent"]), "/api/v1/notifications/mark-all-read"


def _preferences(client_for, users):
    return client_for(users["agent"]), "/api/v1/notifications/preferences"


def _role(client_for, users):
    return client_for(users["admin"]), f"/api/v1/roles/{Role.objects.get(name='viewer').pk}"


def _user(client_for, users):
    other = UserFactory(role="viewer")
    return client_for(users["admin"]), f"/api/v1/users/{other.pk}"


def _ai_settings(client_for, users):
    client = client_for(users["admin"])
    # Provider fields first, so that switching `provider` alone is valid.
    client.put(
        "/api/v1/ai/settings",
        {
            "base_url": "http://127.0.0.1:9/v1",
            "azure_endpoint": "http://127.0.0.1:9",
            "azure_deployment": "renewals",
        },
        format="json",
    )
    return client, "/api/v1/ai/settings"


def _ai_knowledge(client_for, users):
    from ai_assistant.services import knowledge_document_create

    document = knowledge_document_create(actor=None, title="Playbook", content="Call early.")
    return client_for(users["manager"]), f"/api/v1/ai/knowledge/{document.pk}"


def _email_account(client_for, users):
    client = client_for(users["manager"])
    created = client.post(
        "/api/v1/email-accounts",
        {
            "name": "Support",
            "email": f"support-{uuid.uuid4().hex[:8]}@example.com",
            "provider": "imap",
            "imap_server": "127.0.0.1",
            "imap_port": 143,
            "smtp_server": "127.0.0.1",
            "smtp_port": 25,
            "username": "support",
            "password": "secret",
            "use_ssl": False,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    return client, f"/api/v1/email-accounts/{created.json()['data']['id']}"


def _email(client_for, users):
    from emails.models import Email

    email = Email.objects.create(
        message_id=f"<field-{uuid.uuid4().hex[:8]}@example.org>",
        from_email="customer@example.org",
        to_email="support@example.com",
        subject="Renewal",
        received_at=timezone.now(),
        assigned_to=users["agent"],
    )
    return client_for(users["agent"]), f"/api/v1/emails/{email.pk}"


def _customer_preferences(client_for, users):
    # Evidence on file for every channel, so `consent` alone (every channel on) is valid.
    evidence = {"at": "2026-01-05T10:00:00+00:00", "method": "web_form", "source": "portal"}
    case = RenewalCaseFactory(
        assigned_to=users["agent"],
        policy__agent=users["agent"],
        policy__customer__communication_preferences={
            "consent": {},
            "consent_evidence": dict.fromkeys(("email", "sms", "whatsapp", "phone"), evidence),
        },
    )
    customer = case.policy.customer
    return client_for(users["agent"]), f"/api/v1/customers/{customer.pk}/preferences"


TARGETS: dict[str, Callable] = {
    "/api/v1/customers/{id}/preferences": _customer_preferences,
    "/api/v1/emails/{id}": _email,
    "/api/v1/email-accounts/{id}": _email_account,
    "/api/v1/ai/knowledge/{id}": _ai_knowledge,
    "/api/v1/ai/settings": _ai_settings,
    "/api/v1/auth/me": _me,
    "/api/v1/cases/{id}": _case,
    "/api/v1/notifications/mark-all-read": _mark_all_read,
    "/api/v1/notifications/preferences": _preferences,
    "/api/v1/roles/{id}": _role,
    "/api/v1/users/{id}": _user,
}


def test_every_update_endpoint_has_a_target():
    paths = {path for _, path, _ in WRITABLE}
    assert paths - set(TARGETS) == set(), "add a target for the new PUT/PATCH endpoint"
    # The generation itself works: the fields the contract fix is about are in.
    assert ("put", "/api/v1/cases/{id}", "renewal_amount") in WRITABLE
    assert len(WRITABLE) >= 40


@pytest.mark.parametrize(("method", "path", "field"), WRITABLE, ids=[" ".join(w) for w in WRITABLE])
def test_writable_field_round_trip(
    method, path, field, client_for, admin_user, agent_user, manager_user
):
    components = SCHEMA["components"]["schemas"]
    body_schema = SCHEMA["paths"][path][method]["requestBody"]["content"]["application/json"]
    prop = _resolve(body_schema["schema"], components)["properties"][field]
    value = _sample(prop, field, components)
    client, url = TARGETS[path](
        client_for, {"admin": admin_user, "agent": agent_user, "manager": manager_user}
    )

    response = getattr(client, method)(url, {field: value}, format="json")

    assert response.status_code < 300, (field, value, response.status_code, response.content)
    assert response.json()["success"] is True
