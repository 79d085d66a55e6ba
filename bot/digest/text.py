"""Plain text for terminals: one numbered block per paper."""

from __future__ import annotations

from bot.digest.escape import flat
from bot.models import Digest, RankedPaper

__all__ = ["render_text", "short_authors"]


def short_authors(authors: tuple[str, ...], keep: int = 3) -> str:
    """'A, B, C et al.' for long author lists."""
    names = [flat(a) for a in authors]
    if len(names) <= keep:
        return ", ".join(names)
    return ", ".join(names[:keep]) + " et al."


def _paper(item: RankedPaper, width: int) -> str:
    """One paper: title, authors, categories and score, links."""
    paper = item.paper
    indent = " " * (width + 2)
    lines = [
        f"{item.rank:>{width}}. {flat(paper.title)}",
        f"{indent}{short_authors(paper.authors)}",
        f"{indent}{flat(', '.join(paper.categories))} · score {flat(item.explanation)}",
        f"{indent}{flat(paper.abs_url)}",
    ]
    if item.surge is not None:
        lines.insert(1, f"{indent}{item.surge.label}")
    return "\n".join(lines)


def render_text(digest: Digest) -> str:
    """The digest as readable plain text, ending with a newline."""
    count = len(digest.papers)
    head = f"Hot papers {digest.day.isoformat()} — {digest.ranking} ranking, {count} papers"
    if digest.missing_sources:
        head += f" (missing: {flat(', '.join(digest.missing_sources))})"
    if not digest.papers:
        return f"{head}\n\nNo paper qualifies yet.\n"
    width = len(str(digest.papers[-1].rank))
    return head + "\n\n" + "\n\n".join(_paper(p, width) for p in digest.papers) + "\n"
