"""Block Kit rendering (pure): digests, papers, abstracts and search results, within limits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.adapters.slack.mrkdwn import clip, escape, escape_clip, fit, link, width
from bot.channels import OutboundMessage
from bot.models import SOURCE_LABELS, Digest, Layout, Paper, RankedPaper, term_label
from bot.untrusted import one_line

__all__ = [
    "MAX_BLOCKS",
    "MAX_HEADER_TEXT",
    "MAX_SECTION_TEXT",
    "PAPERS_PER_MESSAGE",
    "abstract_payload",
    "render_digest",
    "render_paper",
    "search_payload",
    "text_payload",
]

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 2000
MAX_FALLBACK_TEXT = 3000
PAPERS_PER_MESSAGE = 10  # one keycap reaction per paper, :one: to :keycap_ten:
POSTS_PER_PAPER = 3
MAX_AUTHORS = 8
# Budgets of a paper section's lines: together (with newlines) below MAX_SECTION_TEXT.
_TITLE, _AUTHORS, _CATEGORIES, _SCORE, _DETAILS, _LINKS = 650, 300, 200, 400, 400, 1000
_NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "keycap_ten"]


def _mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    """A mrkdwn text object; verbatim so Slack does not auto-link names or mentions in it."""
    return {"type": "mrkdwn", "text": clip(text, limit), "verbatim": True}


def _header(text: str) -> dict[str, Any]:
    """A header block (plain text, never parsed)."""
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, MAX_HEADER_TEXT)}}


def _section(text: str) -> dict[str, Any]:
    """A section block with one mrkdwn text."""
    return {"type": "section", "text": _mrkdwn(text)}


def _context(texts: Sequence[str]) -> dict[str, Any]:
    """A context block of small grey lines."""
    elements = [_mrkdwn(t, MAX_CONTEXT_TEXT) for t in texts if t][:MAX_CONTEXT_ELEMENTS]
    return {"type": "context", "elements": elements}


def _payload(blocks: list[dict[str, Any]], text: str) -> dict[str, Any]:
    """A chat.postMessage body: blocks, the plain fallback, and no link previews."""
    return {
        "blocks": blocks[:MAX_BLOCKS],
        "text": clip(text, MAX_FALLBACK_TEXT),
        "unfurl_links": False,
        "unfurl_media": False,
    }


def _title(paper: Paper) -> str:
    """The title on one line; the id when a feed gave no title, so a text is never empty."""
    return one_line(paper.title) or f"arXiv:{paper.arxiv_id}"


def _authors(paper: Paper) -> str:
    """Up to MAX_AUTHORS names, then 'et al.'."""
    names = [one_line(a) for a in paper.authors[:MAX_AUTHORS]]
    more = " et al." if len(paper.authors) > MAX_AUTHORS else ""
    return escape_clip(", ".join(names), _AUTHORS - len(more)) + more if names else ""


def _categories(paper: Paper) -> str:
    """The categories as code spans, primary first."""
    return fit((f"`{escape_clip(c, 40)}`" for c in paper.categories), _CATEGORIES, " ")


def _score_lines(item: RankedPaper) -> list[str]:
    """The score with its breakdown, then each source's raw numbers."""
    if not item.breakdown:
        return ["_No posts or votes in the current window._"]
    score = f"*Score* {escape_clip(item.explanation, _SCORE - 12)}"
    details = " · ".join(f"{term_label(s)}: {d}" for s, d in item.details.items())
    if not details and (item.reposts or item.likes):
        details = f"{item.reposts} reposts · {item.likes} likes"
    return [score, escape_clip(details, _DETAILS)]


def _links(item: RankedPaper) -> str:
    """arXiv, PDF and extra links (Hugging Face, code) that fit."""
    paper = item.paper
    links = [link(paper.abs_url, "arXiv"), link(paper.pdf_url, "PDF")]
    links += [link(url, label, 40) for label, url in item.links.items()]
    return fit(links, _LINKS, " · ")


def paper_text(item: RankedPaper, number: int | None) -> str:
    """A paper's section: linked title (numbered in digests), authors, categories, score, links."""
    title = f"*{link(item.paper.abs_url, _title(item.paper))}*"
    title = f"*{number}.* {title}" if number is not None else title
    lines = [title, _trending(item), _authors(item.paper), _categories(item.paper),
             *_score_lines(item)]  # fmt: skip
    return fit([*lines, _links(item)], MAX_SECTION_TEXT)


def _trending(item: RankedPaper) -> str:
    """':repeat: *Trending again* · first announced 2 Mar 2024, +480 in the last 24 h'."""
    if item.surge is None:
        return ""
    return f":repeat: *Trending again* · {escape_clip(item.surge.detail, 200)}"


def _post_line(item: RankedPaper, index: int) -> str:
    """One social post under a paper: where, who, what they said."""
    post = item.posts[index]
    who = f"@{post.author}" if post.author else post.author_name or "post"
    said = escape_clip(one_line(post.text), 280)
    source = SOURCE_LABELS.get(post.source, post.source)
    return f"{escape_clip(source, 20)} {link(post.url, who, 80)}" + (f": {said}" if said else "")


def _paper_blocks(item: RankedPaper, number: int | None) -> list[dict[str, Any]]:
    """A section for the paper, and a context block of its best posts."""
    blocks = [_section(paper_text(item, number))]
    posts = [_post_line(item, i) for i in range(min(len(item.posts), POSTS_PER_PAPER))]
    if posts:
        blocks.append(_context(posts))
    return blocks


def _digest_title(digest: Digest) -> str:
    """The header of a scheduled digest."""
    name = "Hot papers" if digest.ranking == "hot" else "Papers of the day"
    return f"{name} · {digest.day:%a %d %b %Y}"


