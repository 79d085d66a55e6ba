"""A Hot Papers blog post read back into the inputs that made it: one snapshot per day.

The blog (2020-2022) listed each day's arXiv papers whose tweets' retweets + favorites reached
50, with each tweet scoring 25 or more embedded through Twitter's oEmbed. From a post this
recovers what it shows of that day's inputs, in the shapes hotpapers reads:

- papers: id, title, authors, abstract and categories, as arXiv's listing gave them;
- X posts: id, author, text and entities as X API v2 returns them (the text with t.co links,
  `urls`/`mentions`/`hashtags`/`cashtags` with code point offsets), language, creation time
  (from the post id), observed when the blog stamped the paper.

What a post does not record is filled in as plainly as the post allows, and said so: a link's
destination is unknown, so `expanded_url` is the t.co link itself; per-post counts are not
printed, only each paper's totals, so shown posts get the smallest counts that keep the blog's
order (25 and up) and the first shown post the rest; a paper with no shown post (all its posts
scored under 25) gets posts with no text, each under 25, adding up to its totals.

Run `python -m tests.digest.blogposts DIR...` on a folder of the blog's posts to convert each
one, render it back and report which are identical to the byte.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

__all__ = ["BlogPaper", "BlogPost", "BlogTweet", "parse_post", "snapshot_of"]

SEED_MIN_POST_SCORE = 25  # the blog's tweet threshold (a post under it is not embedded)
_TWITTER_EPOCH_MS = 1288834974657

_FRONT = re.compile(r"\A---\ntitle: Hot Papers (\d{4}-\d\d-\d\d)\ndate: (\S+)\.Z\n.*?\n---\n", re.S)
_SECTION = re.compile(
    r"\n# (\d+)\. (.*)\n\n(.*)\n\n"
    r"- retweets: (\d+), favorites: (\d+) \((\d\d/\d\d/\d{4} \d\d:\d\d:\d\d)\)\n\n"
    r"- links: \[abs\]\(https://arxiv\.org/abs/(\S+?)\) \| \[pdf\]\(https://arxiv\.org/pdf/\S+?\)\n"
    r"- (.*)\n\n(.*)\n\n((?:<blockquote .*\n<script .*\n\n)*)\n\n"
)
_CATEGORY = re.compile(r"\[([^\]]+)\]\(https://arxiv\.org/list/\1/recent\)")
_EMBED = re.compile(
    r'<blockquote class="twitter-tweet"><p lang="([^"]*)" dir="(?:ltr|rtl)">(.*)</p>&mdash; '
    r"(.*) \(@(\w+)\) "
    r'<a href="https://twitter\.com/\w+/status/(\d+)\?ref_src=twsrc%5Etfw">\w+ \d+, \d{4}</a>'
    r"</blockquote>"
)
_TOKEN = re.compile(r'<a href="([^"]*)">([^<]*)</a>|<br>')
_REF = r"ref_src=twsrc%5Etfw"
_MENTION = re.compile(rf"https://twitter\.com/(\w+)\?{_REF}")
_HASHTAG = re.compile(rf"https://twitter\.com/hashtag/([^?]+)\?src=hash&amp;{_REF}")
_CASHTAG = re.compile(rf"https://twitter\.com/search\?q=%24([^&]+)&amp;src=ctag&amp;{_REF}")
_TCO = re.compile(r"https://t\.co/\w+")


class PostFormatError(ValueError):
    """The file is not laid out as the blog wrote its posts."""


@dataclass
class BlogTweet:
    """One embedded X post: its text and entities as X API v2 would give them."""

    post_id: str
    handle: str
    name: str
    lang: str
    text: str
    entities: dict[str, list[dict[str, Any]]]

    @property
    def created_at(self) -> datetime:
        """When the post was made, read from its id (X ids carry their creation time)."""
        ms = (int(self.post_id) >> 22) + _TWITTER_EPOCH_MS
        return datetime.fromtimestamp(ms / 1000, UTC)


@dataclass
class BlogPaper:
    """One paper's section."""

    arxiv_id: str
    title: str
    authors: list[str]
    abstract: str
    categories: list[str]
    reposts: int
    likes: int
    stamp: datetime
    tweets: list[BlogTweet] = field(default_factory=list)


