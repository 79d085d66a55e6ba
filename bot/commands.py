"""Chat commands, platform-neutral: parse arguments, call the service, return what to show.

This module owns every rule of the chat commands: their usage lines, their limits, which /digest
actions change a channel's digest (and so need permission) and which answers are private.
Adapters only translate: they pass the text or typed options they received and show the reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from bot.errors import UsageError
from bot.ids import InvalidArxivIdError
from bot.limits import MAX_COUNT, MAX_QUERY_CHARS
from bot.models import Digest, Paper, RankedPaper, Selection
from bot.service import HotPapersService, UnknownPaperError
from bot.subscriptions import (
    InvalidSettingError,
    Subscription,
    Subscriptions,
    convert_settings,
    settings_pairs,
)
from bot.taxonomy import normalize_category, suggest
from bot.validators import shown

if TYPE_CHECKING:
    from bot.weekly import Weekly, WeeklyDigests

__all__ = [
    "DEFAULT_COUNT",
    "DIGEST_ACTIONS",
    "DIGEST_HINT",
    "DIGEST_USAGE",
    "HOT_HINT",
    "HOT_USAGE",
    "MAX_COUNT",
    "PAPER_HINT",
    "PAPER_USAGE",
    "SEARCH_HINT",
    "SEARCH_USAGE",
    "Commands",
    "DigestReply",
    "DigestRequest",
    "UsageError",
    "check_count",
    "parse_hot_args",
    "parse_hot_request",
    "search_terms",
]

DEFAULT_COUNT = 5
DIGEST_ACTIONS = ("subscribe", "unsubscribe", "settings", "preview", "status", "pause", "resume")
# Actions that always change the channel's digest; `settings` does when it is given settings.
_CHANGES = frozenset({"subscribe", "unsubscribe", "pause", "resume"})
HOT_HINT = f"[week] [count 1-{MAX_COUNT}] [category], e.g. 5 cs.LG or week 5"
PAPER_HINT = "<arXiv id or URL>, e.g. 2106.12627"
SEARCH_HINT = "<words>, e.g. diffusion transformers"
HOT_USAGE = f"Usage: /hot {HOT_HINT}"
PAPER_USAGE = f"Usage: /paper {PAPER_HINT}"
SEARCH_USAGE = f"Usage: /search {SEARCH_HINT}"
DIGEST_HINT = (
    f"subscribe [time=09:00 tz=Europe/Berlin days=mon-fri top=1-{MAX_COUNT} categories=cs.LG,cs.CL"
    " ranking=hot] | unsubscribe | settings [key=value ...] | preview | status | pause | resume"
)
DIGEST_USAGE = f"Usage: /digest {DIGEST_HINT}"
_COUNT = re.compile(r"[0-9]{1,9}")  # ASCII digits only: int() also reads '٣' and fails on '²'
_WORD = re.compile(r"\w+")


def _hot_token_error(token: str) -> UsageError:
    """A /hot argument that is neither a count nor a category: say so, with the closest names."""
    close = suggest(token) if len(token) <= 40 else []
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    return UsageError(f"I don't understand {shown(token)}{hint}. {HOT_USAGE}")


def parse_hot_args(text: str) -> tuple[int, str | None]:
    """'', '5', '5 cs.LG' or 'cs.lg 3' to (count, category)."""
    count: int | None = None
    category: str | None = None
    for token in text.split():
        if _COUNT.fullmatch(token) and count is None:
            count = int(token)
            continue
        if category is None:
            try:
                category = normalize_category(token)
                continue
            except UsageError:
                pass
        raise _hot_token_error(token)
    return check_count(DEFAULT_COUNT if count is None else count), category


def parse_hot_request(text: str) -> tuple[bool, int, str | None]:
    """'/hot' text to (week?, count, category): 'week 5 cs.LG' asks for the week's best."""
    first, _, rest = text.strip().partition(" ")
    if first.lower() == "week":
        return (True, *parse_hot_args(rest))
    return (False, *parse_hot_args(text))


def check_count(count: int) -> int:
    """A count between 1 and MAX_COUNT, or a UsageError."""
    if not 1 <= count <= MAX_COUNT:
        raise UsageError(f"count must be between 1 and {MAX_COUNT}, not {count}. {HOT_USAGE}")
    return count


def search_terms(words: str) -> str:
    """The words of a search, each a plain term: quotes, FTS operators and odd characters go."""
    if len(words) > MAX_QUERY_CHARS:
        raise UsageError(f"A search can be at most {MAX_QUERY_CHARS} characters. {SEARCH_USAGE}")
    terms = _WORD.findall(words)
    if not terms:
        raise UsageError(SEARCH_USAGE)
    return " ".join(terms)


@dataclass(frozen=True)
class DigestRequest:
    """One /digest command: its action and settings, as text (Slack) or typed options (Discord)."""

    action: str
    text: str = ""
    options: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def parse(cls, text: str) -> DigestRequest:
        """'subscribe time=09:00 tz=Europe/Berlin' to its action and settings text."""
        action, _, rest = text.strip().partition(" ")
        return cls(action.lower() or "status", rest.strip())

    @property
    def has_settings(self) -> bool:
        """Whether any setting was given."""
        return bool(self.text.strip()) or any(v is not None for v in self.options.values())

    @property
    def changes_state(self) -> bool:
        """Whether it changes the channel's digest, and so needs permission to manage it."""
        return self.action in _CHANGES or (self.action == "settings" and self.has_settings)

    @property
    def private(self) -> bool:
        """Whether the answer is shown only to the person who asked (changes are announced)."""
        return not self.changes_state

    def settings(self) -> dict[str, Any]:
        """The typed, checked settings (raises UsageError naming the one that is wrong)."""
        given = {k: v for k, v in self.options.items() if v is not None}
        return convert_settings({**settings_pairs(self.text), **given})


