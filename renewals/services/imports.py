"""Batch import: what a validated file row means for a customer, a policy and a renewal case.

The upload pipeline (uploads) reads files, validates rows and tracks batches; it hands each
chunk of validated rows to `import_rows` as plain data (`ImportRow`) and gets plain data back
(`ImportResult`). This module decides the rest, set-based, with a constant number of queries
per chunk: which customer and policy a row is (matching), what changed, upserts of customers
and policies, one case per policy term with its number and its `created` event, and the
dashboard cache bump once the chunk commits. Nothing here knows upload models; the batch is
only an id (the cases' provenance).

A row that touches an existing policy or customer outside the uploader's scope, or names a
branch outside it, is refused as a whole (`RowRefusal`, code `out_of_scope`). Changes of an
existing policy's branch or agent and of an existing customer's contact details are counted
(`policies_branch_changed`, `policies_agent_changed`, `customers_contact_changed`) so that
uploads can hold the batch for maker-checker approval like a premium change.

Two passes use it: a validation pass (`write=False`: dry runs, and before writes when
maker-checker approval may be needed) matches and counts but writes nothing; a writing pass
(`write=True`) also writes. State that spans chunks of one run (customers already counted,
round-robin turns) lives on the `ImportBatch` the caller keeps between chunks.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from core.fields import KeyedHashField
from intelipro.db import in_values
from renewals.models import CaseEvent, Customer, Policy, RenewalCase
from renewals.services.bulk import rows_copy, rows_insert_new, rows_upsert
from renewals.services.cache import dashboard_cache_bump
from renewals.services.numbering import case_numbers_allocate

if TYPE_CHECKING:
    from accounts.models import User

CUSTOMER_FIELDS = ("first_name", "last_name", "email", "phone", "date_of_birth", "address")
# Optional customer details: a blank cell keeps what we already know.
CUSTOMER_KEEP_IF_BLANK = ("email", "phone", "date_of_birth", "address")
POLICY_FIELDS = (
    "customer_id",
    "policy_type",
    "premium_amount",
    "start_date",
    "end_date",
    "renewal_date",
    "agent_id",
    "branch_id",
)
# Details through which a customer is reached: changing them on an existing customer is a
# sensitive change (it counts towards maker-checker approval, like premium changes).
CUSTOMER_CONTACT_FIELDS = ("email", "phone", "address")
# Counters of ImportResult.summary; a caller sums them over chunks.
SUMMARY_COUNTERS = (
    "customers_new",
    "customers_changed",
    "policies_new",
    "policies_changed",
    "policies_unchanged",
    "cases_new",
    "cases_existing",
    # Sensitive changes of existing records (maker-checker): a policy moved to another
    # branch or agent, an existing customer's email, phone or address changed.
    "policies_branch_changed",
    "policies_agent_changed",
    "customers_contact_changed",
)
OUT_OF_SCOPE = "out_of_scope"


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One validated file row. `values` holds: policy_number, customer_code, first_name,
    last_name, email, phone, date_of_birth, address, policy_type, premium_amount,
    renewal_amount, start_date, end_date, renewal_date, priority, agent_id (or None),
    branch_id (or None)."""

    number: int  # the row number the uploader sees (1-based after the header)
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RowRefusal:
    """A valid row that renewals refuses (nothing of it is written), e.g. `out_of_scope`."""

    number: int
    column: str
    value: str
    code: str
    message: str


@dataclass
class ImportBatch:
    """One batch's import as renewals sees it: plain ids, and the state kept across chunks.

    Open it with `import_batch_open` once per run and pass it to every `import_rows` call.
    """

    batch_id: int
    uploader_id: int | None
    default_branch_id: int | None  # a new policy without a branch goes to the uploader's
    # The uploader when their scope is limited (renewals.selectors); None = sees everything.
    uploader: "User | None"
    pools: dict[int, list[int]]  # branch id -> active agents, for round-robin assignment
    round_robin: dict[str, int] = field(default_factory=dict)  # branch id -> next turn
    seen_customers: set[str] = field(default_factory=set)  # counted as new already


@dataclass
class ImportResult:
    """What one chunk meant: SUMMARY_COUNTERS plus premium movement and round-robin state,
    and the rows refused (not written, not counted in the summary)."""

    summary: dict[str, Any]
    refused: list[RowRefusal] = field(default_factory=list)


