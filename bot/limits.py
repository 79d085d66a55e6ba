"""Every size limit a user can meet, written once: commands, settings and the CLI use these."""

from __future__ import annotations

__all__ = [
    "MAX_CHANNEL_WEIGHT",
    "MAX_COUNT",
    "MAX_DIGEST_TOP",
    "MAX_ITEMS",
    "MAX_KEYWORD_CHARS",
    "MAX_QUERY_CHARS",
    "MAX_REPEAT_DAYS",
    "MAX_SETTINGS_CHARS",
]

MAX_COUNT = 25  # papers in a chat answer or a channel's digest: Discord caps a choice list at 25
MAX_DIGEST_TOP = 100  # papers in a `hotpapers digest` (and [digest] top)
MAX_ITEMS = 50  # categories, excluded categories or keywords in one list
MAX_KEYWORD_CHARS = 100  # one keyword
MAX_QUERY_CHARS = 300  # one /search query
MAX_SETTINGS_CHARS = 2000  # the text after /digest <action>
MAX_REPEAT_DAYS = 365  # how long a channel remembers what it was shown
MAX_CHANNEL_WEIGHT = 1000.0  # what one person's reaction in a channel may be worth (score points)
