"""The permission matrix: modules of the product and which roles may use them.

Data, in one place. The seed migration writes DEFAULT_ROLE_MODULES into the roles table;
after that the table is the truth (admins change a role's modules with PUT /roles/{id}).
"""

DASHBOARD = "dashboard"
UPLOAD = "upload"
CASES = "cases"
EMAILS = "emails"
CAMPAIGNS = "campaigns"
SETTINGS = "settings"
USERS = "users"
ANALYTICS = "analytics"
AI = "ai"  # the AI assistant (not in the spec's matrix; added by issue 14)
MESSAGING = "messaging"  # SMS/WhatsApp messages and customers' preferences (issue 16)
# Later apps (claims, surveys) add their module here and to the roles in a data migration.
# Files are not a module: who may see an entity may see its files. Notifications are not a
# module either: every signed-in user sees their own.
ALL_MODULES = [
    DASHBOARD,
    UPLOAD,
    CASES,
    EMAILS,
    CAMPAIGNS,
    SETTINGS,
    USERS,
    ANALYTICS,
    AI,
    MESSAGING,
]

ADMIN = "admin"
MANAGER = "manager"
AGENT = "agent"
VIEWER = "viewer"
ROLE_NAMES = [ADMIN, MANAGER, AGENT, VIEWER]

# The spec's "Permission Matrix", verbatim, plus modules of later apps (marked).
PERMISSION_MATRIX: dict[str, list[str]] = {
    DASHBOARD: [ADMIN, MANAGER, AGENT, VIEWER],
    UPLOAD: [ADMIN, MANAGER],
    CASES: [ADMIN, MANAGER, AGENT],
    EMAILS: [ADMIN, MANAGER, AGENT],
    CAMPAIGNS: [ADMIN, MANAGER],
    SETTINGS: [ADMIN],
    USERS: [ADMIN],
    ANALYTICS: [ADMIN, MANAGER],
    # Not in the spec's matrix: everyone who works cases may ask the assistant; viewers don't.
    AI: [ADMIN, MANAGER, AGENT],
    # Not in the spec's matrix (issue 16): everyone who works cases messages customers.
    MESSAGING: [ADMIN, MANAGER, AGENT],
}

# Roles that may only read, wherever their modules let them look.
READ_ONLY_ROLES = {VIEWER}


def default_modules_for(role: str) -> list[str]:
    return [module for module in ALL_MODULES if role in PERMISSION_MATRIX[module]]
