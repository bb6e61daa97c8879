"""Every non-trivial read of renewals. Import from here: `from renewals.selectors import case_list`.

- `cases`: who may see which case, policy and customer, and what list and detail pages fetch;
- `dashboard`: the dashboard's aggregates (stats, trends, batch status), scoped and cached.
"""

from renewals.selectors.cases import (
    BULK_ASSIGN_MAX_CASES,
    CASE_LIST_FIELDS,
    branch_list,
    case_detail_get,
    case_documents,
    case_get,
    case_ids_for_bulk_assign,
    case_list,
    case_list_item_get,
    case_list_rows,
    customer_detail_get,
    customer_list,
    customer_search_q,
    policy_detail_get,
    policy_find,
    policy_list,
    sees_everything,
)
from renewals.selectors.dashboard import (
    DashboardParams,
    dashboard_batch_status,
    dashboard_params,
    dashboard_stats,
    dashboard_trends,
)

__all__ = [
    "BULK_ASSIGN_MAX_CASES",
    "CASE_LIST_FIELDS",
    "DashboardParams",
    "branch_list",
    "case_detail_get",
    "case_documents",
    "case_get",
    "case_ids_for_bulk_assign",
    "case_list",
    "case_list_item_get",
    "case_list_rows",
    "customer_detail_get",
    "customer_list",
    "customer_search_q",
    "dashboard_batch_status",
    "dashboard_params",
    "dashboard_stats",
    "dashboard_trends",
    "policy_detail_get",
    "policy_find",
    "policy_list",
    "sees_everything",
]
