"""Deterministic upload datasets for the batch benchmark: same rows as CSV and XLSX.

About 20 columns, ~1% dirty rows (bad dates, negative premiums, bad emails, unknown policy
types, end before start), fixed seed. `python bench/uploads_data.py N OUTDIR` writes
renewals_N.csv and renewals_N.xlsx.
"""

import csv
import random
import sys
from pathlib import Path

COLUMNS = [
    "policy_number",
    "customer_code",
    "customer_first_name",
    "customer_last_name",
    "customer_email",
    "customer_phone",
    "policy_type",
    "premium_amount",
    "start_date",
    "end_date",
    "renewal_date",
    "renewal_amount",
    "priority",
    "agent_email",
    "branch_code",
    "date_of_birth",
    "address_line1",
    "city",
    "state",
    "postal_code",
    "country",
]
FIRST = ["Asha", "Ravi", "Meera", "Arjun", "Priya", "Vikram", "Neha", "Kiran", "Sanjay", "Lata"]
LAST = ["Rao", "Iyer", "Shah", "Patel", "Menon", "Gupta", "Nair", "Reddy", "Das", "Khan"]
CITIES = [("Mumbai", "MH", "400001"), ("Pune", "MH", "411001"), ("Chennai", "TN", "600001")]
DIRTY_KINDS = ("date", "premium", "email", "type", "order")


def dataset(
    n: int, *, seed: int = 20261127, dirty: float = 0.01
) -> tuple[list[list[str]], set[int]]:
    """Rows (as cell strings, COLUMNS order) and the 1-based numbers of the dirty rows."""
    rng = random.Random(seed)
    rows = []
    bad: set[int] = set()
    people: dict[int, tuple[str, ...]] = {}
    for i in range(1, n + 1):
        # ~3 policies per customer on average; a customer's own details (name, phone, date of
        # birth, address) are the same on each of their rows, as in an insurer's export.
        customer = rng.randint(1, max(1, n // 3))
        person = people.get(customer)
        if person is None:
            own = random.Random(seed * 1_000_003 + customer)
            first, last = own.choice(FIRST), own.choice(LAST)
            city, state, pin = own.choice(CITIES)
            person = people[customer] = (
                first,
                last,
                f"{first.lower()}.{last.lower()}{customer}@example.com",
                f"+91 9{own.randint(100000000, 999999999)}",
                f"19{own.randint(50, 99)}-{own.randint(1, 12):02d}-{own.randint(1, 28):02d}",
                f"{own.randint(1, 999)} MG Road",
                city,
                state,
                pin,
            )
        first, last, email, phone, born, street, city, state, pin = person
        start_year = rng.choice([2024, 2025])
        month = rng.randint(1, 12)
        day = rng.randint(1, 28)
        premium = f"{rng.randint(3000, 90000)}.{rng.randint(0, 99):02d}"
        row = [
            f"BP-{i:07d}",
            f"BC-{customer:07d}",
            first,
            last,
            email,
            phone,
            "auto",
            premium,
            f"{start_year}-{month:02d}-{day:02d}",
            f"{start_year + 1}-{month:02d}-{day:02d}",
            f"{day:02d}/{month:02d}/{start_year + 1}",
            "",
            rng.choice(["low", "medium", "high", "medium"]),
            "",
            "MUM",
            born,
            street,
            city,
            state,
            pin,
            "IN",
        ]
        if rng.random() < dirty:
            bad.add(i)
            kind = rng.choice(DIRTY_KINDS)
            if kind == "date":
                row[8] = "31/02/2025"
            elif kind == "premium":
                row[7] = "-" + premium
            elif kind == "email":
                row[4] = "not-an-email"
            elif kind == "type":
                row[6] = "spaceship"
            else:
                row[9] = f"{start_year - 1}-{month:02d}-{day:02d}"
        rows.append(row)
    return rows, bad


def write_csv(rows: list[list[str]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def write_xlsx(rows: list[list[str]], path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Renewals")
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def cli(argv: list[str]) -> None:
    n, out = int(argv[0]), Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    rows, _bad = dataset(n)
    write_csv(rows, out / f"renewals_{n}.csv")
    write_xlsx(rows, out / f"renewals_{n}.xlsx")


if __name__ == "__main__":
    cli(sys.argv[1:])
