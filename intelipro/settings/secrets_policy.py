"""What production refuses as a signing secret (DJANGO_SECRET_KEY, JWT_SECRET).

A secret shorter than 32 characters, or one of the example values a deployer may have copied
(every value in `.env.example`, and the development defaults of base/local/test settings), is
refused: a token forged with a published placeholder must never verify. PLACEHOLDER_SECRETS is
kept in sync with `.env.example` by tests/core/test_security.py, so the check also holds in an
image built without that file.
"""

from pathlib import Path

MIN_SECRET_LENGTH = 32

# The example values of `.env.example` for secrets, and every development default.
PLACEHOLDER_SECRETS = frozenset(
    {
        "change-me",
        "your-super-secret-jwt-key",
        "your-app-password",
        "Intelipro-Demo-2026!",
        "insecure-dev-key-change-me-0123456789abcdef",
        "local-dev-secret-key-NOT-FOR-PRODUCTION-0000000000",
        "test-secret-key-not-secret-0123456789abcdefghijklmnop",
    }
)
# Fragments of development keys: a key containing one of these is a dev key however long.
DEV_KEY_MARKERS = ("insecure-dev-key", "local-dev-secret-key", "change-me", "test-secret-key")


def env_example_values(path: Path) -> dict[str, str]:
    """NAME -> value of every `NAME=value` line of an env file (comments stripped)."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _sep, value = line.partition("=")
        # Values are unquoted in .env.example; a trailing comment follows two or more spaces.
        value = value.split("  #", 1)[0].split(" #", 1)[0].strip()
        if value:
            values[name.strip()] = value
    return values


def weak_secret_reason(value: str, *, env_example: Path | None = None) -> str | None:
    """Why `value` may not sign anything in production, or None when it may."""
    if len(value) < MIN_SECRET_LENGTH:
        return f"shorter than {MIN_SECRET_LENGTH} characters"
    placeholders = set(PLACEHOLDER_SECRETS)
    if env_example is not None:
        placeholders |= set(env_example_values(env_example).values())
    if value in placeholders:
        return "a placeholder from .env.example or a development default"
    if any(marker in value for marker in DEV_KEY_MARKERS):
        return "a development key"
    return None
