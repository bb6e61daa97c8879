"""Password policy pieces Django does not ship: "not one of the last N passwords"."""

from typing import TYPE_CHECKING

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

if TYPE_CHECKING:
    from accounts.models import User

DEFAULT_HISTORY_SIZE = 5


class PasswordHistoryValidator:
    """Reject the user's current password and the previous ones, `history_size` in all.

    Django calls `password_changed` after the save() that follows `set_password`, which is
    where the new hash is recorded and history beyond `history_size` is trimmed.
    """

    def __init__(self, history_size: int = DEFAULT_HISTORY_SIZE) -> None:
        self.history_size = history_size

    def _recent_hashes(self, user: "User") -> list[str]:
        from accounts.models import PasswordHistory

        hashes = list(
            PasswordHistory.objects.filter(user=user)
            .order_by("-created_at", "-id")
            .values_list("password", flat=True)[: self.history_size]
        )
        # Users whose password was set before history existed still have their current one.
        if user.password and user.password not in hashes:
            hashes.insert(0, user.password)
        return hashes[: self.history_size]

    def validate(self, password: str, user: "User | None" = None) -> None:
        if user is None or user.pk is None:
            return
        for encoded in self._recent_hashes(user):
            if encoded and check_password(password, encoded):
                raise ValidationError(
                    ngettext(
                        "This password was used recently. Choose one you have not used before.",
                        "Choose a password different from your last %(n)d passwords.",
                        self.history_size,
                    )
                    % {"n": self.history_size},
                    code="password_reused",
                )

    def password_changed(self, password: str, user: "User | None" = None) -> None:
        from accounts.models import PasswordHistory

        if user is None or user.pk is None or not user.has_usable_password():
            return
        PasswordHistory.objects.create(user=user, password=user.password)
        stale = list(
            PasswordHistory.objects.filter(user=user)
            .order_by("-created_at", "-id")
            .values_list("pk", flat=True)[self.history_size :]
        )
        if stale:
            PasswordHistory.objects.filter(pk__in=stale).delete()

    def get_help_text(self) -> str:
        return f"Your password cannot be one of your last {self.history_size} passwords."