@dataclass(frozen=True)
class DigestReply:
    """What /digest answers: a line of text, and a digest for preview; private or for all."""

    text: str
    digest: Digest | None = None
    subscription: Subscription | None = None
    private: bool = True


class Commands:
    """The commands both chat adapters offer, over the shared service."""

    def __init__(
        self,
        service: HotPapersService,
        subscriptions: Subscriptions,
        *,
        on_change: Callable[[Subscription | None, str], None] | None = None,
        status: Callable[[str], str] | None = None,
        weekly: WeeklyDigests | None = None,
    ) -> None:
        """Wire the service; on_change tells the scheduler, status describes deliveries.

        weekly makes `/hot week` (the channel's favourites of the week and the week's top).
        """
        self.service = service
        self.subscriptions = subscriptions
        self.on_change = on_change or (lambda sub, channel: None)
        self.status = status
        self.weekly = weekly

    def hot(
        self, count: int = DEFAULT_COUNT, category: str | None = None, channel: str | None = None
    ) -> Digest:
        """The hot list now (in a channel, with its own reactions if it weights them).

        A UsageError when nothing qualifies.
        """
        count = check_count(count)
        if category is not None:
            category = normalize_category(category)
        sub = self.subscriptions.get(channel) if channel else None
        weight = sub.channel_weight if sub else 0.0
        digest = self.service.top(count, category, channel=channel, channel_weight=weight)
        if not digest.papers:
            where = f" in {category}" if category else ""
            raise UsageError(
                f"No papers{where} have engagement yet. Try again after the next fetch."
            )
        return digest

    def week(
        self, channel: str | None, count: int = DEFAULT_COUNT, category: str | None = None
    ) -> Weekly:
        """/hot week: the papers this channel reacted to most this week, then the week's top."""
        if self.weekly is None:
            raise UsageError("The weekly digest is not available here.")
        count = check_count(count)
        if category is not None:
            category = normalize_category(category)
        selection = Selection(top=count, include_categories=(category,) if category else ())
        now = self.service.now()
        week = self.weekly.week(channel or "", selection, day=now.date(), end=now)
        if not week.arxiv_ids:
            raise UsageError("Nothing to show for this week yet. Try again after the next fetch.")
        return week

    def paper(self, query: str) -> RankedPaper:
        """One paper by id or URL, or a UsageError saying what was wrong."""
        if not query.strip():
            raise UsageError(PAPER_USAGE)
        try:
            return self.service.paper(query)
        except InvalidArxivIdError:
            raise UsageError(
                f"{shown(query.strip())} is not an arXiv id or URL (try 2106.12627 or"
                " https://arxiv.org/abs/2106.12627)"
            ) from None
        except UnknownPaperError as error:
            raise UsageError(str(error)) from None

    def search(self, words: str, limit: int = 5) -> list[Paper]:
        """Stored papers matching the words, or a UsageError when there are none."""
        found = self.service.search(search_terms(words), limit=limit)
        if not found:
            raise UsageError(f"No stored paper matches {shown(words.strip())}.")
        return found

    def digest(
        self,
        channel: str,
        request: DigestRequest | str,
        *,
        can_manage: bool,
        workspace: str = "",
        user: str = "",
    ) -> DigestReply:
        """Run `/digest <action> [settings]` for a channel; user is who asked (a platform id)."""
        if isinstance(request, str):
            request = DigestRequest.parse(request)
        if request.action not in DIGEST_ACTIONS:
            raise UsageError(DIGEST_USAGE)
        if request.action == "preview":
            return self._preview(channel)
        if not request.changes_state:
            return self._status(channel)
        if not can_manage:
            raise UsageError("Changing this channel's digest needs permission to manage it.")
        try:
            changes = request.settings() if request.action in ("subscribe", "settings") else {}
            return self._change(channel, request.action, changes, workspace, user)
        except InvalidSettingError as error:
            raise UsageError(f"{error}. {DIGEST_USAGE}") from None

    def _change(
        self, channel: str, action: str, changes: dict[str, Any], workspace: str, user: str
    ) -> DigestReply:
        """Subscribe, unsubscribe, change settings, pause or resume.

        Whoever subscribes becomes the person told when the digest breaks.
        """
        now = self.service.clock()
        if action == "unsubscribe":
            if not self.subscriptions.remove(channel):
                raise UsageError("This channel has no daily digest.")
            self.on_change(None, channel)
            return DigestReply("Unsubscribed: no more daily digests here.", private=False)
        if action == "subscribe":
            base = self.subscriptions.get(channel) or Subscription(channel, workspace=workspace)
            owner = user or base.created_by
            sub = self.subscriptions.save(replace(base, **changes, created_by=owner), now)
            verb = "Subscribed"
        else:
            if action in ("pause", "resume"):
                changes = {"paused": action == "pause", "paused_reason": ""}
            try:
                sub = self.subscriptions.update(channel, changes, now)
            except LookupError as error:
                raise UsageError(str(error)) from None
            verb = {"settings": "Updated", "pause": "Paused", "resume": "Resumed"}[action]
        self.on_change(sub, channel)
        return DigestReply(f"{verb}: {sub.describe()}", subscription=sub, private=False)

    def _preview(self, channel: str) -> DigestReply:
        """What this channel's next digest would show now."""
        sub = self.subscriptions.get(channel) or Subscription(channel)
        digest = self.service.digest(
            ranking=sub.ranking,
            selection=sub.selection(),
            channel=channel,
            repeat_days=sub.repeat_days,
            request=True,  # someone is waiting: the ranking ready now will do
            channel_weight=sub.channel_weight,
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
