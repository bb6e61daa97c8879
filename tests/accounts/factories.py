"""Accounts factories: they live in testing/accounts.py, shared with the benchmarks."""

from testing.accounts import DEFAULT_PASSWORD, BranchFactory, UserFactory, seed_roles

__all__ = ["DEFAULT_PASSWORD", "BranchFactory", "UserFactory", "seed_roles"]
