"""arXiv's category taxonomy: every valid category name, and case-folding to its spelling."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable

from bot.errors import UsageError

__all__ = [
    "ARCHIVES",
    "CATEGORIES",
    "covered_by",
    "normalize_category",
    "parse_categories",
    "suggest",
    "unfollowed",
    "unfollowed_note",
]

# From https://arxiv.org/category_taxonomy: each archive with its subject classes. An archive
# alone (cs, hep-th) is also a valid filter and means every category in it.
_TAXONOMY: dict[str, str] = {
    "astro-ph": "CO EP GA HE IM SR",
    "cond-mat": "dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con",
    "cs": (
        "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA NE"
        " NI OH OS PF PL RO SC SD SE SI SY"
    ),
    "econ": "EM GN TH",
    "eess": "AS IV SP SY",
    "gr-qc": "",
    "hep-ex": "",
    "hep-lat": "",
    "hep-ph": "",
    "hep-th": "",
    "math": (
        "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA RA RT"
        " SG SP ST"
    ),
    "math-ph": "",
    "nlin": "AO CD CG PS SI",
    "nucl-ex": "",
    "nucl-th": "",
    "physics": (
        "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an ed-ph"
        " flu-dyn gen-ph geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph"
    ),
    "q-bio": "BM CB GN MN NC OT PE QM SC TO",
    "q-fin": "CP EC GN MF PM PR RM ST TR",
    "quant-ph": "",
    "stat": "AP CO ME ML OT TH",
}
ARCHIVES = frozenset(_TAXONOMY)
CATEGORIES = frozenset(
    [f"{archive}.{code}" for archive, codes in _TAXONOMY.items() for code in codes.split()]
)
_LONGEST = max(len(name) for name in CATEGORIES)
_MAX_SUGGESTIONS = 3


@functools.cache
def _by_folded() -> dict[str, str]:
    """Every valid name (archives and categories) by its case-folded spelling."""
    return {name.casefold(): name for name in ARCHIVES | CATEGORIES}


def suggest(text: str) -> list[str]:
    """The closest valid names to text, best first (none when nothing is close)."""
    folded = _by_folded()
    close = difflib.get_close_matches(text.casefold()[: _LONGEST + 2], folded, _MAX_SUGGESTIONS)
    return [folded[name] for name in close]


def normalize_category(text: str, *, key: str = "category") -> str:
    """arXiv's spelling of a category or archive (cs.lg is cs.LG); a UsageError if unknown."""
    name = text.strip()
    found = _by_folded().get(name.casefold())
    if found is not None:
        return found
    shown = name if len(name) <= _LONGEST + 2 else name[:_LONGEST] + "…"
    close = suggest(name)
    hint = f"did you mean {' or '.join(close)}?" if close else "see arxiv.org/category_taxonomy"
    raise UsageError(f"{key}: {shown!r} is not an arXiv category ({hint})")


def parse_categories(values: Iterable[str], *, key: str = "categories") -> tuple[str, ...]:
    """Categories from values that may each be a comma list: checked, spelled, deduplicated."""
    found: list[str] = []
    for value in values:
        for part in value.split(","):
            if part.strip():
                name = normalize_category(part, key=key)
                if name not in found:
                    found.append(name)
    return tuple(found)


def covered_by(category: str, others: Iterable[str]) -> str | None:
    """The first of others that covers category (itself, or its archive: cs covers cs.LG)."""
    return next((o for o in others if category == o or category.startswith(f"{o}.")), None)


def unfollowed(categories: Iterable[str], followed: Iterable[str]) -> list[str]:
    """The categories no followed listing overlaps: only papers linked from posts can be in them.

    A category is followed when a followed listing covers it (cs covers cs.LG), or when it is an
    archive holding a followed category (cs holds a followed cs.LG).
    """
    followed = tuple(followed)
    return [
        c
        for c in categories
        if covered_by(c, followed) is None and not any(f.startswith(f"{c}.") for f in followed)
    ]


def unfollowed_note(categories: Iterable[str], followed: Iterable[str]) -> str:
    """Why such categories rarely match ('' when every one is followed), for a warning."""
    followed = tuple(followed)
    outside = unfollowed(categories, followed)
    if not outside:
        return ""
    verb = "is" if len(outside) == 1 else "are"
    return (
        f"{', '.join(outside)} {verb} not among the arXiv listings fetched ([sources] categories:"
        f" {', '.join(followed)}), so only papers linked from posts can match"
    )
