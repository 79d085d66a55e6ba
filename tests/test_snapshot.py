"""Snapshot files: validated with clear errors, exported and imported without loss."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.snapshot import SnapshotError, dump_snapshot, load_snapshot
from bot.store import Store
from tests.factories import NOW, paper, post, signal

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_the_example_snapshot_loads_with_sixteen_papers() -> None:
    snap = load_snapshot(ROOT / "examples/hot-papers-2021-06-25.json")
    assert len(snap.papers) == 16
    assert all(p.observed_at.tzinfo is not None for p in snap.posts)


def test_export_then_import_reproduces_the_store(tmp_path: Path) -> None:
    store = Store()
    store.ingest(
        [paper()],
        [post(), post(likes=99, observed_at=NOW.replace(hour=13))],
        [signal()],
        seen_at=NOW,
    )
    path = tmp_path / "s.json"
    path.write_text(
        dump_snapshot(store.iter_papers(), store.iter_post_observations(), store.iter_signals())
    )
    snap = load_snapshot(path)
    copy = Store()
    copy.ingest(snap.papers, snap.posts, snap.signals, seen_at=NOW)
    assert (
        copy.counts()
        == store.counts()
        == {"papers": 1, "posts": 1, "post_observations": 2, "signals": 1}
    )
    assert list(copy.iter_post_observations()) == list(store.iter_post_observations())
    assert list(copy.iter_papers()) == list(store.iter_papers())


def test_unknown_fields_are_ignored_and_ids_normalised(tmp_path: Path) -> None:
    doc = {
        "extra": 1,
        "papers": [{"arxiv_id": "arXiv:2106.12627v3", "title": "T", "future_field": [1]}],
        "posts": [],
    }
    snap = load_snapshot(write(tmp_path, doc))
    assert snap.papers[0].arxiv_id == "2106.12627"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {"papers": [{"arxiv_id": "2106.12627"}]},
            "papers[0] (arxiv_id '2106.12627').title: Field required",
        ),
        ({"papers": [{"arxiv_id": "nope", "title": "T"}]}, "papers[0] (arxiv_id 'nope').arxiv_id"),
        (
            {"papers": [{"arxiv_id": "2106.12627", "title": "T", "version": "2"}]},
            "version: Input should be a valid integer",
        ),
        (
            {
                "posts": [
                    {
                        "source": "x",
                        "id": 14,
                        "url": "u",
                        "arxiv_ids": [],
                        "observed_at": "2021-06-26T08:00:00Z",
                    }
                ]
            },
            "posts[0] (id 14).id: Input should be a valid string",
        ),
        (
            {
                "posts": [
                    {
                        "source": "x",
                        "id": "1",
                        "url": "https://x.com/a/status/1",
                        "arxiv_ids": ["2106.12627"],
                        "observed_at": "yesterday",
                    }
                ]
            },
            "posts[0] (id '1').observed_at",
        ),
        (
            {
                "posts": [
                    {
                        "source": "x",
                        "id": "1",
                        "url": "javascript:alert(1)",
                        "arxiv_ids": [],
                        "observed_at": "2021-06-26T08:00:00Z",
                    }
                ]
            },
            "posts[0] (id '1').url: 'javascript:alert(1)' is not an http(s) URL",
        ),
        (
            {
                "posts": [
                    {
                        "source": "hackernews",
                        "id": "2",
                        "url": "news.ycombinator.com/item",
                        "arxiv_ids": [],
                        "observed_at": "2021-06-26T08:00:00Z",
                    }
                ]
            },
            "posts[0] (id '2').url: 'news.ycombinator.com/item' is not an http(s) URL",
        ),
        (
            {
                "signals": [
                    {
                        "source": "huggingface",
                        "arxiv_id": "2106.12627",
                        "metric": "upvotes",
                        "value": 1,
                        "observed_at": "2021-06-26T08:00:00Z",
                        "url": "data:text/html,<script>",
                    }
                ]
            },
            "signals[0] (arxiv_id '2106.12627').url: 'data:text/html,<script>' is not an http(s)",
        ),
        ([1, 2], "expected an object"),
    ],
)
def test_invalid_files_name_the_entry_and_field(tmp_path: Path, doc: object, message: str) -> None:
    with pytest.raises(SnapshotError, match=None) as caught:
        load_snapshot(write(tmp_path, doc))
    assert message in str(caught.value)


def test_truncated_json_and_missing_files_get_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"papers": [')
    with pytest.raises(SnapshotError, match="not valid JSON"):
        load_snapshot(path)
    with pytest.raises(SnapshotError, match="no such file"):
        load_snapshot(tmp_path / "missing.json")


def test_post_entities_are_read_as_x_api_v2_gives_them_and_written_back(tmp_path: Path) -> None:
    entities = {
        "urls": [
            {"start": 4, "end": 27, "url": "https://t.co/e6YLyqh8BW", "media_key": "3_1",
             "expanded_url": "https://twitter.com/a/status/1/photo/1",
             "display_url": "pic.twitter.com/e6YLyqh8BW"}
        ],
        "mentions": [{"start": 0, "end": 3, "username": "ada", "id": "12"}],
        "hashtags": [{"start": 28, "end": 31, "tag": "ml"}],
    }  # fmt: skip
    entry = {"source": "x", "id": "1", "url": "https://twitter.com/a/status/1",
             "text": "@ada https://t.co/e6YLyqh8BW #ml", "arxiv_ids": ["2106.12627"],
             "observed_at": "2021-06-26T08:14:47Z", "entities": entities}  # fmt: skip
    snap = load_snapshot(write(tmp_path, {"posts": [entry]}))
    kinds = [(e.kind, e.start, e.end) for e in snap.posts[0].entities.items]
    # The offsets given are one short; each entity is anchored where its text is.
    assert kinds == [("mentions", 0, 4), ("urls", 5, 28), ("hashtags", 29, 32)]
    written = json.loads(dump_snapshot([], snap.posts, []))["posts"][0]["entities"]
    assert written["urls"][0]["display_url"] == "pic.twitter.com/e6YLyqh8BW"
    assert "media_key" not in written["urls"][0] and written["mentions"][0]["username"] == "ada"


def test_entities_follow_their_text_when_cleaning_drops_control_characters(
    tmp_path: Path,
) -> None:
    text = "\x07@ada\x1b[1m read https://t.co/e6YLyqh8BW #ml"  # offsets count the controls
    entities = {
        "mentions": [{"start": 1, "end": 5, "username": "ada"}],
        "urls": [{"start": 15, "end": 38, "url": "https://t.co/e6YLyqh8BW"}],
        "hashtags": [{"start": 39, "end": 42, "tag": "ml"},
                     {"start": 0, "end": 5, "tag": "absent"}],
    }  # fmt: skip
    entry = {"source": "x", "id": "1", "url": "https://twitter.com/a/status/1", "text": text,
             "arxiv_ids": [], "observed_at": "2021-06-26T08:14:47Z",
             "entities": entities}  # fmt: skip
    (post,) = load_snapshot(write(tmp_path, {"posts": [entry]})).posts
    assert post.text == "@ada[1m read https://t.co/e6YLyqh8BW #ml"
    spans = {e.token: post.text[e.start : e.end] for e in post.entities.items}
    assert spans == {"ada": "@ada", "https://t.co/e6YLyqh8BW": "https://t.co/e6YLyqh8BW",
                     "ml": "#ml"}  # fmt: skip
    assert json.loads(dump_snapshot([], [post], []))["posts"][0]["entities"]["mentions"] == [
        {"start": 0, "end": 4, "username": "ada"}
    ]


def test_malformed_entities_name_the_post_and_field(tmp_path: Path) -> None:
    entry = {"source": "x", "id": "9", "url": "https://x.com/a/status/9", "arxiv_ids": [],
             "observed_at": "2021-06-26T08:14:47Z",
             "entities": {"mentions": [{"start": -1}]}}  # fmt: skip
    with pytest.raises(SnapshotError, match=r"posts\[0\] \(id '9'\)\.entities\.mentions\[0\]"):
        load_snapshot(write(tmp_path, {"posts": [entry]}))


def test_text_is_cleaned_as_it_is_loaded_so_a_lone_surrogate_can_be_stored(
    tmp_path: Path,
) -> None:
    doc = {
        "papers": [
            {
                "arxiv_id": "2402.01001",
                "title": "Bad \ud800 title\x1b[2J",
                "authors": ["A\x00da"],
            }
        ],
        "posts": [],
        "signals": [],
    }
    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc))  # JSON carries the surrogate as the escape \ud800
    loaded = load_snapshot(path)
    (item,) = loaded.papers
    assert (item.title, item.authors) == ("Bad \ufffd title[2J", ("Ada",))
    store = Store(":memory:")
    store.ingest(loaded.papers, loaded.posts, loaded.signals, seen_at=NOW)  # no encode error
    assert store.counts()["papers"] == 1
    store.close()