def import_batch_open(
    *, batch_id: int, uploader_id: int | None, round_robin: Mapping[str, int] | None = None
) -> ImportBatch:
    """Load what a run over a batch needs besides its rows (one query for the agent pools).

    `round_robin` is the state a previous run stored (resumed batches continue the turns).
    """
    from accounts import modules
    from accounts.models import User
    from renewals.selectors import sees_everything

    pools: dict[int, list[int]] = {}
    agents = (
        User.objects.filter(
            status=User.Status.ACTIVE, role__name=modules.AGENT, branch__isnull=False
        )
        .order_by("id")
        .values_list("id", "branch_id")
    )
    for agent_id, branch_id in agents:
        pools.setdefault(branch_id, []).append(agent_id)
    uploader = None
    if uploader_id is not None:
        uploader = User.objects.select_related("role").filter(pk=uploader_id).first()
    return ImportBatch(
        batch_id=batch_id,
        uploader_id=uploader_id,
        default_branch_id=uploader.branch_id if uploader else None,
        # A batch without an uploader (a system import) is not limited.
        uploader=None if uploader is None or sees_everything(uploader) else uploader,
        pools=pools,
        round_robin=dict(round_robin or {}),
    )


def _round_robin_pick(batch: ImportBatch, branch_id: int | None) -> int | None:
    pool = batch.pools.get(branch_id) if branch_id else None
    if not pool:
        return None
    key = str(branch_id)
    turn = batch.round_robin.get(key, 0)
    batch.round_robin[key] = turn + 1
    return pool[turn % len(pool)]


# --- matching -------------------------------------------------------------------------------


# Email and phone are encrypted at rest: an existing customer's are compared through their
# keyed hashes (HMAC of the lowercased email / E.164 phone), never decrypted for matching.
_HASHED = {"email": "email_hash", "phone": "phone_hash"}
# What customers_match reads: plain and encrypted-but-needed columns, hashes for the rest.
_MATCH_FIELDS = tuple(_HASHED.get(name, name) for name in CUSTOMER_FIELDS)


