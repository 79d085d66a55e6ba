"""What every source's batch guarantees before it is stored."""

from __future__ import annotations

from bot.sources.base import Batch, Dropped
from tests.factories import paper, post, signal


def test_posts_and_signals_whose_link_is_not_http_are_dropped_and_counted() -> None:
    good_post, good_signal = post(), signal(url="https://huggingface.co/papers/2611.00001")
    batch = Batch(
        papers=(paper(),),
        posts=(good_post, post(post_id="bad", url="javascript:alert(1)")),
        signals=(good_signal, signal(metric="github_stars", url="github.com/a/b"), signal(url="")),
        dropped=Dropped(1, ("hits[3].points: a count cannot be negative",)),
    )
    kept = batch.web_links_only()
    assert kept.papers == batch.papers and kept.posts == (good_post,)
    assert kept.signals == (good_signal, signal(url=""))  # no link at all is fine
    assert kept.dropped.count == 3
    assert kept.dropped.reasons == (
        "hits[3].points: a count cannot be negative",
        "post 'bad': not an http(s) URL: 'javascript:alert(1)'",
        "signal 2611.00001 github_stars: not an http(s) URL: 'github.com/a/b'",
    )


def test_a_batch_with_web_links_only_is_kept_as_it_is() -> None:
    batch = Batch(posts=(post(),), signals=(signal(url=""),))
    assert batch.web_links_only() is batch
