"""Row validation: one file row in, clean values or a list of problems out.

Pure functions over the cells of a row plus a lookup context (agents, branches) that the
pipeline loads set-based, once per chunk; nothing here touches the database.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from core.spreadsheets import ESCAPE, cell_unescape
from uploads.columns import ADDRESS_COLUMNS

MAX_AMOUNT = Decimal("9999999999.99")  # DECIMAL(12,2)
POLICY_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.\-]*$")
TEXT_LIMITS = {
    "policy_number": 100,
    "customer_code": 50,
    "customer_first_name": 100,
    "customer_last_name": 100,
    "customer_email": 255,
    "agent_email": 255,
    "branch_code": 20,
}
PRIORITIES = ("low", "medium", "high", "urgent")
MIXED_POLICY_TYPES = "mixed"  # the batch's policy_type when a file holds several lines
_CURRENCY = str.maketrans("", "", " \u00a0$€£₹")
_email_validator = EmailValidator()
# Memoized parses per distinct cell text (dates, amounts, phones and emails repeat a lot in
# renewal files: one customer per several policies, a few hundred distinct dates). The
# caches live on the RowContext of one pipeline run and are cleared when they grow past this.
MEMO_LIMIT = 50_000
_MISS = object()


@dataclass(frozen=True)
class AgentInfo:
    id: int
    active: bool
    can_work_cases: bool
    branch_id: int | None


@dataclass
class RowContext:
    """What validation needs to know beyond the row itself."""

    policy_types: frozenset[str]
    batch_policy_type: str
    phone_region: str
    today: dt.date
    branches: dict[str, int]  # branch code (upper case) -> id
    agents: dict[str, AgentInfo] = field(default_factory=dict)  # lower-case email -> agent
    memo: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"date": {}, "amount": {}, "phone": {}, "email": {}}
    )

    def phone_parser(self, value: Any) -> str:
        """parse_phone in this context's default region (memoized per distinct cell)."""
        return parse_phone(value, self.phone_region)


