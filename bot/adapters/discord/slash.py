"""The slash commands: /hot, /paper, /search and /digest, translated to the shared Commands."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Literal

import discord
from discord import app_commands

from bot.adapters.discord.controls import PanelControls
from bot.adapters.discord.embeds import digest_messages, paper_message, search_message
from bot.adapters.discord.respond import Interaction, Reply, Responder, send_kwargs
from bot.catalog import find_timezones
from bot.commands import DEFAULT_COUNT, Commands, DigestRequest
from bot.limits import MAX_CHANNEL_WEIGHT, MAX_COUNT, MAX_REPEAT_DAYS

__all__ = ["build_tree"]

log = logging.getLogger(__name__)
SEARCH_LIMIT = 10  # one keycap per result
_CHOICES_MAX = 25  # Discord shows at most 25 autocomplete choices


def _choices(options: Sequence[str], current: str) -> list[app_commands.Choice[str]]:
    """The options containing what the user typed so far, as autocomplete choices."""
    wanted = current.casefold().strip()
    hits = [o for o in options if wanted in o.casefold()][:_CHOICES_MAX]
    return [app_commands.Choice(name=o, value=o) for o in hits]


class Handlers:
    """What each command does: call the shared commands in a worker thread, render the answer."""

    def __init__(
        self,
        commands: Commands,
        responder: Responder,
        categories: Sequence[str],
        panel: PanelControls | None = None,
    ) -> None:
        """Use the shared commands; categories feed /hot's autocomplete; panel (if any) is what
        /digest settings shows when given no option."""
        self.commands = commands
        self.responder = responder
        self.categories = tuple(categories)
        self.panel = panel

    async def hot(
        self, interaction: Interaction, count: int, category: str | None, period: Period = "now"
    ) -> None:
        """The hot list now, or the week's best (this channel's favourites, then the top)."""
        where = f" in {category}" if category else ""
        channel = f"discord:{interaction.channel_id}" if interaction.channel_id else None

        def week() -> Reply:
            digests = self.commands.week(channel, count, category).digests
            return Reply(tuple(m for d in digests for m in digest_messages(d)))

        if period == "week":
            await self.responder.answer(interaction, week)
            return

        def work() -> Reply:
            digest = self.commands.hot(count, category, channel)
            return Reply(tuple(digest_messages(digest, title=f"Hot right now{where}")))

        await self.responder.answer(interaction, work)

    async def paper(self, interaction: Interaction, query: str) -> None:
        """One paper's card."""
        await self.responder.answer(
            interaction, lambda: Reply((paper_message(self.commands.paper(query)),))
        )

    async def search(self, interaction: Interaction, words: str) -> None:
        """Stored papers matching words."""
        await self.responder.answer(
            interaction,
            lambda: Reply((search_message(words, self.commands.search(words, SEARCH_LIMIT)),)),
        )

    async def digest(self, interaction: Interaction, request: DigestRequest) -> None:
        """This channel's daily digest, as Commands decides (Manage Channels lets you change it)."""
        if interaction.guild_id is None or interaction.channel_id is None:
            await interaction.response.send_message(
                **send_kwargs(Reply.text("Use /digest in a server channel.").messages[0]),
                ephemeral=True,
            )
            return
        if request.action == "settings" and not request.has_settings and self.panel is not None:
            await self.panel.open(interaction)
            return
        channel = f"discord:{interaction.channel_id}"
        can_manage = interaction.permissions.manage_channels

        def work() -> Reply:
            reply = self.commands.digest(
                channel, request, can_manage=can_manage, workspace=str(interaction.guild_id),
                user=str(interaction.user.id),
            )  # fmt: skip
            if reply.digest is not None and reply.digest.papers:
                title = "Preview of this channel's digest"
                return Reply(tuple(digest_messages(reply.digest, title=title)), ephemeral=True)
            return Reply.text(reply.text, ephemeral=reply.private)

        await self.responder.answer(interaction, work, private=request.private)

    async def complete_category(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest the watched arXiv categories."""
        return _choices(self.categories, current)

    async def complete_timezone(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest IANA timezone names."""
        names = find_timezones(current, _CHOICES_MAX)  # by city, best first, all accepted
        return [app_commands.Choice(name=name, value=name) for name in names]

    async def on_error(self, interaction: Interaction, error: app_commands.AppCommandError) -> None:
        """Commands the tree cannot run (usually out of sync): say so privately, log the rest."""
        log.warning("Discord command failed: %r", error)
        if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
            text = "This command is out of date; an admin should run `hotpapers discord-sync`."
        else:
            text = "Sorry, that did not work; it has been logged."
        if not interaction.response.is_done():
            await interaction.response.send_message(
                **send_kwargs(Reply.text(text).messages[0]), ephemeral=True
            )


Ranking = Literal["hot", "seed"]
Period = Literal["now", "week"]


def _digest_group(h: Handlers) -> app_commands.Group:
    """/digest and its subcommands: hidden from members without Manage Channels by default."""
    group = app_commands.Group(
        name="digest",
        description="This channel's daily digest of hot arXiv papers",
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
        default_permissions=discord.Permissions(manage_channels=True),
    )

    group.add_command(
        _settings_command(h, "subscribe", "Post a daily digest in this channel", group)
    )
    group.add_command(
        _settings_command(
            h,
            "settings",
            "This channel's digest settings: a panel, or change the ones given",
            group,
        )
    )
    for name, description in (
        ("unsubscribe", "Stop this channel's daily digest"),
        ("preview", "Show what this channel's digest would post now (only to you)"),
        ("status", "This channel's digest settings and delivery state (only to you)"),
        ("pause", "Pause this channel's digest"),
        ("resume", "Resume this channel's paused digest"),
    ):
        group.add_command(_action(h, name, description, group))
    return group


def _settings_command(
    h: Handlers, name: str, description: str, parent: app_commands.Group
) -> app_commands.Command[app_commands.Group, ..., None]:
    """/digest subscribe or settings: every option optional, passed typed to Commands."""

    @app_commands.describe(
        time="Local time, e.g. 09:00", timezone="IANA timezone, e.g. Europe/Berlin",
        days="Weekdays, e.g. mon-fri or mon,wed,fri", top=f"How many papers, 1 to {MAX_COUNT}",
        categories="arXiv categories, e.g. cs.LG,cs.CL (none: all)", ranking="hot or seed",
        keywords="Only papers mentioning one of these words (none: no filter)",
        exclude="arXiv categories to leave out, e.g. math.CO (none: nothing)",
        min_score="Leave out papers scoring less (none: no minimum)",
        repeat_days=f"Days before a paper may be shown here again, 0 to {MAX_REPEAT_DAYS}",
        empty_day="On a day with no papers: skip, or post a short note",
        channel_weight=f"What one reaction here adds to a score, 0 to {MAX_CHANNEL_WEIGHT:g}",
        layout="grouped (ten papers a message) or per-paper (one message per paper)",
        weekly="Also post the week's best on this weekday, e.g. fri (off: none)",
    )  # fmt: skip
    @app_commands.autocomplete(timezone=h.complete_timezone)
    async def callback(
        interaction: Interaction, time: str | None = None, timezone: str | None = None,
        days: str | None = None, top: app_commands.Range[int, 1, MAX_COUNT] | None = None,
        categories: str | None = None, ranking: Ranking | None = None,
        keywords: str | None = None, exclude: str | None = None, min_score: str | None = None,
        repeat_days: app_commands.Range[int, 0, MAX_REPEAT_DAYS] | None = None,
        empty_day: Literal["skip", "note"] | None = None, channel_weight: str | None = None,
        layout: Literal["grouped", "per-paper"] | None = None, weekly: str | None = None,
    ) -> None:  # fmt: skip
        options = {
            "time": time, "timezone": timezone, "days": days, "top": top,
            "categories": categories, "ranking": ranking, "keywords": keywords,
            "exclude_categories": exclude, "min_score": min_score, "repeat_days": repeat_days,
            "empty_day": empty_day, "channel_weight": channel_weight, "layout": layout,
            "weekly": weekly,
        }  # fmt: skip
        await h.digest(interaction, DigestRequest(name, options=options))

    return app_commands.Command(
        name=name, description=description, callback=callback, parent=parent
    )


def _action(
    h: Handlers, name: str, description: str, parent: app_commands.Group
) -> app_commands.Command[app_commands.Group, ..., None]:
    """A /digest subcommand without options."""

    async def callback(interaction: Interaction) -> None:
        await h.digest(interaction, DigestRequest(name))

    return app_commands.Command(
        name=name, description=description, callback=callback, parent=parent
    )


def build_tree(
    client: discord.Client, handlers: Handlers
) -> app_commands.CommandTree[discord.Client]:
    """The client's command tree with every hotpapers command (nothing is synced here)."""
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)

    @tree.command(name="hot", description="The arXiv papers people are talking about right now")
    @app_commands.describe(
        count=f"How many papers, 1 to {MAX_COUNT}", category="An arXiv category, e.g. cs.LG",
        period="now (default), or week: this channel's favourites and the week's top",
    )  # fmt: skip
    @app_commands.autocomplete(category=handlers.complete_category)
    async def hot(
        interaction: Interaction,
        count: app_commands.Range[int, 1, MAX_COUNT] = DEFAULT_COUNT,
        category: str | None = None,
        period: Period = "now",
    ) -> None:
        await handlers.hot(interaction, count, category, period)

    @tree.command(name="paper", description="One paper's card with its score breakdown")
    @app_commands.describe(query="An arXiv id or URL, e.g. 2106.12627")
    async def paper(interaction: Interaction, query: str) -> None:
        await handlers.paper(interaction, query)

    @tree.command(name="search", description="Search the stored papers' titles and abstracts")
    @app_commands.describe(words="Words to look for, e.g. diffusion transformers")
    async def search(interaction: Interaction, words: str) -> None:
        await handlers.search(interaction, words)

    tree.add_command(_digest_group(handlers))
    tree.error(handlers.on_error)
    return tree
