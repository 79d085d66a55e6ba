"""X posts as Twitter's embed (oEmbed) wrote them into the 2021 blog, from text and entities."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote

from bot.digest.escape import escape_html, flat, web_url
from bot.entities import Entity, locate
from bot.models import SocialPost

__all__ = ["x_embed"]

_SCRIPT = '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
_REF = "ref_src=twsrc%5Etfw"
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Languages X writes right to left; the embed marked their paragraphs dir="rtl".
_RTL = frozenset({"ar", "ckb", "dv", "fa", "he", "iw", "ps", "sd", "ug", "ur", "yi"})
_HANDLE = re.compile(r"[A-Za-z0-9_]{1,50}")
_MEDIA_HOSTS = ("pic.twitter.com/", "pic.x.com/")


def _text(text: str) -> str:
    """Plain post text as the embed escaped it, newlines as <br>."""
    return escape_html(text).replace("\n", "<br>")


def _href(entity: Entity) -> str | None:
    """Where an entity's anchor points, escaped for the attribute; None when it cannot link."""
    tag = quote(entity.value, safe="")
    if entity.kind == "urls":
        url = web_url(entity.url)
        return escape_html(url) if url else None
    if entity.kind == "mentions":
        handle = _HANDLE.fullmatch(entity.value)
        return f"https://twitter.com/{handle[0]}?{_REF}" if handle else None
    if entity.kind == "hashtags":
        return f"https://twitter.com/hashtag/{tag}?src=hash&amp;{_REF}"
    return f"https://twitter.com/search?q=%24{tag}&amp;src=ctag&amp;{_REF}"


def _label(text: str, entity: Entity) -> str:
    """An anchor's text: links show the t.co address (media their pic.twitter.com form)."""
    if entity.kind != "urls":
        return text[entity.start : entity.end]
    media = entity.display_url.startswith(_MEDIA_HOSTS)
    return entity.display_url if media else entity.url


def _body(post: SocialPost) -> str:
    """The paragraph: text with every entity that can link made an anchor."""
    parts, cursor = [], 0
    for entity in locate(post.text, post.entities).items:
        href = _href(entity)
        if href is None:
            continue
        parts.append(_text(post.text[cursor : entity.start]))
        parts.append(f'<a href="{href}">{escape_html(_label(post.text, entity))}</a>')
        cursor = entity.end
    parts.append(_text(post.text[cursor:]))
    return "".join(parts)


def _day(moment: datetime) -> str:
    """'June 25, 2021', in English whatever the locale."""
    return f"{_MONTHS[moment.month - 1]} {moment.day}, {moment.year}"


def x_embed(post: SocialPost) -> str:
    """The embed blockquote and Twitter's script line, each ending with a newline."""
    handle = escape_html(post.author)
    status = (
        f"https://twitter.com/{quote(post.author, safe='')}/status/{quote(post.post_id, safe='')}"
    )
    lang = escape_html(post.lang or "en")
    direction = "rtl" if post.lang.split("-")[0].lower() in _RTL else "ltr"
    name = escape_html(flat(post.author_name or post.author))
    when = _day(post.created_at or post.observed_at)
    return (
        f'<blockquote class="twitter-tweet"><p lang="{lang}" dir="{direction}">{_body(post)}</p>'
        f'&mdash; {name} (@{handle}) <a href="{status}?{_REF}">{when}</a></blockquote>\n'
        f"{_SCRIPT}\n"
    )
