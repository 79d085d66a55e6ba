"""The Discord adapter: slash commands, abstracts on reaction and scheduled digests."""

from bot.adapters.discord.adapter import DiscordAdapter, build_discord
from bot.adapters.discord.cli import add_commands

__all__ = ["DiscordAdapter", "add_commands", "build_discord"]
