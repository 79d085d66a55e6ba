"""Renderers: a Digest to Markdown (the 2021 blog), plain text or JSON. Pure functions."""

from bot.digest.jsonfmt import render_json
from bot.digest.markdown import render_markdown
from bot.digest.text import render_text

__all__ = ["render_json", "render_markdown", "render_text"]
