"""The 2021 "Hot Papers" blog post format: front matter, then one section per paper.

With the seed ranking a post is the blog's to the byte: arXiv's text as arXiv wrote it (only
what could act on a page neutralised) and X posts as Twitter's embed wrote them. The hot
ranking escapes every field, since its text comes from many more places.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.config import MarkdownConfig
from bot.digest.embed import x_embed
from bot.digest.escape import escape_markdown, flat, inert_markdown, is_category, web_url
from bot.models import SOURCE_LABELS, Digest, RankedPaper, SocialPost

__all__ = ["post_date", "post_filename", "render_markdown"]


def post_filename(digest: Digest) -> str:
    """The blog's file name for a digest day."""
    return f"hot-papers-{digest.day.isoformat()}.md"


def post_date(digest: Digest) -> datetime:
    """The front matter's date: when the run started, as the blog wrote it.

    A digest ranked from a snapshot had no run; its first listed paper's observation time
    stands in, which is what the blog's first paper was stamped with.
    """
    if digest.started_at is not None:
        return digest.started_at
    first = digest.papers[0].as_of if digest.papers else None
    return first or digest.generated_at


def _front_matter(digest: Digest, config: MarkdownConfig) -> str:
    """The Gatsby front matter block the blog used, with its `.Z` date spelling."""
    day = digest.day.isoformat()
    tags = "".join(f'  - "{tag}"\n' for tag in config.tags)
    return (
        "---\n"
        f"title: Hot Papers {day}\n"
        f"date: {post_date(digest).strftime('%Y-%m-%dT%H:%M:%S')}.Z\n"
        f'template: "{config.template}"\n'
        "draft: false\n"
        f'slug: "hot-papers-{day}"\n'
        f'category: "{config.category}"\n'
        f"tags:\n{tags}"
        f'description: "Hot papers {day}"\n'
        f'socialImage: "{config.social_image}"\n'
        "\n"
        "---\n"
    )


def _stamp(moment: datetime | None, fallback: datetime) -> str:
    """The blog's observation time spelling, e.g. 06/26/2021 08:14:47."""
    return (moment or fallback).strftime("%m/%d/%Y %H:%M:%S")


def _quoted(post: SocialPost) -> str:
    """A non-X post as a quoted line with its author, source and link (if it is a web link)."""
    label = SOURCE_LABELS.get(post.source, post.source)
    who = escape_markdown(flat(post.author_name or post.author)) or label
    text = escape_markdown(flat(post.text))
    url = web_url(post.url)
    credit = f"[{who} on {escape_markdown(label)}]({url})" if url else f"{who} on {label}"
    return f"> {text} — {credit}\n"


def _post(post: SocialPost) -> str:
    """One shown post followed by the blank line the blog left after each."""
    return (x_embed(post) if post.source == "x" else _quoted(post)) + "\n"


def _score_line(item: RankedPaper, digest: Digest) -> str:
    """The blog's counts line for seed; the explained score for hot (and why it is back)."""
    stamp = _stamp(item.as_of, digest.generated_at)
    if digest.ranking == "seed":
        return f"- retweets: {item.reposts}, favorites: {item.likes} ({stamp})\n"
    line = f"- score: {escape_markdown(item.explanation)} ({stamp})\n"
    if item.surge is not None:
        line += f"- {escape_markdown(item.surge.label)}\n"
    return line


def _links(item: RankedPaper) -> str:
    """abs and pdf, then extra links (Hugging Face, code) that are web addresses."""
    paper = item.paper
    links = f"- links: [abs]({paper.abs_url}) | [pdf]({paper.pdf_url})"
    for label, url in item.links.items():
        safe = web_url(url)
        if safe is not None:
            links += f" | [{escape_markdown(label)}]({safe})"
    return links + "\n"


def _category(name: str, text: Callable[[str], str]) -> str:
    """A category linking its arXiv listing; anything not spelled like one is plain text."""
    if is_category(name):
        return f"[{name}](https://arxiv.org/list/{name}/recent)"
    return text(name)


def _paper(item: RankedPaper, digest: Digest) -> str:
    """One paper's section, ending with the blog's blank lines."""
    paper = item.paper
    seed = digest.ranking == "seed"
    inline: Callable[[str], str] = (
        (lambda t: inert_markdown(t, starts_line=False)) if seed else escape_markdown
    )
    block: Callable[[str], str] = inert_markdown if seed else escape_markdown
    cats = " | ".join(_category(c, inline) for c in paper.categories)
    authors = ", ".join(flat(a) for a in paper.authors)
    return (
        f"\n# {item.rank}. {inline(flat(paper.title))}\n\n"
        f"{block(authors)}\n\n"
        f"{_score_line(item, digest)}\n"
        f"{_links(item)}"
        f"- {cats}\n\n"
        f"{block(flat(paper.abstract))}\n\n" + "".join(_post(p) for p in item.posts) + "\n\n"
    )


def render_markdown(digest: Digest, config: MarkdownConfig) -> str:
    """The whole blog post for a digest."""
    return _front_matter(digest, config) + "".join(_paper(p, digest) for p in digest.papers)
