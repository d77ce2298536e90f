"""The person acting and the account they act for, passed to every service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from .models import Delegation, User


@dataclass(frozen=True)
class Actor:
    """`user` signed in; `principal` is whose account the act is for (the same unless delegated)."""

    user: User
    principal: User
    delegation: Delegation | None = None
    ip_address: str | None = None
    user_agent: str = ""

    @classmethod
    def direct(cls, user: User, *, ip_address: str | None = None, user_agent: str = "") -> Actor:
        return cls(user=user, principal=user, ip_address=ip_address, user_agent=user_agent)

    @property
    def is_delegate(self) -> bool:
        return self.delegation is not None

    def require_scope(self, scope: str) -> None:
        """A delegate may act only within the scope granted; the owner may do anything."""
        if self.delegation is None:
            return
        if self.delegation.scope != scope or not self.delegation.is_active():
            raise PermissionDenied(_("Your delegation does not cover this action."))