def customers_match(*, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The existing customers that file rows name, by customer code: {code: {id, fields}}.

    The one place that finds and reads back the customers of a chunk (one query). Email and
    phone come back as their lookup hashes (`email_hash`, `phone_hash`), not decrypted;
    compare a file value with `customer_contact_hash(name, value)`.
    """
    rows = (
        Customer.objects.filter(customer_code__in=in_values(list(codes), "text"))
        .order_by()
        .values_list("customer_code", "id", *_MATCH_FIELDS)
    )
    return {
        row[0]: {"id": row[1], **dict(zip(_MATCH_FIELDS, row[2:], strict=True))} for row in rows
    }


def customer_contact_hash(name: str, value: str | None) -> str:
    """The lookup hash of a file's email or phone value, as stored beside the encrypted one."""
    field = Customer._meta.get_field(_HASHED[name])
    if not isinstance(field, KeyedHashField):
        raise TypeError(f"Customer.{_HASHED[name]} is not a keyed hash")
    return field.hash_of(value)


def _customers_contact_plaintext(codes: list[str]) -> dict[str, dict[str, str]]:
    """Decrypted email and phone of some existing customers (one query): only for rows whose
    blank cell keeps the known value while another detail changes, so the rewrite keeps it."""
    if not codes:
        return {}
    rows = (
        Customer.objects.filter(customer_code__in=in_values(codes, "text"))
        .order_by()
        .values_list("customer_code", *_HASHED)
    )
    return {row[0]: dict(zip(_HASHED, row[1:], strict=True)) for row in rows}


def policies_match(*, numbers: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The existing policies that file rows name, by policy number (one query)."""
    rows = (
        Policy.objects.filter(policy_number__in=in_values(list(numbers), "text"))
        .order_by()
        .values_list("policy_number", "id", *POLICY_FIELDS)
    )
    return {
        row[0]: {"id": row[1], **dict(zip(POLICY_FIELDS, row[2:], strict=True))} for row in rows
    }


def _rows_in_scope(
    *,
    rows: Sequence[ImportRow],
    batch: ImportBatch,
    customers: Mapping[str, dict[str, Any]],
    policies: Mapping[str, dict[str, Any]],
) -> tuple[list[ImportRow], list[RowRefusal]]:
    """Refuse (`out_of_scope`) the rows that touch an existing policy or customer the uploader
    may not see, or name a branch outside the uploader's (two queries per chunk at most).

    Scope is the one of the API (renewals.selectors.policy_list / customer_list): a manager
    limited to a branch sees that branch's policies and the customers with a policy there.
    """
    user = batch.uploader
    if user is None:
        return list(rows), []
    from renewals.selectors import customer_list, policy_list

    policy_ids = [policy["id"] for policy in policies.values()]
    visible_policies = (
        set(
            policy_list(user=user)
            .filter(pk__in=in_values(policy_ids, "bigint"))
            .order_by()
            .values_list("pk", flat=True)
        )
        if policy_ids
        else set()
    )
    customer_ids = [customer["id"] for customer in customers.values()]
    visible_customers = (
        set(
            customer_list(user=user)
            .filter(pk__in=in_values(customer_ids, "bigint"))
            .order_by()
            .values_list("pk", flat=True)
        )
        if customer_ids
        else set()
    )
    kept, refused = [], []
    for row in rows:
        values = row.values
        policy = policies.get(values["policy_number"])
        customer = customers.get(values["customer_code"])
        if policy is not None and policy["id"] not in visible_policies:
            problem = ("policy_number", values["policy_number"], "policy")
        elif customer is not None and customer["id"] not in visible_customers:
            problem = ("customer_code", values["customer_code"], "customer")
        elif values["branch_id"] and values["branch_id"] != user.branch_id:
            problem = ("branch_code", values.get("branch_code") or "", "branch")
        else:
            kept.append(row)
            continue
        column, value, what = problem
        refused.append(
            RowRefusal(
                number=row.number,
                column=column,
                value=value,
                code=OUT_OF_SCOPE,
                message=f"this {what} is outside your scope; nothing of the row was changed",
            )
        )
    return kept, refused


# --- the import -----------------------------------------------------------------------------


def import_rows(*, rows: Sequence[ImportRow], batch: ImportBatch, write: bool) -> ImportResult:
    """Match one chunk of validated rows and, when `write`, upsert customers and policies and
    open one case per new policy term (numbered, with its `created` event).

    Runs in the caller's transaction when there is one (uploads commits the chunk, its
    checkpoint and its counters together), in its own otherwise. Queries per chunk are
    constant. Customers: the last row of a customer in the chunk wins; a blank optional
    detail keeps what we know. Policies: one row per policy number (the caller refuses
    duplicates). Cases: one per (policy, renewal_date), open or closed, ever.
    """
    with transaction.atomic(savepoint=False):
        result = _import(rows=rows, batch=batch, write=write)
        if write:
            transaction.on_commit(dashboard_cache_bump)
    return result


def _import(*, rows: Sequence[ImportRow], batch: ImportBatch, write: bool) -> ImportResult:
    summary: dict[str, Any] = dict.fromkeys(SUMMARY_COUNTERS, 0)
    max_pct = 0.0
    delta_total = Decimal("0")
    now = timezone.now()

    existing_customers = customers_match(
        codes=list({row.values["customer_code"]: None for row in rows})
    )
    existing_policies = policies_match(numbers=[row.values["policy_number"] for row in rows])
    rows, refused = _rows_in_scope(
        rows=rows, batch=batch, customers=existing_customers, policies=existing_policies
    )

    # Customers: the last row of a customer in the chunk wins.
    wanted: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        wanted[row.values["customer_code"]] = row.values
    customer_ids = {code: known["id"] for code, known in existing_customers.items()}
    customer_writes = []
    keep_contact: list[tuple[dict[str, Any], str, str]] = []  # (write, code, field) to fill
    for code, values in wanted.items():
        desired = {name: values[name] for name in CUSTOMER_FIELDS}
        current = existing_customers.get(code)
        if current is None:
            if code not in batch.seen_customers:
                summary["customers_new"] += 1
            customer_writes.append({"customer_code": code, **desired})
        else:
            known = {name: current[name] for name in _MATCH_FIELDS}
            compare = {_HASHED.get(name, name): value for name, value in desired.items()}
            kept = []
            for name in CUSTOMER_KEEP_IF_BLANK:
                if desired[name] in ("", None):
                    key = _HASHED.get(name, name)
                    compare[key] = desired[name] = known[key]
                    if name in _HASHED:
                        kept.append(name)
            for name, hash_name in _HASHED.items():
                if name not in kept:
                    compare[hash_name] = customer_contact_hash(name, desired[name])
            if compare != known:
                summary["customers_changed"] += 1
                write_row = {"customer_code": code, **desired}
                customer_writes.append(write_row)
                keep_contact.extend((write_row, code, name) for name in kept)
                if any(
                    compare[_HASHED.get(name, name)] != known[_HASHED.get(name, name)]
                    for name in CUSTOMER_CONTACT_FIELDS
                ):
                    summary["customers_contact_changed"] += 1
        batch.seen_customers.add(code)
    if keep_contact:
        plaintext = _customers_contact_plaintext(sorted({code for _w, code, _n in keep_contact}))
        for write_row, code, name in keep_contact:
            write_row[name] = plaintext[code][name]
    if write and customer_writes:
        customer_ids.update(
            rows_upsert(
                model=Customer,
                rows=customer_writes,
                key="customer_code",
                update_fields=list(CUSTOMER_FIELDS),
            )
        )

    # Policies: one row per policy number (duplicates were refused in validation).
    policy_ids = {number: known["id"] for number, known in existing_policies.items()}
    policy_writes = []
    policy_rows: list[tuple[Mapping[str, Any], dict[str, Any]]] = []
    for row in rows:
        values = row.values
        number = values["policy_number"]
        current = existing_policies.get(number)
        before = {name: current[name] for name in POLICY_FIELDS} if current else None
        branch_id = values["branch_id"] or (
            before["branch_id"] if before else batch.default_branch_id
        )
        agent_id = values["agent_id"] or (before["agent_id"] if before else None)
        if agent_id is None:
            agent_id = _round_robin_pick(batch, branch_id)
        desired = {
            "customer_id": customer_ids.get(values["customer_code"]),
            "policy_type": values["policy_type"],
            "premium_amount": values["premium_amount"],
            "start_date": values["start_date"],
            "end_date": values["end_date"],
            "renewal_date": values["renewal_date"],
            "agent_id": agent_id,
            "branch_id": branch_id,
        }
        if before is None:
            summary["policies_new"] += 1
            policy_writes.append({"policy_number": number, **desired})
        elif desired != before:
            summary["policies_changed"] += 1
            policy_writes.append({"policy_number": number, **desired})
            for name, counter in (
                ("branch_id", "policies_branch_changed"),
                ("agent_id", "policies_agent_changed"),
            ):
                # A move away from someone; giving an unassigned policy its first agent is not.
                if before[name] is not None and desired[name] != before[name]:
                    summary[counter] += 1
            old = before["premium_amount"]
            new = desired["premium_amount"]
            if old != new:
                delta_total += abs(new - old)
                pct = 100.0 if not old else float(abs(new - old) * 100 / old)
                max_pct = max(max_pct, pct)
        else:
            summary["policies_unchanged"] += 1
        policy_rows.append((values, desired))
    if write and policy_writes:
        policy_ids.update(
            rows_upsert(
                model=Policy,
                rows=policy_writes,
                key="policy_number",
                update_fields=list(POLICY_FIELDS),
            )
        )

    # Cases: one per policy term (policy, renewal_date), open or closed, ever.
    term_policy_ids = [
        pk for pk in (policy_ids.get(v["policy_number"]) for v, _d in policy_rows) if pk
    ]
    known_terms = set(
        RenewalCase.objects.filter(policy_id__in=in_values(term_policy_ids, "bigint"))
        .order_by()
        .values_list("policy_id", "renewal_date")
    )
    new_cases = []
    for values, desired in policy_rows:
        policy_id = policy_ids.get(values["policy_number"])
        if policy_id is not None and (policy_id, values["renewal_date"]) in known_terms:
            summary["cases_existing"] += 1
            continue
        summary["cases_new"] += 1
        new_cases.append(
            {
                "policy_id": policy_id,
                "status": RenewalCase.Status.NEW,
                "priority": values["priority"],
                "assigned_to_id": desired["agent_id"],
                "batch_id": batch.batch_id,
                "renewal_date": values["renewal_date"],
                "renewal_amount": values["renewal_amount"],
            }
        )
    if write and new_cases:
        numbers = case_numbers_allocate(count=len(new_cases), year=now.year)
        for case, number in zip(new_cases, numbers, strict=True):
            case["case_number"] = number
        inserted = rows_insert_new(model=RenewalCase, rows=new_cases, key="case_number")
        details = f"Automatic case creation from batch upload #{batch.batch_id}"
        # A concurrent batch may have opened the same term first: not ours, not new.
        skipped = len(new_cases) - len(inserted)
        summary["cases_new"] -= skipped
        summary["cases_existing"] += skipped
        rows_copy(
            model=CaseEvent,
            rows=[
                {
                    "case_id": case_id,
                    "kind": CaseEvent.Kind.CREATED,
                    "action": "Case created",
                    "details": details,
                    "new_value": {"status": RenewalCase.Status.NEW, "batch_id": batch.batch_id},
                    "created_at": now,
                }
                for case_id in inserted.values()
            ],
        )
    summary["premium_change_max_percent"] = round(max_pct, 2)
    summary["premium_change_total"] = str(delta_total)
    summary["round_robin"] = dict(batch.round_robin)
    return ImportResult(summary=summary, refused=refused)
