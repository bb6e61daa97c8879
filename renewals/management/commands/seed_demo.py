"""`seed_demo`: realistic demo data — branches, managers, agents, customers, policies, renewal
cases with timelines and payments. A fixed --seed gives the same data on an empty database."""

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from accounts.models import Branch, Role, User
from core.services import audit_log
from renewals import lifecycle
from renewals.models import CaseEvent, Customer, Payment, Policy, RenewalCase
from renewals.services import dashboard_cache_bump
from renewals.services.numbering import case_numbers_allocate

DEMO_STAFF_PASSWORD = "Intelipro-Staff-2026!"  # noqa: S105 - demo accounts, printed on purpose
CHUNK = 1000  # rows per bulk insert: bounded memory, one progress-bar step

BRANCHES = [
    ("MUM01", "Mumbai Central", "west"),
    ("DEL01", "Delhi Connaught Place", "north"),
    ("BLR01", "Bengaluru Tech Park", "south"),
    ("KOL01", "Kolkata Park Street", "east"),
]
FIRST = [
    "Aarav",
    "Vivaan",
    "Aditya",
    "Ishaan",
    "Priya",
    "Ananya",
    "Diya",
    "Kavya",
    "Rohan",
    "Arjun",
    "Meera",
    "Sneha",
    "Rahul",
    "Neha",
    "Vikram",
    "Pooja",
    "Karan",
    "Riya",
    "Amit",
    "Sunita",
    "John",
    "Maria",
    "David",
    "Sarah",
    "Fatima",
    "Imran",
    "Grace",
    "Thomas",
    "Leela",
    "Nikhil",
]
LAST = [
    "Sharma",
    "Verma",
    "Iyer",
    "Nair",
    "Reddy",
    "Gupta",
    "Mehta",
    "Patel",
    "Khan",
    "Das",
    "Singh",
    "Kapoor",
    "Joshi",
    "Menon",
    "Rao",
    "Bose",
    "Fernandes",
    "D'Souza",
    "Chatterjee",
    "Pillai",
    "Mukherjee",
    "Agarwal",
    "Banerjee",
    "Kulkarni",
    "Shetty",
]
CITIES = {"west": "Mumbai", "north": "Delhi", "south": "Bengaluru", "east": "Kolkata"}
TYPES = [
    ("auto", 0.4, 8000, 45000),
    ("health", 0.3, 12000, 60000),
    ("life", 0.2, 20000, 150000),
    ("home", 0.1, 5000, 30000),
]
STATUS_WEIGHTS = [
    ("new", 0.22),
    ("in_progress", 0.25),
    ("pending_payment", 0.10),
    ("renewed", 0.28),
    ("failed", 0.04),
    ("lost", 0.06),
    ("lapsed", 0.05),
]
PRIORITY_WEIGHTS = [("low", 0.2), ("medium", 0.45), ("high", 0.25), ("urgent", 0.10)]
METHODS = ["credit_card", "upi", "net_banking", "debit_card", "cheque"]
LOST = [r for r in lifecycle.LostReason.values if r != "other"]


def pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


