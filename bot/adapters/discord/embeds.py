"""Papers and digests as Discord messages, within every Discord limit by construction (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.adapters.discord.text import clip, escape, plain, safe_url, units
from bot.channels import OutboundMessage
from bot.models import (
    SOURCE_LABELS,
    Digest,
    Layout,
    Paper,
    RankedPaper,
    SocialPost,
    term_label,
)
from bot.rank import format_score
from bot.untrusted import one_line

__all__ = [
    "MARKER_ROOM",
    "abstract_message",
    "digest_messages",
    "embed_size",
    "paper_message",
    "search_message",
    "text_message",
]

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
AUTHOR_MAX = 256
EMBEDS_TOTAL_MAX = 6000  # title, description, field names and values, footer and author, summed
EMBEDS_MAX = 10
CONTENT_MAX = 2000
PAPERS_PER_MESSAGE = 10  # one keycap reaction, 1️⃣ to 🔟, per paper
MARKER_ROOM = 40  # room kept in the last footer (or the content) for the delivery marker
COLOR = 0xB31B1B  # arXiv red
_AUTHORS_SHOWN = 3
_SOURCES_SHOWN = 20  # fields per /paper card, well under 25


class _Budget:
    """Characters left for one embed; every part is cut to what is left."""

    def __init__(self, total: int) -> None:
        """Start with total units."""
        self.left = total

    def take(self, text: str, limit: int) -> str:
        """Text cut to the part's own limit and to what is left, then paid for."""
        kept = clip(text, min(limit, self.left))
        self.left -= units(kept)
        return kept


def embed_size(embed: dict[str, Any]) -> int:
    """What Discord counts towards the 6000 characters of a message's embeds."""
    size = units(embed.get("title", "")) + units(embed.get("description", ""))
    size += units(embed.get("footer", {}).get("text", ""))
    size += units(embed.get("author", {}).get("name", ""))
    return size + sum(units(f["name"]) + units(f["value"]) for f in embed.get("fields", []))


def _authors(paper: Paper) -> str:
    """'A, B, C et al.' (author names are plain text in embeds: no markdown to escape)."""
    names = [a for a in paper.authors if a.strip()]
    shown = ", ".join(plain(a) for a in names[:_AUTHORS_SHOWN])
    return f"{shown} et al." if len(names) > _AUTHORS_SHOWN else shown


def _links(item: RankedPaper, budget: _Budget) -> str:
    """'[abs](…) · [PDF](…) · [HF](…) · [code](…)', whole links only, while they fit."""
    candidates = [("abs", item.paper.abs_url), ("PDF", item.paper.pdf_url), *item.links.items()]
    parts: list[str] = []
    for label, url in candidates:
        safe = safe_url(url)
        if safe is None:
            continue
        link = f"[{escape(one_line(label))}]({safe})"
        joined = " · ".join([*parts, link])
        if units(joined) > min(FIELD_VALUE_MAX, budget.left - units("Links")):
            break
        parts.append(link)
    if not parts:
        return ""
    budget.left -= units("Links")  # the field's name counts too
    return budget.take(" · ".join(parts), FIELD_VALUE_MAX)


def _score(item: RankedPaper) -> str:
    """'**142** = HF 61 + HN 48', or a note when nobody talks about the paper."""
    if not item.breakdown:
        return f"**{format_score(item.score)}** (no one is talking about it yet)"
    head, _, rest = item.explanation.partition(" = ")
    return f"**{escape(head)}** = {escape(rest)}" if rest else f"**{escape(head)}**"


def _engagement(post: SocialPost) -> str:
    """'950 points' on HN, '12 upvotes' on Reddit, '3 reposts, 40 likes' elsewhere."""
    unit = {"hackernews": "points", "reddit": "upvotes"}.get(post.source)
    return f"{post.seed_score} {unit}" if unit else f"{post.reposts} reposts, {post.likes} likes"


def _quote(post: SocialPost, room: int) -> str:
    """A post quoted and attributed in at most room units; empty if the byline will not fit."""
    who = escape(clip(one_line(post.author_name or post.author or post.source), 64))
    url = safe_url(post.url)
    where = SOURCE_LABELS.get(post.source, escape(post.source))
    byline = f"— [{who}]({url})" if url else f"— {who}"
    byline += f" on {where} · {_engagement(post)}"
    byline = clip(byline, room) if url is None else byline
    if units(byline) > room:
        return ""
    text = escape(one_line(post.text))
    quote = clip(text, room - units(byline) - units("> \n")) if text else ""
    return f"> {quote}\n{byline}" if quote else byline


