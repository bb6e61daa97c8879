from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    """Customers, policies and renewal cases: the work agents do every day."""

    name = "renewals"

    def ready(self) -> None:
        # Files attach to cases, policies and customers; who may see the record may see
        # its files (files knows no domain: each domain registers its own types).
        from files.entities import entity_register
        from files.models import EntityType
        from renewals import selectors
        from renewals.models import Customer, Policy, RenewalCase

        entity_register(
            EntityType.CASE, model=RenewalCase, visible=lambda user: selectors.case_list(user=user)
        )
        entity_register(
            EntityType.POLICY, model=Policy, visible=lambda user: selectors.policy_list(user=user)
        )
        entity_register(
            EntityType.CUSTOMER,
            model=Customer,
            visible=lambda user: selectors.customer_list(user=user),
        )
