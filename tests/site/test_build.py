"""`hotpapers site build DIR`: the same pages as files, linked relatively, rebuilt in place."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from bot.cli import main
from bot.errors import UsageError
from bot.site.build import MARKER, build_site
from bot.store import Store
from tests.site.html import assert_inert, tags
from tests.site.support import HOSTILE_ID, TODAY, World, world


def internal_links(folder: Path) -> set[tuple[str, str]]:
    """(page, target) for every same-site link of every HTML file."""
    found = set()
    for page in folder.rglob("*.html"):
        name = page.relative_to(folder).as_posix()
        for _, attrs in tags(page.read_bytes()):
            for key in ("href", "src", "action"):
                value = attrs.get(key)
                if value and not urlsplit(value).scheme and not value.startswith("#"):
                    found.add((name, value))
    return found


def resolve(folder: Path, page: str, href: str) -> Path:
    """The file a relative link from page leads to, as a static web server maps it."""
    path = urlsplit(urljoin(f"https://site.example/{page}", href)).path.lstrip("/")
    return folder / (path + "index.html" if path == "" or path.endswith("/") else path)


def test_the_build_writes_every_page_and_every_link_leads_to_a_file(
    hot: World, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    report = build_site(hot.site(static=True), out)
    for name in ("index.html", "feed.atom", "hot.json", "days/index.html", "search/index.html",
                 f"days/{TODAY}/index.html", f"papers/{HOSTILE_ID}/index.html", "404.html",
                 "static/site.css", "search/search.json", ".nojekyll"):  # fmt: skip
        assert (out / name).is_file(), name
    assert report.files == len((out / MARKER).read_text().split())
    assert report.largest[1] < 100_000
    links = internal_links(out)
    assert len(links) > 100
    broken = {(page, href) for page, href in links if not resolve(out, page, href).is_file()}
    assert not broken
    for page in out.rglob("*.html"):
        assert_inert(page.read_bytes(), scripts=("static/search.js",))
    served = hot.site().render(f"days/{TODAY}/").body
    assert (out / f"days/{TODAY}/index.html").read_bytes().split(b"<footer")[0] == served.split(
        b"<footer"
    )[0]  # the same page, but for the time it was made


def test_a_rebuild_removes_pages_that_are_gone_and_keeps_hidden_files(
    hot: World, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    build_site(hot.site(static=True), out)
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/gh-pages\n")
    stale = out / "papers" / "2611.99999" / "index.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    marker = out / MARKER
    marker.write_text(marker.read_text() + "papers/2611.99999/index.html\n")
    build_site(hot.site(static=True), out)
    assert not stale.exists() and not stale.parent.exists()
    assert (out / ".git" / "HEAD").read_text() == "ref: refs/heads/gh-pages\n"


def test_a_folder_holding_someone_elses_files_is_refused_untouched(
    hot: World, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty and was not written by"):
        build_site(hot.site(static=True), tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_the_command_builds_the_site_from_the_configured_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "hotpapers.db"
    world(Store(db)).store.close()
    monkeypatch.setenv("HOTPAPERS_DB", str(db))
    monkeypatch.chdir(tmp_path)
    assert main(["site", "build", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("Wrote ") and "largest page" in printed
    assert (tmp_path / "out" / f"days/{TODAY}/index.html").is_file()


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("HOTPAPERS_SITE__BASE_URL", "javascript:alert(1)", "absolute http:// or https:// URL"),
        ("HOTPAPERS_SITE__BASE_URL", "https://example.org/?x=1", "no query or fragment"),
        ("HOTPAPERS_SITE__TITLE", "Hot\nPapers", "one line of printable text"),
        ("HOTPAPERS_SITE__CHANNEL", "discord:general", "a Discord channel id is 17 to 20 digits"),
        ("HOTPAPERS_SITE__CHANNEL", "posts", "use discord:<channel id>, slack:<channel id>"),
        (
            "HOTPAPERS_SITE__ENABLED",
            "maybe",
            "HOTPAPERS_SITE__ENABLED: Input should be a valid boolean",
        ),
    ],
)
def test_a_bad_site_setting_is_one_line_and_exit_2_with_nothing_written(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    said: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOTPAPERS_DB", str(tmp_path / "h.db"))
    monkeypatch.setenv(variable, value)
    assert main(["site", "build", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("hotpapers: error: ") and said in error and error.count("\n") == 1
    assert not (tmp_path / "out").exists()
