"""Checks on served HTML: nothing in it can run script or load anything from elsewhere."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

# Every element the site's templates write; anything else came from data.
# fmt: off
ALLOWED = {
    "html", "head", "meta", "title", "link", "body", "a", "header", "div", "nav", "form", "label",
    "input", "button", "main", "h1", "h2", "h3", "p", "span", "strong", "ol", "ul", "li",
    "article", "blockquote", "footer", "time", "table", "caption", "thead", "tbody", "tr", "th",
    "td", "figure", "figcaption", "svg", "desc", "line", "text", "path", "g", "circle",
    "noscript", "script", "br",
}
# fmt: on
URL_ATTRIBUTES = {"href", "src", "action", "xlink:href", "formaction"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def tags(body: str | bytes) -> list[tuple[str, dict[str, str]]]:
    """Every start tag with its attributes."""
    parser = _Tags()
    parser.feed(body.decode() if isinstance(body, bytes) else body)
    return parser.tags


def assert_inert(body: str | bytes, *, scripts: tuple[str, ...] = ()) -> None:
    """No element, attribute or URL that could run script or fetch from another site.

    scripts: the same-origin script files this page may load (the static search's).
    """
    for tag, attrs in tags(body):
        assert tag in ALLOWED, f"unexpected <{tag} {attrs}>"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler on <{tag}>: {name}={value!r}"
            assert name != "style", f"inline style on <{tag}>"
            if name in URL_ATTRIBUTES:
                parts = urlsplit(value.strip())
                if parts.scheme or value.strip().startswith("//"):
                    assert parts.scheme in ("http", "https"), f"<{tag} {name}={value!r}>"
                    assert tag == "a", f"<{tag}> loads from another site: {value!r}"
        if tag == "script":
            assert attrs.get("src", "").endswith(scripts) and scripts, f"script {attrs}"
        if tag == "link":
            assert not urlsplit(attrs.get("href", "")).scheme, f"external <link>: {attrs}"
        if tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
            raise AssertionError("meta refresh")
