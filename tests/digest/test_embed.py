"""X posts rendered as Twitter's embed wrote them, from the post text and X's entities."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.digest.embed import x_embed
from bot.entities import Entities, Entity
from tests.factories import post

SCRIPT = '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>\n'
WHEN = datetime(2021, 6, 25, 17, 30, tzinfo=UTC)


def _paragraph(text: str, *entities: Entity, lang: str = "en") -> str:
    """The <p> of the embed for a post with this text and these entities."""
    embed = x_embed(post("1408", text=text, entities=Entities(entities), lang=lang))
    return embed[embed.index("<p ") : embed.index("</p>") + 4]


def test_the_blockquote_names_the_author_and_links_the_post_with_its_day() -> None:
    embed = x_embed(
        post(
            "1408230497512087554",
            author="RobertHuangHY",
            author_name="Hsin-Yuan (Robert) Huang",
            text="hi",
            created_at=WHEN,
        )
    )
    assert embed == (
        '<blockquote class="twitter-tweet"><p lang="en" dir="ltr">hi</p>&mdash; '
        "Hsin-Yuan (Robert) Huang (@RobertHuangHY) "
        '<a href="https://twitter.com/RobertHuangHY/status/1408230497512087554'
        '?ref_src=twsrc%5Etfw">June 25, 2021</a></blockquote>\n' + SCRIPT
    )


def test_links_show_their_t_co_address_and_media_their_pic_twitter_com_form() -> None:
    text = "pdf: https://t.co/aYXK7gYjRs https://t.co/N4ApIxfAgp"
    links = (
        Entity("urls", 5, 28, url="https://t.co/aYXK7gYjRs",
               expanded_url="https://arxiv.org/pdf/2106.13043",
               display_url="arxiv.org/pdf/2106.1304…"),
        Entity("urls", 29, 52, url="https://t.co/N4ApIxfAgp",
               expanded_url="https://twitter.com/ak92501/status/1/photo/1",
               display_url="pic.twitter.com/N4ApIxfAgp"),
    )  # fmt: skip
    assert _paragraph(text, *links) == (
        '<p lang="en" dir="ltr">pdf: <a href="https://t.co/aYXK7gYjRs">https://t.co/aYXK7gYjRs</a> '
        '<a href="https://t.co/N4ApIxfAgp">pic.twitter.com/N4ApIxfAgp</a></p>'
    )


def test_mentions_link_the_username_and_show_the_text_as_typed() -> None:
    mention = Entity("mentions", 5, 14, value="JMueller")
    assert _paragraph("with @jmueller!", mention) == (
        '<p lang="en" dir="ltr">with <a href="https://twitter.com/JMueller?ref_src=twsrc%5Etfw">'
        "@jmueller</a>!</p>"
    )


def test_hashtags_and_cashtags_link_x_searches_with_the_tag_percent_encoded() -> None:
    text = "#機械学習 and $ZIL"
    tags = (Entity("hashtags", 0, 5, value="機械学習"), Entity("cashtags", 10, 14, value="ZIL"))
    assert _paragraph(text, *tags, lang="ja") == (
        '<p lang="ja" dir="ltr"><a href="https://twitter.com/hashtag/%E6%A9%9F%E6%A2%B0%E5%AD%A6%E7%BF%92'
        '?src=hash&amp;ref_src=twsrc%5Etfw">#機械学習</a> and '
        '<a href="https://twitter.com/search?q=%24ZIL&amp;src=ctag&amp;ref_src=twsrc%5Etfw">$ZIL</a></p>'
    )


def test_text_is_escaped_as_the_embed_did_with_newlines_as_br() -> None:
    text = 'It\'s "R&D" <3\n\nnext'
    assert _paragraph(text) == (
        '<p lang="en" dir="ltr">It&#39;s &quot;R&amp;D&quot; &lt;3<br><br>next</p>'
    )


def test_right_to_left_languages_get_an_rtl_paragraph_and_bidi_isolates_stay() -> None:
    text = "نموذج \u2066@lhaddad\u2069"
    para = _paragraph(text, Entity("mentions", 7, 15, value="lhaddad"), lang="ar")
    assert para.startswith('<p lang="ar" dir="rtl">')
    assert "\u2066<a href" in para and "</a>\u2069</p>" in para


def test_hostile_entities_never_make_a_script_link_or_break_the_markup() -> None:
    text = 'x javascript:alert(1) @a"><script> #"><img'
    hostile = (
        Entity("urls", 2, 21, url="javascript:alert(1)"),
        Entity("mentions", 22, 33, value='a"><script>'),
        Entity("hashtags", 34, 41, value='"><img'),
    )
    embed = x_embed(
        post("1", text=text, entities=Entities(hostile), author='x"><b', author_name="<i>")
    )
    quote = embed.removesuffix(SCRIPT)
    assert 'href="javascript' not in quote
    assert not re.search(r"<(?!/?(?:blockquote|p|a|br)\b)", quote), quote
    assert '<a href="https://twitter.com/hashtag/%22%3E%3Cimg?src=hash' in embed


def test_entities_with_wrong_offsets_are_found_in_the_text() -> None:
    shifted = Entity("mentions", 40, 44, value="ada")  # X counted '&amp;' as five characters
    assert _paragraph("Q&A with @ada", shifted) == (
        '<p lang="en" dir="ltr">Q&amp;A with '
        '<a href="https://twitter.com/ada?ref_src=twsrc%5Etfw">@ada</a></p>'
    )
