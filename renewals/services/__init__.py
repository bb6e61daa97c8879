"""Every write of renewals. Import from here: `from renewals.services import case_update`."""

from renewals.services.cache import dashboard_cache_bump, dashboard_cache_version
from renewals.services.numbering import case_number_format, case_numbers_allocate

__all__ = [
    "case_number_format",
    "case_numbers_allocate",
    "dashboard_cache_bump",
    "dashboard_cache_version",
]
