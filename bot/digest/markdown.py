"""The 2021 "Hot Papers" blog post format: front matter, then one section per paper."""

from __future__ import annotations

import html
from datetime import datetime

from bot.config import MarkdownConfig
from bot.digest.escape import escape_markdown, one_line, strip_controls
from bot.models import SOURCE_LABELS, Digest, RankedPaper, SocialPost

__all__ = ["post_filename", "render_markdown"]

_TWEET_SCRIPT = (
    '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
)


def post_filename(digest: Digest) -> str:
    """The blog's file name for a digest day."""
    return f"hot-papers-{digest.day.isoformat()}.md"


def _front_matter(digest: Digest, config: MarkdownConfig) -> str:
    """The Gatsby front matter block the blog used, with its `.Z` date spelling."""
    day = digest.day.isoformat()
    tags = "".join(f'  - "{tag}"\n' for tag in config.tags)
    return (
        "---\n"
        f"title: Hot Papers {day}\n"
        f"date: {digest.generated_at.strftime('%Y-%m-%dT%H:%M:%S')}.Z\n"
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


def _tweet(post: SocialPost) -> str:
    """The standard tweet embed blockquote, as the blog embedded X posts."""
    text = html.escape(strip_controls(post.text), quote=False).replace("\n", "<br>")
    name = html.escape(strip_controls(post.author_name or post.author), quote=False)
    handle = html.escape(post.author, quote=True)
    when = post.created_at or post.observed_at
    day = f"{when.strftime('%B')} {when.day}, {when.year}"
    url = f"https://twitter.com/{handle}/status/{html.escape(post.post_id, quote=True)}"
    lang = html.escape(post.lang or "en", quote=True)
    return (
        f'<blockquote class="twitter-tweet"><p lang="{lang}" dir="ltr">{text}</p>&mdash; '
        f"{name} (@{html.escape(post.author, quote=False)}) "
        f'<a href="{url}?ref_src=twsrc%5Etfw">{day}</a></blockquote>\n{_TWEET_SCRIPT}\n'
    )


def _quoted(post: SocialPost) -> str:
    """A non-X post as a quoted line with its author, source and link."""
    label = SOURCE_LABELS.get(post.source, post.source)
    who = escape_markdown(one_line(post.author_name or post.author)) or label
    text = escape_markdown(one_line(post.text))
    url = post.url.replace(")", "%29").replace(" ", "%20")
    return f"> {text} — [{who} on {label}]({url})\n"


def _post(post: SocialPost) -> str:
    """One shown post followed by the blank line the blog left after each."""
    return (_tweet(post) if post.source == "x" else _quoted(post)) + "\n"


def _score_line(item: RankedPaper, digest: Digest) -> str:
    """The blog's counts line for seed; the explained score for hot."""
    stamp = _stamp(item.as_of, digest.generated_at)
    if digest.ranking == "seed":
        return f"- retweets: {item.reposts}, favorites: {item.likes} ({stamp})\n"
    return f"- score: {escape_markdown(item.explanation)} ({stamp})\n"


def _paper(item: RankedPaper, digest: Digest) -> str:
    """One paper's section, ending with the blog's blank lines."""
    paper = item.paper
    links = f"- links: [abs]({paper.abs_url}) | [pdf]({paper.pdf_url})"
    for label, url in item.links.items():
        links += f" | [{escape_markdown(label)}]({url.replace(')', '%29')})"
    cats = " | ".join(f"[{c}](https://arxiv.org/list/{c}/recent)" for c in paper.categories)
    authors = ", ".join(escape_markdown(one_line(a)) for a in paper.authors)
    return (
        f"\n# {item.rank}. {escape_markdown(one_line(paper.title))}\n\n"
        f"{authors}\n\n"
        f"{_score_line(item, digest)}\n"
        f"{links}\n"
        f"- {cats}\n\n"
        f"{escape_markdown(one_line(paper.abstract))}\n\n"
        + "".join(_post(p) for p in item.posts)
        + "\n\n"
    )


def render_markdown(digest: Digest, config: MarkdownConfig) -> str:
    """The whole blog post for a digest."""
    return _front_matter(digest, config) + "".join(_paper(p, digest) for p in digest.papers)