class Command(BaseCommand):
    help = (
        "Load realistic demo data (branches, staff, customers, policies, cases with timelines "
        "and payments). --if-empty loads nothing when customers already exist (make run uses "
        "it on every start). Prints the demo staff accounts and their password."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--customers", type=int, default=200)
        parser.add_argument("--cases", type=int, default=300)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--if-empty", action="store_true", help="Skip if data exists.")

    def handle(self, *args: Any, **opts: Any) -> None:
        if apps.is_installed("ai_assistant"):
            # The assistant's starter documents (idempotent, so also on an existing database).
            call_command("ai_knowledge_seed", stdout=self.stdout)
        if opts["if_empty"] and Customer.objects.exists():
            self.stdout.write("Demo data already present; nothing loaded.")
            return
        rng = random.Random(opts["seed"])  # noqa: S311 - reproducible demo data, not secrets
        branches, managers, agents = self._staff()
        n_customers = max(1, opts["customers"])
        n_cases = max(0, opts["cases"])
        offset = Customer.objects.count()
        customers = self._customers(rng, n_customers, offset)
        self._policies_and_cases(rng, customers, branches, agents, n_cases)
        audit_log(
            action="demo.seeded",
            changes={"customers": n_customers, "cases": n_cases, "seed": opts["seed"]},
        )
        dashboard_cache_bump()
        self._print_accounts(managers, agents)

    def _staff(self) -> tuple[list[Branch], list[User], dict[int, list[User]]]:
        roles = {r.name: r for r in Role.objects.all()}
        branches, managers, agents = [], [], {}
        for code, name, region in BRANCHES:
            branch, _ = Branch.objects.get_or_create(
                code=code, defaults={"name": name, "region": region}
            )
            city = code[:3].lower()
            manager = self._user(
                f"manager.{city}@intelipro.local", "Manager", name, roles["manager"], branch
            )
            if branch.manager_id is None:
                branch.manager = manager
                branch.save(update_fields=["manager", "updated_at"])
            branches.append(branch)
            managers.append(manager)
            agents[branch.pk] = [
                self._user(
                    f"agent{i}.{city}@intelipro.local",
                    ["Asha", "Ravi", "Sam"][i - 1],
                    f"{name.split()[0]} Agent {i}",
                    roles["agent"],
                    branch,
                )
                for i in (1, 2, 3)
            ]
        self._user("viewer@intelipro.local", "Vera", "Viewer", roles["viewer"], None)
        return branches, managers, agents

    def _user(self, email: str, first: str, last: str, role: Role, branch: Branch | None) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User(
                email=email,
                first_name=first,
                last_name=last,
                role=role,
                branch=branch,
                job_title=role.display_name,
            )
            user.set_password(DEMO_STAFF_PASSWORD)
            user.save()
        return user

    def _customers(self, rng: random.Random, n: int, offset: int) -> list[Customer]:
        today = timezone.localdate()
        rows = []
        for i in range(n):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            region = rng.choice(list(CITIES))
            consent = {
                "email": rng.random() < 0.85,
                "sms": rng.random() < 0.6,
                "whatsapp": rng.random() < 0.5,
                "phone": True,
            }
            slug = f"{first}.{last}".lower().replace("'", "")
            rows.append(
                Customer(
                    customer_code=f"CUS-{offset + i + 1:06d}",
                    first_name=first,
                    last_name=last,
                    email=f"{slug}{offset + i + 1}@example.com",
                    phone=f"+91-9{rng.randint(100000000, 999999999)}",
                    date_of_birth=today - dt.timedelta(days=rng.randint(22 * 365, 70 * 365)),
                    address={
                        "line1": f"{rng.randint(1, 300)} MG Road",
                        "city": CITIES[region],
                        "country": "IN",
                    },
                    kyc_status=rng.choices(["verified", "pending", "rejected"], [0.8, 0.17, 0.03])[
                        0
                    ],
                    communication_preferences={
                        "consent": consent,
                        "preferred_channel": rng.choice(["email", "phone", "whatsapp"]),
                        "language": rng.choice(["en", "hi", "en", "ta"]),
                        "quiet_hours": {"start": "21:00", "end": "08:00"},
                    },
                )
            )
        created = []
        with tqdm(total=n, desc="customers", unit="row", disable=n < CHUNK) as bar:
            for start in range(0, n, CHUNK):
                created += Customer.objects.bulk_create(rows[start : start + CHUNK])
                bar.update(min(CHUNK, n - start))
        return list(Customer.objects.filter(customer_code__in=[c.customer_code for c in rows]))

    def _policies_and_cases(
        self,
        rng: random.Random,
        customers: list[Customer],
        branches: list[Branch],
        agents: dict[int, list[User]],
        n: int,
    ) -> None:
        today = timezone.localdate()
        now = timezone.now()
        year = today.year
        base = Policy.objects.count()
        with tqdm(total=n, desc="cases", unit="case") as bar:
            for start in range(0, n, CHUNK):
                size = min(CHUNK, n - start)
                numbers = case_numbers_allocate(count=size, year=year)
                with transaction.atomic():
                    policies, plans = [], []
                    for i in range(size):
                        ptype = pick(rng, [(t[0], t[1]) for t in TYPES])
                        _, _, low, high = next(t for t in TYPES if t[0] == ptype)
                        premium = Decimal(rng.randrange(low, high, 500))
                        renewal = today + dt.timedelta(days=rng.randint(-50, 75))
                        branch = rng.choice(branches)
                        agent = rng.choice(agents[branch.pk])
                        policies.append(
                            Policy(
                                policy_number=f"POL-{ptype[0].upper()}{base + start + i + 1:07d}",
                                customer=rng.choice(customers),
                                policy_type=ptype,
                                premium_amount=premium,
                                start_date=renewal - dt.timedelta(days=365),
                                end_date=renewal,
                                renewal_date=renewal,
                                grace_period_days=rng.choice([15, 30, 30, 30]),
                                agent=agent,
                                branch=branch,
                            )
                        )
                        status = pick(rng, STATUS_WEIGHTS)
                        if (
                            renewal < today - dt.timedelta(days=30)
                            and status in lifecycle.OPEN_STATUSES
                        ):
                            status = "lapsed"
                        created = now - dt.timedelta(
                            days=rng.randint(0, 40), minutes=rng.randint(0, 1440)
                        )
                        plans.append((status, created, agent if rng.random() < 0.9 else None))
                    policies = Policy.objects.bulk_create(policies)
                    self._cases(rng, policies, plans, numbers, now)
                bar.update(size)

    def _cases(
        self,
        rng: random.Random,
        policies: list[Policy],
        plans: list[tuple[str, dt.datetime, User | None]],
        numbers: list[str],
        now: dt.datetime,
    ) -> None:
        cases = []
        for policy, (status, created, agent), number in zip(policies, plans, numbers, strict=True):
            closed = status in lifecycle.CLOSED_STATUSES
            paid = policy.premium_amount if status == "renewed" else Decimal("0")
            if status == "pending_payment" and rng.random() < 0.3:
                paid = (policy.premium_amount / 2).quantize(Decimal("1"))
            case = RenewalCase(
                case_number=number,
                policy=policy,
                status=status,
                priority=pick(rng, PRIORITY_WEIGHTS),
                assigned_to=agent,
                renewal_date=policy.renewal_date,  # type: ignore[misc]  # seeded policies have one
                renewal_amount=policy.premium_amount,
                amount_paid=paid,
                payment_status="completed"
                if status == "renewed"
                else ("partial" if paid else "pending"),
                payment_method=rng.choice(METHODS) if paid else "",
                payment_date=created + dt.timedelta(days=rng.randint(1, 10)) if paid else None,
                communication_attempts=0 if status == "new" else rng.randint(1, 6),
                lost_reason=rng.choice(LOST) if status == "lost" else "",
                notes=""
                if status == "new"
                else rng.choice(
                    [
                        "Customer asked for a call back",
                        "Quoted renewal premium",
                        "Customer comparing offers",
                        "Sent payment link",
                        "",
                    ]
                ),
            )
            case.last_contact_date = (
                min(now, created + dt.timedelta(days=rng.randint(0, 5)))
                if case.communication_attempts
                else None
            )
            case.closed_at = (
                min(now, created + dt.timedelta(days=rng.randint(1, 20))) if closed else None
            )
            case._seed_created = created  # type: ignore[attr-defined]
            cases.append(case)
        RenewalCase.objects.bulk_create(cases)
        for case in cases:
            case.created_at = case._seed_created  # type: ignore[attr-defined]
            if case.payment_date and case.payment_date > now:
                case.payment_date = now
        RenewalCase.objects.bulk_update(cases, ["created_at", "payment_date"], batch_size=500)
        events, payments = [], []
        for case in cases:
            events.append(
                CaseEvent(
                    case=case,
                    kind="created",
                    action="Case created",
                    details="Demo data",
                    created_at=case.created_at,
                )
            )
            if case.assigned_to:
                events.append(
                    CaseEvent(
                        case=case,
                        kind="assigned",
                        action=f"Assigned to {case.assigned_to.full_name}",
                        created_at=case.created_at,
                        new_value={"assigned_to": case.assigned_to_id},
                    )
                )
            if case.status != "new":
                events.append(
                    CaseEvent(
                        case=case,
                        kind="status_changed",
                        action=f"Status changed from New to {lifecycle.Status(case.status).label}",
                        old_value={"status": "new"},
                        new_value={"status": case.status},
                        created_at=case.closed_at or case.last_contact_date or case.created_at,
                    )
                )
            if case.amount_paid:
                payments.append(
                    Payment(
                        case=case,
                        amount=case.amount_paid,
                        method=case.payment_method,
                        reference=f"DEMO-{case.case_number}",
                        source="manual",
                        paid_at=case.payment_date or now,
                    )
                )
        CaseEvent.objects.bulk_create(events, batch_size=CHUNK)
        Payment.objects.bulk_create(payments, batch_size=CHUNK)

    def _print_accounts(self, managers: list[User], agents: dict[int, list[User]]) -> None:
        self.stdout.write(self.style.SUCCESS("\nDemo data loaded. Staff accounts:"))
        for manager in managers:
            self.stdout.write(f"  manager  {manager.email}")
        for group in agents.values():
            for agent in group:
                self.stdout.write(f"  agent    {agent.email}")
        self.stdout.write("  viewer   viewer@intelipro.local")
        self.stdout.write(self.style.WARNING(f"  password (all of them): {DEMO_STAFF_PASSWORD}\n"))
