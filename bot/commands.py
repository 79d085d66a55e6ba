"""Chat commands, platform-neutral: parse arguments, call the service, return what to show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.ids import InvalidArxivIdError, is_category
from bot.models import Digest, Paper, RankedPaper
from bot.service import HotPapersService, UnknownPaperError
from bot.subscriptions import InvalidSettingError, Subscription, Subscriptions, parse_settings

__all__ = ["Commands", "UsageError", "parse_hot_args"]

MAX_COUNT = 25  # Discord caps a choice list at 25; the same limit keeps Slack messages readable
DEFAULT_COUNT = 5
DIGEST_ACTIONS = ("subscribe", "unsubscribe", "settings", "preview", "status", "pause", "resume")
DIGEST_USAGE = (
    "Usage: /digest subscribe [time=09:00 tz=Europe/Berlin days=mon-fri top=5 "
    "categories=cs.LG,cs.CL ranking=hot] | unsubscribe | settings [key=value ...] | preview | "
    "status | pause | resume"
)


class UsageError(ValueError):
    """The user's command cannot be done; the message tells them what to type instead."""


def parse_hot_args(text: str) -> tuple[int, str | None]:
    """'', '5', '5 cs.LG' or 'cs.CL 3' to (count, category)."""
    count: int | None = None
    category: str | None = None
    for token in text.split():
        if token.isdigit() and count is None:
            count = int(token)
        elif is_category(token) and category is None:
            category = token
        else:
            raise UsageError(
                f"I don't understand {token!r}. Usage: /hot [count 1-{MAX_COUNT}] [category],"
                " e.g. /hot 5 cs.LG"
            )
    return check_count(DEFAULT_COUNT if count is None else count), category


def check_count(count: int) -> int:
    """A count between 1 and MAX_COUNT, or a UsageError."""
    if not 1 <= count <= MAX_COUNT:
        raise UsageError(f"count must be between 1 and {MAX_COUNT}, not {count}")
    return count


@dataclass(frozen=True)
class DigestReply:
    """What /digest answers: a line of text, and a digest for preview."""

    text: str
    digest: Digest | None = None
    subscription: Subscription | None = None


class Commands:
    """The commands both chat adapters offer, over the shared service."""

    def __init__(
        self,
        service: HotPapersService,
        subscriptions: Subscriptions,
        *,
        on_change: Callable[[Subscription | None, str], None] | None = None,
        status: Callable[[str], str] | None = None,
    ) -> None:
        """Wire the service; on_change tells the scheduler, status describes deliveries."""
        self.service = service
        self.subscriptions = subscriptions
        self.on_change = on_change or (lambda sub, channel: None)
        self.status = status

    def hot(self, count: int = DEFAULT_COUNT, category: str | None = None) -> Digest:
        """The hot list now; a UsageError when nothing qualifies."""
        count = check_count(count)
        if category is not None and not is_category(category):
            raise UsageError(f"{category!r} is not an arXiv category like cs.LG")
        digest = self.service.top(count, category)
        if not digest.papers:
            where = f" in {category}" if category else ""
            raise UsageError(
                f"No papers{where} have engagement yet. Try again after the next fetch."
            )
        return digest

    def paper(self, query: str) -> RankedPaper:
        """One paper by id or URL, or a UsageError saying what was wrong."""
        try:
            return self.service.paper(query)
        except InvalidArxivIdError:
            raise UsageError(
                f"{query.strip()[:100]!r} is not an arXiv id or URL (try 2106.12627 or"
                " https://arxiv.org/abs/2106.12627)"
            ) from None
        except UnknownPaperError as error:
            raise UsageError(str(error)) from None

    def search(self, words: str, limit: int = 5) -> list[Paper]:
        """Stored papers matching the words, or a UsageError when there are none."""
        if not words.strip():
            raise UsageError("Usage: /search <words>, e.g. /search diffusion transformers")
        found = self.service.search(words, limit=limit)
        if not found:
            raise UsageError(f"No stored paper matches {words.strip()[:100]!r}.")
        return found

    def digest(
        self, channel: str, text: str, *, can_manage: bool, workspace: str = ""
    ) -> DigestReply:
        """Run `/digest <action> [settings]` for a channel."""
        action, _, rest = text.strip().partition(" ")
        action = action.lower() or "status"
        if action not in DIGEST_ACTIONS:
            raise UsageError(DIGEST_USAGE)
        if action == "preview":
            return self._preview(channel)
        if action == "status" or (action == "settings" and not rest.strip()):
            return self._status(channel)
        if not can_manage:
            raise UsageError("Changing this channel's digest needs permission to manage it.")
        try:
            return self._change(channel, action, rest, workspace)
        except InvalidSettingError as error:
            raise UsageError(f"{error}. {DIGEST_USAGE}") from None

    def _change(self, channel: str, action: str, rest: str, workspace: str) -> DigestReply:
        """Subscribe, unsubscribe, change settings, pause or resume."""
        now = self.service.clock()
        if action == "unsubscribe":
            if not self.subscriptions.remove(channel):
                raise UsageError("This channel has no daily digest.")
            self.on_change(None, channel)
            return DigestReply("Unsubscribed: no more daily digests here.")
        if action == "subscribe":
            base = self.subscriptions.get(channel) or Subscription(channel, workspace=workspace)
            sub = self.subscriptions.save(replace(base, **parse_settings(rest)), now)
            verb = "Subscribed"
        else:
            changes = parse_settings(rest) if action == "settings" else {}
            if action in ("pause", "resume"):
                changes = {"paused": action == "pause", "paused_reason": ""}
            try:
                sub = self.subscriptions.update(channel, changes, now)
            except LookupError as error:
                raise UsageError(str(error)) from None
            verb = {"settings": "Updated", "pause": "Paused", "resume": "Resumed"}[action]
        self.on_change(sub, channel)
        return DigestReply(f"{verb}: {sub.describe()}", subscription=sub)

    def _preview(self, channel: str) -> DigestReply:
        """What this channel's next digest would show now."""
        sub = self.subscriptions.get(channel) or Subscription(channel)
        digest = self.service.digest(
            ranking=sub.ranking,
            selection=sub.selection(),
            channel=channel,
            repeat_days=sub.repeat_days,
        )
        if not digest.papers:
            return DigestReply("The digest would be empty right now.", digest=digest)
        return DigestReply(f"Preview of {channel}'s digest:", digest=digest, subscription=sub)

    def _status(self, channel: str) -> DigestReply:
        """The subscription and its delivery state."""
        sub = self.subscriptions.get(channel)
        if sub is None:
            return DigestReply("This channel has no daily digest. " + DIGEST_USAGE)
        text = sub.describe()
        if self.status is not None:
            text = f"{text}\n{self.status(channel)}"
        return DigestReply(text, subscription=sub)