def _per_paper(digest: Digest, title: str, note: str, sources: str) -> list[OutboundMessage]:
    """A header message, then one message per paper, so any reaction on it is about that paper."""
    intro = f"Ranked by *{digest.ranking}* · {len(digest.papers)} papers, one message each"
    intro += f" · sources: {escape_clip(sources, 300)}" if sources else ""
    blocks = [_header(title), _context([intro, note])]
    text = escape_clip(title, MAX_FALLBACK_TEXT)
    messages = [OutboundMessage(_payload(blocks, text), text, (), {"part": 1})]
    for item in digest.papers:
        blocks = _paper_blocks(item, item.rank)
        blocks.append(_context(["React with :page_facing_up: for the abstract in a thread."]))
        text = f"{item.rank}. {escape_clip(_title(item.paper), 500)}"
        ids = (item.paper.arxiv_id,)
        messages.append(OutboundMessage(_payload(blocks, text), text, ids, {"part": item.rank + 1}))
    return messages


def render_digest(
    digest: Digest, *, title: str | None = None, layout: Layout = "grouped"
) -> list[OutboundMessage]:
    """Split a digest into messages of at most PAPERS_PER_MESSAGE papers, numbered within each.

    layout per-paper: a header message, then each paper in a message of its own.
    """
    title = one_line(title or digest.title or _digest_title(digest))
    papers = digest.papers
    chunks = [papers[i : i + PAPERS_PER_MESSAGE] for i in range(0, len(papers), PAPERS_PER_MESSAGE)]
    sources = ", ".join(term_label(s) for s in digest.sources)
    missing = ", ".join(SOURCE_LABELS.get(s, s) for s in digest.missing_sources)
    note = escape_clip(f"No data from {missing} this time.", 300) if missing else ""
    if not chunks:
        blocks = [_header(title), _section("Nothing to show: no paper crossed the threshold.")]
        if note:
            blocks.append(_context([note]))
        return [OutboundMessage(_payload(blocks, f"{escape(title)}: nothing to show"), title)]
    if layout == "per-paper":
        return _per_paper(digest, title, note, sources)
    messages = []
    for part, chunk in enumerate(chunks, 1):
        first = (part - 1) * PAPERS_PER_MESSAGE + 1
        head = f"{title} ({part}/{len(chunks)})" if len(chunks) > 1 else title
        intro = f"Ranked by *{digest.ranking}* · papers {first}–{first + len(chunk) - 1} of"
        intro += f" {len(papers)}" + (f" · sources: {escape_clip(sources, 300)}" if sources else "")
        blocks = [_header(head), _context([intro, note] if part == 1 else [intro])]
        for number, item in enumerate(chunk, 1):
            if number > 1:
                blocks.append({"type": "divider"})
            blocks += _paper_blocks(item, number)
        last = _NUMBERS[len(chunk) - 1]
        hint = (
            "React with :one: for its abstract"
            if len(chunk) == 1
            else (f"React with :one: … :{last}: for a paper's abstract")
        )
        blocks.append(_context([f"{hint} in a thread."]))
        titles = (f"{n}. {escape_clip(_title(p.paper), 200)}" for n, p in enumerate(chunk, 1))
        prefix = f"{escape(head)}: "
        text = prefix + fit(titles, MAX_FALLBACK_TEXT - width(prefix), "; ")
        ids = tuple(p.paper.arxiv_id for p in chunk)
        messages.append(OutboundMessage(_payload(blocks, text), text, ids, {"part": part}))
    return messages


def render_paper(item: RankedPaper) -> OutboundMessage:
    """A single-paper message; :page_facing_up: on it brings the abstract."""
    blocks = _paper_blocks(item, None)
    blocks.append(_context(["React with :page_facing_up: for the abstract in a thread."]))
    text = escape_clip(_title(item.paper), 500)
    return OutboundMessage(_payload(blocks, text), text, (item.paper.arxiv_id,))


def abstract_payload(paper: Paper) -> dict[str, Any]:
    """The reply a reaction brings: title, authors, the abstract, ids and categories."""
    head = fit([f"*{link(paper.abs_url, _title(paper))}*", _authors(paper)], MAX_SECTION_TEXT)
    abstract = escape_clip(one_line(paper.abstract) or "No abstract stored.", MAX_SECTION_TEXT)
    meta = fit([f"arXiv:{escape_clip(paper.arxiv_id, 40)}", _categories(paper),
                link(paper.pdf_url, "PDF")], MAX_CONTEXT_TEXT, " · ")  # fmt: skip
    blocks = [_section(head), _section(abstract), _context([meta])]
    return _payload(blocks, f"Abstract of {escape_clip(_title(paper), 500)}")


def search_payload(papers: Sequence[Paper], words: str) -> dict[str, Any]:
    """Search results as one section per paper, for the person who searched."""
    intro = f"Stored papers matching “{escape_clip(one_line(words), 200)}”:"
    blocks = [_section(intro)]
    for paper in papers[:PAPERS_PER_MESSAGE]:
        ident = f"`{escape_clip(paper.arxiv_id, 40)}`"
        line = fit([ident, _categories(paper), _authors(paper)], 700, " · ")
        blocks.append(_section(fit([f"*{link(paper.abs_url, _title(paper))}*", line], 3000)))
    text = intro + " " + "; ".join(escape_clip(_title(p), 200) for p in papers[:10])
    return _payload(blocks, text)


def text_payload(text: str) -> dict[str, Any]:
    """A plain reply (usage lines, confirmations); escaped, since it may echo what a user typed."""
    return {"text": escape_clip(text, MAX_FALLBACK_TEXT)}
