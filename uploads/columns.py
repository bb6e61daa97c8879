"""The upload file's columns: canonical names, aliases and header matching.

Headers are matched case-, space- and punctuation-insensitively ("Policy No." and
"policy_number" are the same column) and common aliases from insurers' exports are
accepted. The canonical names are the ones in the downloadable template and the docs.
"""

import re
from dataclasses import dataclass

REQUIRED_COLUMNS: tuple[str, ...] = (
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
)
ADDRESS_COLUMNS: tuple[str, ...] = (
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "country",
)
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "renewal_amount",
    "priority",
    "agent_email",
    "branch_code",
    "date_of_birth",
    *ADDRESS_COLUMNS,
)
ALL_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

# Normalized alias -> canonical column. Normalization: lower case, every run of
# non-alphanumerics collapsed to "_" (see normalize_header).
_ALIASES: dict[str, tuple[str, ...]] = {
    "policy_number": ("policy_no", "policy_num", "policy", "policy_id", "policynumber", "policyno"),
    "customer_code": (
        "customer_id",
        "customer_no",
        "customer_number",
        "cust_code",
        "cust_id",
        "client_code",
        "client_id",
        "customercode",
    ),
    "customer_first_name": ("first_name", "firstname", "customer_firstname", "given_name"),
    "customer_last_name": (
        "last_name",
        "lastname",
        "customer_lastname",
        "surname",
        "family_name",
    ),
    "customer_email": ("email", "email_address", "customer_email_address", "e_mail", "mail"),
    "customer_phone": (
        "phone",
        "phone_number",
        "mobile",
        "mobile_number",
        "mobile_no",
        "phone_no",
        "customer_mobile",
        "contact_number",
        "telephone",
    ),
    "policy_type": ("type", "product", "product_type", "line_of_business", "lob"),
    "premium_amount": ("premium", "premium_amt", "annual_premium", "current_premium"),
    "start_date": ("policy_start_date", "inception_date", "effective_date", "start"),
    "end_date": ("policy_end_date", "expiry_date", "expiration_date", "end", "expiry"),
    "renewal_date": ("renewal_due_date", "due_date", "renewal_due"),
    "renewal_amount": ("renewal_premium", "renewal_amt", "new_premium"),
    "priority": ("case_priority",),
    "agent_email": ("agent", "agent_mail", "assigned_agent", "assigned_to", "agent_email_address"),
    "branch_code": ("branch", "branch_id", "office_code"),
    "date_of_birth": ("dob", "birth_date", "birthdate", "customer_dob", "customer_date_of_birth"),
    "address_line1": ("address", "address1", "address_1", "street", "street_address"),
    "address_line2": ("address2", "address_2"),
    "city": ("town",),
    "state": ("province", "region"),
    "postal_code": ("zip", "zip_code", "zipcode", "postcode", "pin_code", "pincode"),
    "country": ("country_code",),
}

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalize_header(value: object) -> str:
    text = "" if value is None else str(value)
    return _NON_ALNUM.sub("_", text.strip().lower()).strip("_")


ALIASES: dict[str, str] = {column: column for column in ALL_COLUMNS}
for _canonical, _names in _ALIASES.items():
    for _name in _names:
        ALIASES.setdefault(_name, _canonical)
# Names written together without separators ("PolicyNumber", "customerfirstname").
for _key, _canonical in list(ALIASES.items()):
    ALIASES.setdefault(_key.replace("_", ""), _canonical)


@dataclass(frozen=True)
class HeaderMatch:
    """Where each known column sits in the file's header row."""

    header: list[str]  # the header cells as written in the file
    positions: dict[str, int]  # canonical column -> index in the row
    duplicates: list[str]  # canonical columns that appear twice

    @property
    def missing(self) -> list[str]:
        return [column for column in REQUIRED_COLUMNS if column not in self.positions]

    @property
    def recognized(self) -> int:
        return len(self.positions)


def header_match(cells: list[object]) -> HeaderMatch:
    positions: dict[str, int] = {}
    duplicates: list[str] = []
    header = ["" if cell is None else str(cell).strip() for cell in cells]
    for index, cell in enumerate(header):
        key = normalize_header(cell)
        canonical = ALIASES.get(key) or ALIASES.get(key.replace("_", ""))
        if canonical is None:
            continue
        if canonical in positions:
            duplicates.append(canonical)
            continue
        positions[canonical] = index
    return HeaderMatch(header=header, positions=positions, duplicates=duplicates)
