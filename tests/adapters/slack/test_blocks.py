"""The Block Kit renderer: Slack's limits held by construction, at and just over each of them."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.adapters.slack.blocks import (
    MAX_BLOCKS,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    PAPERS_PER_MESSAGE,
    abstract_payload,
    render_digest,
    render_paper,
    search_payload,
    text_payload,
)
from bot.adapters.slack.mrkdwn import ELLIPSIS, width
from bot.channels import OutboundMessage
from bot.models import Digest, RankedPaper
from tests import factories
from tests.adapters.slack.support import NOW, papers_in

HUGE = "x" * 10_000


def ranked(rank: int = 1, **paper: Any) -> RankedPaper:
    """A ranked paper with a score breakdown, details, a link and a post."""
    arxiv_id = paper.pop("arxiv_id", f"2611.{rank:05d}")
    return RankedPaper(
        rank=rank,
        paper=factories.paper(arxiv_id, **paper),
        score=142.0,
        breakdown={"huggingface": 61.0, "hackernews": 81.0},
        explanation="142 = HN 81 + HF 61",
        details={"huggingface": "57 upvotes, +4 new", "hackernews": "81 points"},
        links={"HF": f"https://huggingface.co/papers/{arxiv_id}"},
        posts=(factories.post(f"p{rank}", (arxiv_id,)),),
    )


def digest(count: int, **paper: Any) -> Digest:
    """A hot digest of count papers."""
    papers = tuple(ranked(i, **paper) for i in range(1, count + 1))
    return Digest(day=date(2026, 11, 26), ranking="hot", generated_at=NOW, papers=papers)


def monster(rank: int = 1) -> RankedPaper:
    """A paper with every field far over any limit."""
    item = ranked(
        rank,
        title=HUGE,
        authors=tuple(f"Author {i} {HUGE[:500]}" for i in range(1000)),
        categories=tuple(f"cs.{HUGE[:60]}{i}" for i in range(100)),
        abstract=HUGE * 2,
    )
    posts = tuple(factories.post(f"p{i}", text=HUGE, author=HUGE[:400]) for i in range(50))
    links = {f"L{i}{HUGE[:100]}": f"https://example.org/{i}/{'y' * 250}" for i in range(50)}
    return RankedPaper(
        rank=rank, paper=item.paper, score=1e9, breakdown={f"s{i}": 1.0 for i in range(100)},
        explanation=HUGE, details={f"s{i}": HUGE for i in range(100)}, links=links, posts=posts,
    )  # fmt: skip


def check_limits(payload: dict[str, Any]) -> None:
    """Every limit Slack enforces on a chat.postMessage body."""
    blocks = payload.get("blocks", [])
    assert len(blocks) <= MAX_BLOCKS
    assert 0 < width(payload["text"]) <= 3000, "a plain fallback text is always there"
    for block in blocks:
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
            assert width(block["text"]["text"]) <= MAX_HEADER_TEXT
        elif block["type"] == "section":
            assert width(block["text"]["text"]) <= MAX_SECTION_TEXT
        elif block["type"] == "context":
            assert 1 <= len(block["elements"]) <= 10
            assert all(width(e["text"]) <= 2000 for e in block["elements"])
    json.dumps(payload)


def numbers(message: OutboundMessage) -> list[int]:
    """The numbers shown before each paper's title."""
    texts = [b["text"]["text"] for b in message.payload["blocks"] if b["type"] == "section"]
    return [int(m[1]) for t in texts if (m := re.match(r"\*(\d+)\.\*", t))]


@pytest.mark.parametrize(
    ("count", "sizes"), [(1, [1]), (10, [10]), (11, [10, 1]), (25, [10, 10, 5])]
)
def test_digests_split_at_ten_papers_numbered_from_one_in_each_message(
    count: int, sizes: list[int]
) -> None:
    messages = render_digest(digest(count))
    assert [len(m.arxiv_ids) for m in messages] == sizes
    for message in messages:
        assert numbers(message) == list(range(1, len(message.arxiv_ids) + 1))
        assert papers_in(message.payload["blocks"]) == list(message.arxiv_ids)
        check_limits(message.payload)
    shown = [a for m in messages for a in m.arxiv_ids]
    assert shown == [f"2611.{i:05d}" for i in range(1, count + 1)]
    if len(messages) > 1:
        assert messages[1].payload["blocks"][0]["text"]["text"].endswith(f"(2/{len(sizes)})")


def test_a_digest_message_has_header_section_per_paper_context_and_fallback() -> None:
    [message] = render_digest(digest(2))
    kinds = [b["type"] for b in message.payload["blocks"]]
    assert kinds == ["header", "context", "section", "context", "divider", "section", "context",
                     "context"]  # fmt: skip
    first = message.payload["blocks"][2]["text"]["text"]
    assert first.startswith("*1.* *<https://arxiv.org/abs/2611.00001|A study of 2611.00001>*")
    assert "Ada Lovelace, Alan Turing" in first and "`cs.LG` `stat.ML`" in first
    assert "*Score* 142 = HN 81 + HF 61" in first
    assert "HF: 57 upvotes, +4 new · HN: 81 points" in first
    assert "<https://arxiv.org/pdf/2611.00001|PDF>" in first
    assert "<https://huggingface.co/papers/2611.00001|HF>" in first
    assert message.payload["text"].startswith("Hot papers · Thu 26 Nov 2026: 1. A study of")
    assert ":one: … :two:" in message.payload["blocks"][-1]["elements"][0]["text"]
    assert message.payload["unfurl_links"] is False


