"""Who may change a channel's digest on Slack: workspace admins and owners, and an allow list."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["NOT_ALLOWED", "DigestAccess", "error_code"]

log = logging.getLogger("hotpapers.slack")
NOT_ALLOWED = (
    "Only workspace admins and owners (or users in the [slack] admin_user_ids setting) can change"
    " this channel's digest."
)


def error_code(error: SlackApiError) -> str:
    """The `error` field of a failed Web API call."""
    data = error.response.data
    return str(data.get("error", "")) if isinstance(data, dict) else ""


class DigestAccess:
    """The one rule for Slack, used by /digest, its settings modal and App Home alike."""

    def __init__(self, admin_user_ids: Iterable[str]) -> None:
        """admin_user_ids may change digests besides workspace admins and owners."""
        self.admins = frozenset(admin_user_ids)

    async def can_manage(self, client: AsyncWebClient, user_id: str) -> bool:
        """Whether the user may change digests (users.info, asked each time: roles change)."""
        if user_id in self.admins:
            return True
        if not user_id:
            return False
        try:
            info = await client.users_info(user=user_id)
        except SlackApiError as error:
            log.warning("users.info failed for %s: %s", user_id, error_code(error))
            return False
        user: dict[str, Any] = info.get("user") or {}
        return any(user.get(k) for k in ("is_admin", "is_owner", "is_primary_owner"))
