"""Customers, their policies and the renewal cases agents work on, with timeline and payments.

The spec's `customers`, `policies` and `renewal_cases` tables (branches live in
accounts.Branch), split by concept; everything is re-exported here so
`from renewals.models import RenewalCase` keeps working.
"""

from renewals.models.cases import OPEN_STATUSES, CaseEvent, CaseNumberCounter, RenewalCase
from renewals.models.customers import Customer
from renewals.models.payments import Payment, UnmatchedPayment
from renewals.models.policies import Policy
from renewals.models.reminders import CaseReminder

__all__ = [
    "OPEN_STATUSES",
    "CaseEvent",
    "CaseNumberCounter",
    "CaseReminder",
    "Customer",
    "Payment",
    "Policy",
    "RenewalCase",
    "UnmatchedPayment",
]