def _field(fields: list[dict[str, Any]], name: str, value: str, budget: _Budget) -> None:
    """Add a field if its name and a non-empty value fit (Discord rejects empty values)."""
    if not value.strip() or not name.strip() or units(name) >= budget.left:
        return
    name = budget.take(name, FIELD_NAME_MAX)
    value = budget.take(value, FIELD_VALUE_MAX)
    if value:
        fields.append({"name": name, "value": value, "inline": True})


def paper_embed(
    item: RankedPaper, number: int | None, budget: int, *, full: bool = False
) -> dict[str, Any]:
    """One paper as an embed of at most budget units; full adds per-source details and posts."""
    paper, left = item.paper, _Budget(budget)
    prefix = f"{number}. " if number is not None else ""
    name = escape(one_line(paper.title)) or f"arXiv:{paper.arxiv_id}"
    title = left.take(prefix + name, min(TITLE_MAX, max(budget // 3, 60)))
    embed: dict[str, Any] = {"type": "rich", "title": title, "url": paper.abs_url, "color": COLOR}
    # Paid in order of importance, shown in Discord's order: links, score, categories, authors.
    links = _links(item, left)
    fields: list[dict[str, Any]] = []
    _field(fields, "Score", _score(item), left)
    if item.surge is not None:
        _field(fields, "🔁 Trending again", escape(item.surge.detail), left)
    if full:
        for source, value in list(item.breakdown.items())[:_SOURCES_SHOWN]:
            label = term_label(source)
            detail = item.details.get(source, "")
            text = f"{format_score(value)} ({detail})" if detail else format_score(value)
            _field(fields, escape(label), escape(text), left)
    _field(fields, "Categories", escape(" · ".join(paper.categories)), left)
    if links:
        fields.append({"name": "Links", "value": links, "inline": False})
    author = left.take(_authors(paper), AUTHOR_MAX)
    if author:
        embed["author"] = {"name": author}
    description = ""
    for post in item.posts[: 3 if full else 1]:
        gap = "\n\n" if description else ""
        room = min(left.left, DESCRIPTION_MAX - units(description)) - units(gap)
        quote = _quote(post, room)
        if not quote:
            break
        description += gap + quote
        left.left -= units(gap + quote)
    if description:
        embed["description"] = description
    if fields:
        embed["fields"] = fields[:FIELDS_MAX]
    return embed


def _message(
    content: str, embeds: list[dict[str, Any]], ids: Sequence[str], text: str
) -> OutboundMessage:
    """An outbound message; the payload is what Discord's create-message endpoint takes."""
    payload: dict[str, Any] = {
        "content": clip(content, CONTENT_MAX - MARKER_ROOM),
        "embeds": embeds,
    }
    return OutboundMessage(payload=payload, text=text, arxiv_ids=tuple(ids))


def _footer(embeds: list[dict[str, Any]], text: str) -> None:
    """Put the footer on the last embed (footers are plain text: no markdown to escape)."""
    if embeds:
        embeds[-1]["footer"] = {"text": clip(plain(text), FOOTER_MAX - MARKER_ROOM)}


def _pages(items: Sequence[RankedPaper], header: str, footer: str) -> list[OutboundMessage]:
    """Papers split at most ten a message, numbered within it, each message within 6000."""
    chunks = [items[i : i + PAPERS_PER_MESSAGE] for i in range(0, len(items), PAPERS_PER_MESSAGE)]
    footer_units = min(units(footer), FOOTER_MAX - MARKER_ROOM)
    messages = []
    for page, chunk in enumerate(chunks, 1):
        per_embed = (EMBEDS_TOTAL_MAX - footer_units - MARKER_ROOM) // len(chunk)
        embeds = [paper_embed(item, n, per_embed) for n, item in enumerate(chunk, 1)]
        _footer(embeds, footer)
        first, last = chunk[0].rank, chunk[-1].rank
        where = f" ({page}/{len(chunks)}: #{first}–{last})" if len(chunks) > 1 else ""
        summary = "; ".join(f"{n}. {one_line(i.paper.title)}" for n, i in enumerate(chunk, 1))
        messages.append(
            _message(
                f"{header}{where}\nReact with 1️⃣–🔟 for a paper's abstract.",
                embeds,
                [i.paper.arxiv_id for i in chunk],
                clip(f"{one_line(header)}{where}: {summary}", 500),
            )
        )
    return messages


def _per_paper(items: Sequence[RankedPaper], header: str, footer: str) -> list[OutboundMessage]:
    """A header message, then one message per paper, so any reaction on it is about that paper."""
    hint = "One message per paper: react with 📄 for its abstract."
    messages = [text_message(f"{header}\n{hint}")]
    tail = f"{footer} · 📄 for the abstract"
    budget = EMBEDS_TOTAL_MAX - min(units(tail), FOOTER_MAX - MARKER_ROOM) - MARKER_ROOM
    for item in items:
        embeds = [paper_embed(item, item.rank, budget)]
        _footer(embeds, tail)
        text = clip(f"{item.rank}. {one_line(item.paper.title)}", 500)
        messages.append(_message("", embeds, [item.paper.arxiv_id], text))
    return messages


def digest_messages(
    digest: Digest, title: str | None = None, *, layout: Layout = "grouped"
) -> list[OutboundMessage]:
    """A digest: a header line, then one embed per paper; longer digests split cleanly.

    layout per-paper: the header alone, then each paper in a message of its own.
    """
    day = f"{digest.day:%A} {digest.day.day} {digest.day:%B %Y}"
    name = title or digest.title
    header = f"**{escape(name) if name else 'Hot arXiv papers'} — {day}**"
    if digest.missing_sources:
        header += f"\n-# No data from {escape(', '.join(digest.missing_sources))} this time."
    footer = f"hotpapers · {digest.ranking} ranking · {digest.day.isoformat()}"
    if not digest.papers:
        return [text_message(f"{header}\nNo paper has caught anyone's attention yet.")]
    if layout == "per-paper":
        return _per_paper(digest.papers, header, footer)
    return _pages(digest.papers, header, footer)


def paper_message(item: RankedPaper) -> OutboundMessage:
    """One paper's card with its score breakdown; 📄 on it brings the abstract."""
    footer = "React with 📄 for the abstract."
    embeds = [paper_embed(item, None, EMBEDS_TOTAL_MAX - units(footer) - MARKER_ROOM, full=True)]
    _footer(embeds, footer)
    return _message("", embeds, [item.paper.arxiv_id], one_line(item.paper.title))


def search_message(words: str, papers: Sequence[Paper]) -> OutboundMessage:
    """Search results as numbered compact cards, so keycap reactions bring abstracts."""
    shown = [RankedPaper(rank=i, paper=p, score=0.0, breakdown={}, explanation="0") for i, p in
             enumerate(papers[:PAPERS_PER_MESSAGE], 1)]  # fmt: skip
    per_embed = (EMBEDS_TOTAL_MAX - MARKER_ROOM) // max(len(shown), 1)
    embeds = [_search_embed(item, per_embed) for item in shown]
    header = f"Stored papers matching “{escape(clip(one_line(words), 200))}”"
    summary = "; ".join(one_line(p.title) for p in papers)
    return _message(
        f"{header}\nReact with 1️⃣–🔟 for a paper's abstract.",
        embeds,
        [i.paper.arxiv_id for i in shown],
        clip(f"{one_line(words)}: {summary}", 500),
    )


def _search_embed(item: RankedPaper, budget: int) -> dict[str, Any]:
    """A search hit: title, authors, categories and links; no score."""
    embed = paper_embed(item, item.rank, budget)
    embed["fields"] = [f for f in embed.get("fields", []) if f["name"] != "Score"]
    return embed


def abstract_message(paper: Paper) -> OutboundMessage:
    """The abstract, as the reply a reaction brings."""
    left = _Budget(EMBEDS_TOTAL_MAX - MARKER_ROOM)
    title = left.take(escape(one_line(paper.title)) or f"arXiv:{paper.arxiv_id}", TITLE_MAX)
    embed: dict[str, Any] = {"type": "rich", "title": title, "url": paper.abs_url, "color": COLOR}
    author = left.take(_authors(paper), AUTHOR_MAX)
    if author:
        embed["author"] = {"name": author}
    footer = left.take(
        plain(f"arXiv:{paper.arxiv_id} · {' · '.join(paper.categories)}"), FOOTER_MAX - MARKER_ROOM
    )
    embed["footer"] = {"text": footer}
    abstract = " ".join(one_line(part) for part in paper.abstract.split("\n\n"))
    description = left.take(escape(abstract) or "(no abstract stored)", DESCRIPTION_MAX)
    if description:
        embed["description"] = description
    return _message("", [embed], [paper.arxiv_id], f"Abstract of arXiv:{paper.arxiv_id}")


def text_message(text: str) -> OutboundMessage:
    """A plain text message, cut to Discord's 2000 characters."""
    return _message(text, [], [], one_line(text)[:500])