class _Failure:
    """A memoized ValueError."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def _memoized(cache: dict[str, Any], parse: Callable[[Any], Any], value: Any) -> Any:
    """parse(value), remembered per distinct string value (other cell types are parsed)."""
    if type(value) is not str:
        return parse(value)
    hit = cache.get(value, _MISS)
    if hit is _MISS:
        try:
            hit = parse(value)
        except ValueError as exc:
            hit = _Failure(str(exc))
        if len(cache) >= MEMO_LIMIT:
            cache.clear()
        cache[value] = hit
    if type(hit) is _Failure:
        raise ValueError(hit.message)
    return hit


def email_is_valid(email: str) -> bool:
    try:
        _email_validator(email)
    except ValidationError:
        return False
    return True


@dataclass
class Problem:
    column: str
    value: str
    error: str


def cell_text(value: Any) -> str:
    """A cell as the text a person sees: 12345.0 -> "12345", dates as ISO, trimmed."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.strip()
        if text[:1] == ESCAPE:  # our errors.csv neutralized a formula-like cell: undo it
            text = cell_unescape(text).strip()
        return text
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_date(value: Any) -> dt.date | None:
    """ISO 8601 (2025-03-31) or dd/mm/yyyy (31/03/2025); Excel date cells as they are."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    if not text:
        return None
    try:
        if "/" in text:
            day, month, year = text.split("/")
            if len(year) != 4:
                raise ValueError(text)
            return dt.date(int(year), int(month), int(day))
        if len(text) > 10:
            return dt.datetime.fromisoformat(text).date()
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError("must be a date as YYYY-MM-DD or DD/MM/YYYY") from exc


def parse_amount(value: Any) -> Decimal | None:
    """A non-negative amount with at most 2 decimals; accepts 1,234.50 and 1234,50."""
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    else:
        text = cell_text(value).translate(_CURRENCY)
        if not text:
            return None
        if "," in text and "." in text:
            # The last separator is the decimal one: 1,234.50 or 1.234,50.
            if text.rfind(",") > text.rfind("."):
                text = text.replace(".", "").replace(",", ".")
            else:
                text = text.replace(",", "")
        elif "," in text:
            head, _, tail = text.rpartition(",")
            text = (
                f"{head.replace(',', '')}.{tail}" if len(tail) in (1, 2) else text.replace(",", "")
            )
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError("must be a number") from exc
    if not amount.is_finite():
        raise ValueError("must be a number")
    if amount < 0:
        raise ValueError("must not be negative")
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        raise ValueError("must have at most 2 decimal places")
    if amount > MAX_AMOUNT:
        raise ValueError("is too large")
    return amount.quantize(Decimal("0.01"))


def parse_phone(value: Any, region: str) -> str:
    text = cell_text(value)
    if not text:
        return ""
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("is not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def row_validate(
    cells: list[Any], positions: dict[str, int], ctx: RowContext
) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Clean values of one row, or None and every problem found (one entry per problem)."""
    problems: list[Problem] = []
    width = len(cells)
    memo = ctx.memo
    dates, amounts = memo["date"], memo["amount"]

    def raw(column: str) -> Any:
        index = positions.get(column)
        return cells[index] if index is not None and index < width else None

    def text(column: str, *, required: bool = False) -> str:
        value = cell_text(raw(column))
        if required and not value:
            problems.append(Problem(column, value, "is required"))
        limit = TEXT_LIMITS.get(column, 255)
        if len(value) > limit:
            problems.append(Problem(column, value[:100], f"is longer than {limit} characters"))
        return value

    def date(column: str, *, required: bool = False) -> dt.date | None:
        value = raw(column)
        try:
            parsed = _memoized(dates, parse_date, value)
        except ValueError as exc:
            problems.append(Problem(column, cell_text(value), str(exc)))
            return None
        if parsed is None and required:
            problems.append(Problem(column, "", "is required"))
        return parsed

    def amount(column: str, *, required: bool = False) -> Decimal | None:
        value = raw(column)
        try:
            parsed = _memoized(amounts, parse_amount, value)
        except ValueError as exc:
            problems.append(Problem(column, cell_text(value), str(exc)))
            return None
        if parsed is None and required:
            problems.append(Problem(column, "", "is required"))
        return parsed

    policy_number = text("policy_number", required=True)
    if policy_number and not POLICY_NUMBER_RE.match(policy_number):
        problems.append(
            Problem(
                "policy_number",
                policy_number,
                "has an invalid format (letters, digits and / _ . - only)",
            )
        )
    customer_code = text("customer_code", required=True)
    first_name = text("customer_first_name", required=True)
    last_name = text("customer_last_name", required=True)

    email = text("customer_email").lower()
    if email and not _memoized(memo["email"], email_is_valid, email):
        problems.append(Problem("customer_email", email, "is not a valid email address"))

    phone = ""
    phone_raw = raw("customer_phone")
    try:
        phone = _memoized(memo["phone"], ctx.phone_parser, phone_raw)
    except ValueError as exc:
        problems.append(Problem("customer_phone", cell_text(phone_raw), str(exc)))

    policy_type = text("policy_type").lower()
    batch_type = ctx.batch_policy_type
    if not policy_type and batch_type != MIXED_POLICY_TYPES:
        policy_type = batch_type
    if not policy_type:
        problems.append(Problem("policy_type", "", "is required"))
    elif policy_type not in ctx.policy_types:
        problems.append(Problem("policy_type", policy_type, "is not a known policy type"))
    elif batch_type != MIXED_POLICY_TYPES and policy_type != batch_type:
        problems.append(
            Problem("policy_type", policy_type, f"does not match the batch's type '{batch_type}'")
        )

    premium = amount("premium_amount", required=True)
    renewal_amount = amount("renewal_amount")
    start_date = date("start_date", required=True)
    end_date = date("end_date", required=True)
    renewal_date = date("renewal_date", required=True)
    if start_date and end_date and end_date <= start_date:
        problems.append(Problem("end_date", end_date.isoformat(), "must be after start_date"))
    if start_date and renewal_date and renewal_date < start_date:
        problems.append(
            Problem("renewal_date", renewal_date.isoformat(), "must not be before start_date")
        )
    date_of_birth = date("date_of_birth")
    if date_of_birth and date_of_birth >= ctx.today:
        problems.append(Problem("date_of_birth", date_of_birth.isoformat(), "must be in the past"))

    priority = text("priority").lower() or "medium"
    if priority not in PRIORITIES:
        problems.append(Problem("priority", priority, "must be one of low, medium, high, urgent"))

    agent_email = text("agent_email").lower()
    agent_id = None
    if agent_email:
        agent = ctx.agents.get(agent_email)
        if agent is None:
            problems.append(Problem("agent_email", agent_email, "is not a known user"))
        elif not agent.active:
            problems.append(Problem("agent_email", agent_email, "is not an active user"))
        elif not agent.can_work_cases:
            problems.append(Problem("agent_email", agent_email, "cannot be assigned cases"))
        else:
            agent_id = agent.id

    branch_code = text("branch_code").upper()
    branch_id = None
    if branch_code:
        branch_id = ctx.branches.get(branch_code)
        if branch_id is None:
            problems.append(Problem("branch_code", branch_code, "is not a known branch"))

    address = {}
    for column in ADDRESS_COLUMNS:
        if column in positions:
            value = text(column)
            if value:
                address[column] = value

    if problems:
        return None, problems
    return {
        "policy_number": policy_number,
        "customer_code": customer_code,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "phone": phone,
        "date_of_birth": date_of_birth,
        "address": address or None,
        "policy_type": policy_type,
        "premium_amount": premium,
        "renewal_amount": renewal_amount if renewal_amount is not None else premium,
        "start_date": start_date,
        "end_date": end_date,
        "renewal_date": renewal_date,
        "priority": priority,
        "agent_id": agent_id,
        "branch_id": branch_id,
        "branch_code": branch_code,
    }, []