@dataclass
class BlogPost:
    """A day's post: its day, its run's start time and its papers in order."""

    day: date
    started: datetime
    papers: list[BlogPaper]


def _entity(href: str, label: str, start: int) -> tuple[str, dict[str, Any], str]:
    """An oEmbed anchor as (kind, X API v2 entity, the text X had in its place)."""
    if _TCO.fullmatch(href):
        # The embed shows links as their t.co address and media as pic.twitter.com/...;
        # X's text holds the t.co address in both cases.
        display = label if label.startswith("pic.twitter.com/") else href.removeprefix("https://")
        end = start + len(href)
        entry = {"start": start, "end": end, "url": href, "expanded_url": href}
        return "urls", entry | {"display_url": display}, href
    end = start + len(label)
    if match := _MENTION.fullmatch(href):
        return "mentions", {"start": start, "end": end, "username": match[1]}, label
    if match := _HASHTAG.fullmatch(href):
        return "hashtags", {"start": start, "end": end, "tag": unquote(match[1])}, label
    if match := _CASHTAG.fullmatch(href):
        return "cashtags", {"start": start, "end": end, "tag": unquote(match[1])}, label
    raise PostFormatError(f"an embed links {href!r}, which oEmbed never wrote")


def _tweet(line: str) -> BlogTweet:
    """An oEmbed blockquote back into text and entities."""
    match = _EMBED.fullmatch(line)
    if match is None:
        raise PostFormatError(f"not an X embed: {line[:80]!r}")
    body, text = match[2], ""
    entities: dict[str, list[dict[str, Any]]] = {}
    cursor = 0
    for token in _TOKEN.finditer(body):
        text += html.unescape(body[cursor : token.start()])
        cursor = token.end()
        if token[0] == "<br>":
            text += "\n"
            continue
        kind, entry, shown = _entity(token[1], html.unescape(token[2]), len(text))
        entities.setdefault(kind, []).append(entry)
        text += shown
    text += html.unescape(body[cursor:])
    name = html.unescape(match[3])
    return BlogTweet(match[5], match[4], name, match[1], text, entities)


def _paper(section: re.Match[str]) -> BlogPaper:
    """One paper's section."""
    embeds = [line for line in section[10].split("\n") if line.startswith("<blockquote")]
    return BlogPaper(
        arxiv_id=section[7],
        title=section[2],
        authors=section[3].split(", "),
        abstract=section[9],
        categories=_CATEGORY.findall(section[8]),
        reposts=int(section[4]),
        likes=int(section[5]),
        stamp=datetime.strptime(section[6], "%m/%d/%Y %H:%M:%S").replace(tzinfo=UTC),
        tweets=[_tweet(line) for line in embeds],
    )


def parse_post(text: str) -> BlogPost:
    """A post's day, start time and papers; PostFormatError if it is laid out otherwise."""
    front = _FRONT.match(text)
    if front is None:
        raise PostFormatError("no Hot Papers front matter")
    papers, cursor = [], front.end()
    for section in _SECTION.finditer(text, cursor):
        if section.start() != cursor:
            raise PostFormatError(f"unexpected text at byte {cursor}: {text[cursor:][:60]!r}")
        papers.append(_paper(section))
        cursor = section.end()
    if cursor != len(text):
        raise PostFormatError(f"unexpected text at byte {cursor}: {text[cursor:][:60]!r}")
    started = datetime.fromisoformat(front[2]).replace(tzinfo=UTC)
    return BlogPost(date.fromisoformat(front[1]), started, papers)