def test_the_worst_paper_imaginable_still_fits_every_limit() -> None:
    messages = render_digest(
        Digest(date(2026, 11, 26), "hot", NOW, tuple(monster(i) for i in range(1, 11)))
    )
    [message] = messages
    check_limits(message.payload)
    section = message.payload["blocks"][2]["text"]["text"]
    assert re.match(r"\*1\.\* \*<https://arxiv\.org/abs/2611\.00001\|x+…>\*\n", section)
    check_limits(render_paper(monster()).payload)
    check_limits(abstract_payload(monster().paper))


@pytest.mark.parametrize(
    ("length", "clipped"), [(MAX_HEADER_TEXT, False), (MAX_HEADER_TEXT + 1, True)]
)
def test_headers_are_kept_at_150_characters_and_cut_just_over(length: int, clipped: bool) -> None:
    [message] = render_digest(digest(1), title="h" * length)
    header = message.payload["blocks"][0]["text"]["text"]
    assert width(header) == MAX_HEADER_TEXT
    assert header.endswith(ELLIPSIS) is clipped


@pytest.mark.parametrize(("length", "clipped"), [(3000, False), (3001, True)])
def test_an_abstract_is_kept_at_3000_characters_and_cut_just_over(
    length: int, clipped: bool
) -> None:
    payload = abstract_payload(factories.paper(abstract="a" * length))
    text = payload["blocks"][1]["text"]["text"]
    assert width(text) == MAX_SECTION_TEXT
    assert text.endswith(ELLIPSIS) is clipped


def test_an_empty_digest_says_so_in_one_message() -> None:
    [message] = render_digest(digest(0))
    assert message.arxiv_ids == ()
    assert "Nothing to show" in json.dumps(message.payload)
    check_limits(message.payload)


def test_a_single_paper_message_invites_the_page_reaction_and_has_no_number() -> None:
    message = render_paper(ranked())
    assert message.arxiv_ids == ("2611.00001",)
    assert message.payload["blocks"][0]["text"]["text"].startswith("*<https://arxiv.org/abs/")
    assert ":page_facing_up:" in json.dumps(message.payload)


def test_search_results_list_at_most_ten_papers() -> None:
    papers = [factories.paper(f"2611.{i:05d}") for i in range(1, 15)]
    payload = search_payload(papers, "study")
    assert len(payload["blocks"]) == 1 + PAPERS_PER_MESSAGE
    check_limits(payload)


texts = st.text(max_size=4000)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=texts, author=texts, abstract=texts, post=texts, url=texts, category=texts)
def test_arbitrary_text_stays_within_limits_and_cannot_mention_anyone(
    title: str, author: str, abstract: str, post: str, url: str, category: str
) -> None:
    item = ranked(title=title, authors=(author, author), abstract=abstract, categories=(category,))
    item = RankedPaper(
        rank=1, paper=item.paper, score=1.0, breakdown={"x": 1.0}, explanation=post,
        details={"x": post}, links={post[:20]: "https://" + url},
        posts=(factories.post("p", text=post, author=author, url="https://" + url),),
    )  # fmt: skip
    payloads = [m.payload for m in render_digest(Digest(date(2026, 11, 26), "hot", NOW, (item,)))]
    payloads += [render_paper(item).payload, abstract_payload(item.paper)]
    payloads += [search_payload([item.paper], post), text_payload(post)]
    for payload in payloads:
        if "blocks" in payload:
            check_limits(payload)
        for text in [payload["text"], *(t for t in _mrkdwn(payload))]:
            # The only markup is our own links: "<" always opens "<https://...|label>".
            assert not re.search(r"<(?!https?://[^\s<>|]+\|[^<>]*>)", text), text
            assert not re.search(r"<[!@#]", text)


def _mrkdwn(payload: Any) -> list[str]:
    """The text of every mrkdwn object in a payload."""
    if isinstance(payload, dict):
        own = [payload["text"]] if payload.get("type") == "mrkdwn" else []
        return own + [t for v in payload.values() for t in _mrkdwn(v)]
    if isinstance(payload, list):
        return [t for v in payload for t in _mrkdwn(v)]
    return []


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=45))
def test_any_digest_size_splits_into_messages_of_at_most_ten_papers(count: int) -> None:
    messages = render_digest(digest(count))
    assert len(messages) == max(1, -(-count // PAPERS_PER_MESSAGE))
    assert [a for m in messages for a in m.arxiv_ids] == [
        p.paper.arxiv_id for p in digest(count).papers
    ]
    for message in messages:
        assert len(message.arxiv_ids) <= PAPERS_PER_MESSAGE
        assert numbers(message) == list(range(1, len(message.arxiv_ids) + 1))
        check_limits(message.payload)


def test_a_per_paper_digest_is_a_header_then_one_message_per_paper_within_limits() -> None:
    header, *papers = render_digest(digest(3), layout="per-paper")
    assert header.arxiv_ids == () and header.payload["blocks"][0]["type"] == "header"
    assert "3 papers, one message each" in str(header.payload["blocks"][1])
    assert [m.arxiv_ids for m in papers] == [(f"2611.{i:05d}",) for i in (1, 2, 3)]
    for rank, message in enumerate(papers, 1):
        assert numbers(message) == [rank]  # numbered as ranked, not within the message
        assert ":page_facing_up:" in message.payload["blocks"][-1]["elements"][0]["text"]
        check_limits(message.payload)
    worst = render_digest(Digest(date(2026, 11, 26), "hot", NOW, (monster(1),)),
                          layout="per-paper")  # fmt: skip
    for message in worst:
        check_limits(message.payload)


def test_a_weekly_digest_is_headed_by_its_own_title() -> None:
    titled = Digest(date(2026, 11, 26), "hot", NOW, digest(1).papers, title="Best of the week")
    [message] = render_digest(titled)
    assert message.payload["blocks"][0]["text"]["text"] == "Best of the week"
