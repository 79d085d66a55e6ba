"""Nothing leaves the channel it came from: a digest carrying its reactions is never published.

The site's page of a day is the public digest, whichever channel posts first (bot.site.publish).
"""

from __future__ import annotations

from datetime import timedelta

from bot.app import App, build_deliverer
from bot.channel_signal import CHANNEL
from bot.delivery.lease import Leases
from bot.delivery.queue import OutboundQueue
from bot.delivery.schedule import run_on
from bot.site.queries import published
from bot.snapshot import dump_snapshot
from tests.delivery.fakechannel import MemoryChannel
from tests.delivery.support import NINE_BERLIN, TODAY, subscribe
from tests.factories import DISCORD, DISCORD_2, snowflake


async def test_a_digest_with_the_channels_own_term_is_posted_there_but_never_published(
    app: App,
) -> None:
    ids = [r["arxiv_id"] for r in app.store.query("SELECT arxiv_id FROM papers ORDER BY 1")]
    app.reactions.remember("discord", DISCORD, "m1", [ids[-1]])
    for user in ("u1", "u2"):
        app.signals.added("discord", DISCORD, "m1", user, "🔥", NINE_BERLIN - timedelta(hours=1))
    lab = subscribe(app, DISCORD, channel_weight=500, top=2)
    plain = subscribe(app, DISCORD_2, top=2)
    channel = MemoryChannel(per_message=2)
    deliverer = build_deliverer(app, {"discord": channel}, leases=Leases(app.store),
                                queue=OutboundQueue({}))  # fmt: skip
    mine = await deliverer.deliver(lab, run_on(lab, TODAY), "schedule")
    assert mine.status == "sent" and ids[-1] in channel.posts[snowflake(1)][0][1].arxiv_ids
    # The day is published, as the public digest: the lab's reactions raised nothing in it.
    page = published(app.store, TODAY)
    assert page is not None and [p.paper.arxiv_id for p in page.digest.papers] == ids
    assert not any(CHANNEL in p.breakdown for p in page.digest.papers)
    shared = await deliverer.deliver(plain, run_on(plain, TODAY), "schedule")
    assert shared.status == "sent" and ids[-1] not in channel.posts[snowflake(2)][0][1].arxiv_ids
    assert published(app.store, TODAY) == page


def test_snapshots_leave_the_channels_reactions_out(app: App) -> None:
    app.reactions.remember("discord", DISCORD, "m1", ["2611.10000"])
    app.signals.added("discord", DISCORD, "m1", "u1", "🔥", NINE_BERLIN)
    store = app.store
    text = dump_snapshot(store.iter_papers(), store.iter_post_observations(), store.iter_signals())
    assert DISCORD not in text and "channel_reactions" not in text and "🔥" not in text