def _least_scores(post: BlogPost) -> dict[str, int]:
    """The least score each shown post can have so that every paper lists its posts in the
    blog's order (25 and up, higher first, ties by post id), over all papers showing it."""
    least: dict[str, int] = {}
    for _ in range(len(post.papers) + 1):  # a post shown under two papers moves both
        changed = False
        for paper in post.papers:
            below: tuple[str, int] | None = None
            for tweet in reversed(paper.tweets):
                need = SEED_MIN_POST_SCORE
                if below is not None:
                    need = below[1] + (0 if tweet.post_id < below[0] else 1)
                need = max(need, least.get(tweet.post_id, 0))
                changed |= least.get(tweet.post_id) != need
                least[tweet.post_id] = need
                below = (tweet.post_id, need)
        if not changed:
            break
    return least


def _spread(reposts: int, likes: int) -> list[tuple[int, int]]:
    """Counts of as few posts as can add up to these totals while each scores under 25."""
    total = reposts + likes
    most = SEED_MIN_POST_SCORE - 1
    count = -(-total // most)
    counts = []
    for i in range(count):
        score = total // count + (1 if i < total % count else 0)
        share = min(score, reposts)
        counts.append((share, score - share))
        reposts -= share
    return counts


def _shared_counts(post: BlogPost, least: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Counts of posts shown under more than one paper: their least score, which every
    such paper's totals must then include."""
    papers_of: dict[str, list[BlogPaper]] = {}
    for paper in post.papers:
        for tweet in paper.tweets:
            papers_of.setdefault(tweet.post_id, []).append(paper)
    shared = {}
    for post_id, papers in papers_of.items():
        if len(papers) > 1:
            reposts = min(least[post_id], *(p.reposts for p in papers))
            shared[post_id] = (reposts, least[post_id] - reposts)
    return shared


def _paper_counts(
    paper: BlogPaper, least: dict[str, int], shared: dict[str, tuple[int, int]]
) -> tuple[dict[str, tuple[int, int]], list[tuple[int, int]]]:
    """Counts of the paper's shown posts, and of unshown ones that make up its totals.

    The first shown post takes whatever the totals leave (it is the best one, so the order
    holds); when it is shared with another paper, posts under 25 take it instead.
    """
    reposts, likes = paper.reposts, paper.likes
    first = paper.tweets[0].post_id if paper.tweets else None
    taker = first if first is not None and first not in shared else None
    counts: dict[str, tuple[int, int]] = {}
    for tweet in paper.tweets:
        if tweet.post_id == taker or tweet.post_id in counts:
            continue
        if tweet.post_id in shared:
            share = shared[tweet.post_id]
        else:
            score = least[tweet.post_id]
            share = (min(score, reposts), score - min(score, reposts))
        counts[tweet.post_id] = share
        reposts, likes = reposts - share[0], likes - share[1]
    if reposts < 0 or likes < 0:
        raise PostFormatError(f"{paper.arxiv_id}: its totals cannot cover its shown posts")
    if taker is None:
        return counts, _spread(reposts, likes)
    if reposts + likes < least[taker]:
        raise PostFormatError(f"{paper.arxiv_id}: its totals cannot cover its shown posts")
    counts[taker] = (reposts, likes)
    return counts, []


def _post_entry(paper: BlogPaper, tweet: BlogTweet, counts: tuple[int, int]) -> dict[str, Any]:
    """A shown X post as a snapshot entry."""
    return {
        "source": "x",
        "id": tweet.post_id,
        "url": f"https://twitter.com/{tweet.handle}/status/{tweet.post_id}",
        "author": tweet.handle,
        "author_name": tweet.name,
        "text": tweet.text,
        "created_at": _iso(tweet.created_at),
        "reposts": counts[0],
        "likes": counts[1],
        "arxiv_ids": [paper.arxiv_id],
        "observed_at": _iso(paper.stamp),
        "lang": tweet.lang,
        "entities": tweet.entities,
    }


def _unshown_entry(paper: BlogPaper, number: int, counts: tuple[int, int]) -> dict[str, Any]:
    """A post the blog counted but did not show (it scored under 25): no text is known."""
    post_id = f"unshown-{paper.arxiv_id}-{number}"
    return {
        "source": "x",
        "id": post_id,
        "url": f"https://twitter.com/i/web/status/{post_id}",
        "reposts": counts[0],
        "likes": counts[1],
        "arxiv_ids": [paper.arxiv_id],
        "observed_at": _iso(paper.stamp),
    }


def _iso(moment: datetime) -> str:
    """A UTC time as snapshots spell it."""
    return moment.isoformat().replace("+00:00", "Z")


def _posts(post: BlogPost) -> list[dict[str, Any]]:
    """Every post of the day, once each: a post shown under two papers links both."""
    least = _least_scores(post)
    shared = _shared_counts(post, least)
    entries: dict[str, dict[str, Any]] = {}
    for paper in post.papers:
        counts, unshown = _paper_counts(paper, least, shared)
        for tweet in paper.tweets:
            if tweet.post_id in entries:
                linked = entries[tweet.post_id]["arxiv_ids"]
                if paper.arxiv_id not in linked:
                    linked.append(paper.arxiv_id)
            else:
                entries[tweet.post_id] = _post_entry(paper, tweet, counts[tweet.post_id])
        for number, share in enumerate(unshown, 1):
            entry = _unshown_entry(paper, number, share)
            entries[entry["id"]] = entry
    return list(entries.values())


def snapshot_of(post: BlogPost) -> dict[str, Any]:
    """The snapshot document of a day's inputs, as far as its post records them."""
    papers = [
        {
            "arxiv_id": p.arxiv_id,
            "title": p.title,
            "authors": p.authors,
            "abstract": p.abstract,
            "categories": p.categories,
            "announced": post.day.isoformat(),
        }
        for p in post.papers
    ]
    return {"papers": papers, "posts": _posts(post), "signals": []}


def render_seed(snapshot: Path, day: date) -> str:
    """What `hotpapers digest --snapshot FILE --ranking seed --format markdown` prints."""
    from bot.cli import main as hotpapers

    out = io.StringIO()
    argv = ["digest", "--snapshot", str(snapshot), "--ranking", "seed", "--format", "markdown"]
    with contextlib.redirect_stdout(out):
        status = hotpapers([*argv, "--date", day.isoformat()])
    if status != 0:
        raise RuntimeError(f"hotpapers digest exited {status}")
    return out.getvalue()


def round_trip(text: str, folder: Path) -> str:
    """A post converted to a snapshot file in folder and rendered back."""
    post = parse_post(text)
    path = folder / f"hot-papers-{post.day.isoformat()}.json"
    path.write_text(json.dumps(snapshot_of(post), ensure_ascii=False, indent=1), encoding="utf-8")
    return render_seed(path, post.day)


def main(folders: list[str]) -> int:
    """Convert and render every post in the folders; print which are identical to the byte."""
    paths = sorted(p for folder in folders for p in Path(folder).glob("*.md"))
    exact = 0
    for path in paths:
        text = path.read_text(encoding="utf-8")
        try:
            with tempfile.TemporaryDirectory() as folder:
                again = round_trip(text, Path(folder))
        except PostFormatError as error:
            print(f"{path.name}: not converted: {error}")
            continue
        if again == text:
            exact += 1
            continue
        pairs = zip(again.split("\n"), text.split("\n"), strict=False)
        first = next(((i, a, b) for i, (a, b) in enumerate(pairs) if a != b), None)
        where = f"line {first[0] + 1}: {first[1][:70]!r} != {first[2][:70]!r}" if first else ""
        print(f"{path.name}: differs at {where or 'the end'}")
    print(f"{exact} of {len(paths)} posts identical to the byte")
    return 0 if exact == len(paths) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
